/** The export's cell writers: formula neutralising, CSV quoting, JSON Lines key order, file names. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { csvField, csvLine, jsonLine, neutraliseCell, safeFileName } from "./export_format.ts";

test("neutraliseCell() prefixes cells a spreadsheet would evaluate, and nothing else", () => {
  const cases: [string, string][] = [
    ["=1+1", "'=1+1"],
    ['=HYPERLINK("http://x","y")', `'=HYPERLINK("http://x","y")`],
    ["+cmd", "'+cmd"],
    ["-2+3", "'-2+3"],
    ["@SUM(1)", "'@SUM(1)"],
    ["\t=1", "'\t=1"],
    ["\rx", "'\rx"],
    ["-5", "-5"],
    ["+1.25", "+1.25"],
    ["-.5", "-.5"],
    ["-1e5", "'-1e5"],
    ["a=b", "a=b"],
    [" =1", " =1"],
    ["", ""],
    ["'already", "'already"],
  ];
  for (const [cell, expected] of cases) assert.equal(neutraliseCell(cell), expected, JSON.stringify(cell));
});

test("csvField() quotes quotes, commas, line breaks and edge spaces, and writes null as empty", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField("a\nb"), '"a\nb"');
  assert.equal(csvField(" padded "), '" padded "');
  assert.equal(csvField("=1,2"), `"'=1,2"`);
  assert.equal(csvField(null), "");
  assert.equal(csvField(0.75), "0.75");
  assert.equal(csvLine(["a", null, 1]), "a,,1\r\n");
});

test("jsonLine() keeps the column order, integer-like names included, and does not neutralise", () => {
  assert.equal(
    jsonLine(["title", "2024", "value"], ["=1+1", "x", null]),
    '{"title":"=1+1","2024":"x","value":null}\n',
  );
});

test("safeFileName() keeps ASCII letters, digits, dot, dash and underscore", () => {
  assert.equal(safeFileName('Café "Q3" feed'), "Cafe_Q3_feed");
  // check_repo_paths: ignore (an attack string)
  assert.equal(safeFileName("../../etc/passwd"), "etc_passwd");
  assert.equal(safeFileName("日本語"), "export");
  assert.equal(safeFileName("a\r\nContent-Type: x"), "a_Content-Type_x");
  assert.equal(safeFileName("x".repeat(300)).length, 100);
});

test("csvLine() quotes a cell holding the chosen delimiter, and only that delimiter", () => {
  assert.equal(csvLine(["a;b", "c,d", "e"], ";"), '"a;b";c,d;e\r\n');
  assert.equal(csvLine(["a;b", "c,d"]), 'a;b,"c,d"\r\n');
  assert.equal(csvLine(["a\tb", "c"], "\t"), '"a\tb"\tc\r\n');
});
