import { test } from "node:test";
import assert from "node:assert/strict";
import { fnv1a, hashedCounts, IdfTable, tfidfVector, words } from "./text_features.ts";

const SMALL = {
  buckets: 1 << 20,
  wordNgrams: [1, 2] as [number, number],
  charNgrams: [3, 5] as [number, number],
};

test("words() splits on anything but letters and digits, in lower case", () => {
  assert.deepEqual(words("Koss EQ-50 3-Band, Équaliseur"), ["koss", "eq", "50", "3", "band", "équaliseur"]);
});

test("hashedCounts() counts word 1–2-grams and padded character 3–5-grams", () => {
  // "ab cd": words ab, cd, "ab cd"; chars of " ab " (3: " ab","ab "; 4: " ab ") and " cd " alike.
  const counts = hashedCounts("ab cd", SMALL);
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
  assert.equal(total, 3 + 3 + 3);
  const slot = (gram: string, salt: number) => fnv1a(gram, salt) & (SMALL.buckets - 1);
  assert.equal(counts.get(slot("ab cd", 1)), 1);
  assert.equal(counts.get(slot(" ab ", 2)), 1);
  // A word and the same characters as a character n-gram land in different slots (salted).
  assert.notEqual(slot("abc", 1), slot("abc", 2));
  assert.equal(hashedCounts("", SMALL).size, 0);
});

test("IdfTable.fit() gives rare slots a higher IDF (smoothed: ln((1 + N) / (1 + df)) + 1)", () => {
  const idf = IdfTable.fit(["usb cable", "usb hub", "hdmi cable"], SMALL);
  const slot = (gram: string) => fnv1a(gram, 1) & (SMALL.buckets - 1);
  assert.ok(Math.abs(idf.idf(slot("usb")) - (Math.log(4 / 3) + 1)) < 1e-6);
  assert.ok(Math.abs(idf.idf(slot("hdmi")) - (Math.log(4 / 2) + 1)) < 1e-6);
  assert.ok(idf.idf(slot("hdmi")) > idf.idf(slot("usb")));
  assert.ok(Math.abs(idf.idf(slot("never seen")) - (Math.log(4) + 1)) < 1e-6);
  assert.equal(idf.frequencies!.get(slot("cable")), 2);
});

test("tfidfVector() is unit length, sorted, and the same for the same text", () => {
  const idf = IdfTable.fit(["usb cable", "usb hub", "hdmi cable"], SMALL);
  const a = tfidfVector("USB cable, 2 m", idf, SMALL);
  const norm = Math.hypot(...a.values);
  assert.ok(Math.abs(norm - 1) < 1e-5);
  for (let k = 1; k < a.indices.length; k++) assert.ok(a.indices[k] > a.indices[k - 1]);
  assert.deepEqual(tfidfVector("usb  CABLE 2 m", idf, SMALL), a);
  assert.equal(tfidfVector("", idf, SMALL).indices.length, 0);
});

test("tfidfVector() weighs a repeated n-gram by 1 + ln(count), not by its count", () => {
  const idf = IdfTable.fit(["usb cable", "usb hub", "hdmi cable"], SMALL);
  const slot = (gram: string) => fnv1a(gram, 1) & (SMALL.buckets - 1);
  const vector = tfidfVector("usb usb cable", idf, SMALL);
  const value = (s: number) => vector.values[vector.indices.indexOf(s)];
  const expected = ((1 + Math.log(2)) * idf.idf(slot("usb"))) / idf.idf(slot("cable"));
  assert.ok(Math.abs(value(slot("usb")) / value(slot("cable")) - expected) < 1e-5);
});
