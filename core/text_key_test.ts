/**
 * The text key (text_key.ts) on a corpus of strings that look alike and are stored differently:
 * decomposed accents, compatibility forms, case pairs outside ASCII, invisible characters, every kind of
 * space. The database side (stored keys, the exact-match join, search) is in db/text_key_fill_test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { searchKey, textKey } from "./text_key.ts";
import { DIFFERENT_TEXTS, SAME_TEXTS } from "../testing/text_key_corpus.ts";

test("texts a person reads as the same share one key; others do not", () => {
  const keys = SAME_TEXTS.map((group) => {
    const key = textKey(group[0]);
    for (const text of group) assert.equal(textKey(text), key, JSON.stringify(text));
    return key;
  });
  const all = [...keys, ...DIFFERENT_TEXTS.map(textKey)];
  assert.equal(new Set(all).size, all.length, JSON.stringify(all));
});

test("the key is what the issue names, and keying twice changes nothing", () => {
  assert.equal(textKey("Cafe\u0301 cre\u0300me frother"), "café crème frother");
  assert.equal(textKey("Garden\u200b hose 20\u00a0m"), "garden hose 20 m");
  assert.equal(textKey("ﬁle ＡＢＣ"), "file abc");
  assert.equal(textKey("Straße ẞ"), "strasse ss");
  assert.equal(textKey(" \u200b\u00a0\t"), "");
  for (const text of [...SAME_TEXTS.flat(), ...DIFFERENT_TEXTS]) {
    assert.equal(textKey(textKey(text)), textKey(text), JSON.stringify(text));
    assert.equal(searchKey(searchKey(text)), searchKey(text), JSON.stringify(text));
  }
});

test("the search key also ignores accents", () => {
  const creme = searchKey("crème");
  assert.equal(creme, "creme");
  assert.equal(searchKey("Cre\u0300me"), creme);
  assert.equal(searchKey("CREME"), creme);
  assert.equal(searchKey("résumé"), searchKey("resume"));
  assert.equal(searchKey("İstanbul"), searchKey("istanbul"));
});
