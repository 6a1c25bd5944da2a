import { test } from "node:test";
import assert from "node:assert/strict";
import { codesAgree, compareIdentifiers, identifiersOf, normaliseText } from "./identifiers.ts";

test("identifiersOf() reads a capacity the same with or without a space, and terabytes as gigabytes", () => {
  assert.deepEqual(identifiersOf("apple iphone 8 plus 64 gb spacegrau").quantities, ["64 gb"]);
  assert.deepEqual(identifiersOf("Apple iPhone 8 Plus 64GB").quantities, ["64 gb"]);
  assert.deepEqual(identifiersOf("WD Elements 1 TB").quantities, ["1000 gb"]);
  assert.deepEqual(identifiersOf("WD Elements 1000GB").quantities, ["1000 gb"]);
});

test("identifiersOf() reads inches, decimal commas and megapixels", () => {
  const english = identifiersOf('Apple MQ8N2B/A iPhone 8 Plus 64GB 5.5" 12MP SIM Free Smartphone in Gold');
  assert.deepEqual(english.quantities.sort(), ["12 mp", "5.5 in", "64 gb"]);
  assert.deepEqual(identifiersOf("Display 5,5 Zoll, 16.0 MP").quantities.sort(), ["16 mp", "5.5 in"]);
});

test("identifiersOf() keeps a code with separators whole and also its parts that are codes", () => {
  assert.deepEqual(identifiersOf("Apple MQ8N2B/A iPhone").codes.sort(), ["mq8n2b", "mq8n2ba"]);
  assert.deepEqual(identifiersOf("samsung sgh-t249 prepaid").codes.sort(), ["sght249", "t249"]);
  assert.ok(identifiersOf("logitech 910-001898 mouse").codes.includes("910001898"));
  assert.deepEqual(identifiersOf("kodak black ink cartridge 10b 1163641").codes.sort(), ["10b", "1163641"]);
});

test("identifiersOf() takes neither quantities nor plain words nor short numbers for codes", () => {
  assert.deepEqual(identifiersOf("iPhone 8 Plus 64GB 600w 720p 5x zoom USB 2.0 smartphone").codes, []);
});

test("identifiersOf() names colours in English, also inside compound words", () => {
  assert.deepEqual(identifiersOf("iphone 8 plus spacegrau").colours, ["grey"]);
  assert.deepEqual(identifiersOf("Hülle Schwarz").colours, ["black"]);
  assert.deepEqual(identifiersOf("SIM Free Smartphone in Gold").colours, ["gold"]);
  assert.deepEqual(identifiersOf("electric motor, color box").colours, []);
});

test("codesAgree() accepts a regional suffix on a code of 4+ characters, not on shorter ones", () => {
  assert.ok(codesAgree("5035b001", "5035b001aa"));
  assert.ok(codesAgree("mq8n2ba", "mq8n2b"));
  assert.ok(!codesAgree("t24", "t249"));
  assert.ok(!codesAgree("t249", "t239"));
});

test("compareIdentifiers() sees 64 GB against 256GB as a conflict and 64GB as a match", () => {
  const query = identifiersOf("apple iphone 8 plus 64 gb spacegrau");
  const other = compareIdentifiers(query, identifiersOf("Apple iPhone 8 Plus 256GB"));
  assert.equal(other.quantityConflicts, 1);
  assert.equal(other.quantityMatches, 0);
  const same = compareIdentifiers(query, identifiersOf("Apple iPhone 8 Plus 64GB Space Grey"));
  assert.equal(same.quantityConflicts, 0);
  assert.equal(same.quantityMatches, 1);
  assert.ok(same.colourMatch);
});

test("compareIdentifiers() finds a code written with spaces or dashes in the other text", () => {
  const spaced = compareIdentifiers(identifiersOf("koss eq50 equalizer"), identifiersOf("Koss EQ-50 3-band"));
  assert.equal(spaced.codeMatch, 4);
  assert.ok(!spaced.codeConflict);
  const conflict = compareIdentifiers(
    identifiersOf("logitech m315 mouse"),
    identifiersOf("logitech m305 mouse"),
  );
  assert.equal(conflict.codeMatch, 0);
  assert.ok(conflict.codeConflict);
});

test("normaliseText() writes quantities one way and colours in English, so TF-IDF sees no difference", () => {
  assert.equal(normaliseText("apple iphone 8 plus 64 gb spacegrau"), "apple iphone 8 plus 64gb space grey");
  assert.equal(normaliseText("Apple iPhone 8 Plus 64GB Space Grey"), "apple iphone 8 plus 64gb space grey");
  assert.equal(normaliseText("Display 5,5 Zoll, 1 TB, Schwarz"), "display 5.5in , 1000gb , black");
});

test("identifiersOf() reads memory in binary megabytes: 1024MB is 1 GB, 512 MB conflicts with 1 GB", () => {
  assert.deepEqual(identifiersOf("geforce gt 430 with 1024mb ddr3").quantities, ["1 gb"]);
  const comparison = compareIdentifiers(
    identifiersOf("geforce gt 220 1 gb ddr2"),
    identifiersOf("geforce gt 220 512 mb ddr2"),
  );
  assert.equal(comparison.quantityConflicts, 1);
});

test("identifiersOf() keeps standalone generation numbers, and iphone 8 conflicts with iphone 7", () => {
  assert.deepEqual(identifiersOf("Apple iPhone 8 Plus 64GB").numbers, ["8"]);
  assert.deepEqual(identifiersOf("evga geforce gt 430 1 gb pci-express 2.0 3-band").numbers, ["430"]);
  assert.ok(
    compareIdentifiers(identifiersOf("iphone 8 64gb"), identifiersOf("iPhone 7 64GB")).numberConflict,
  );
  assert.ok(
    !compareIdentifiers(identifiersOf("iphone 8 64gb"), identifiersOf("iPhone 8 Plus")).numberConflict,
  );
});
