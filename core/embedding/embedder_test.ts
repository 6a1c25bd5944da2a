/**
 * loadEmbedder's embed() returns each text's vector in the caller's order although it runs the model on
 * length-sorted chunks: the parity titles (mixed lengths, written by scripts/import_model.py --check with
 * sentence-transformers' own embeddings) must each come back next to their reference.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { TEST_MODEL_ID, TEST_MODEL_PATH, testEmbedder } from "../../testing/testing.ts";

test("embed() keeps the caller's order while batching texts by length", async () => {
  const parity = JSON.parse(
    fs.readFileSync(path.join(TEST_MODEL_PATH, TEST_MODEL_ID, "parity.json"), "utf8"),
  ) as { titles: string[]; embeddings: number[][] };
  const lengths = parity.titles.map((title) => title.length);
  assert.ok(
    lengths.some((length, i) => i > 0 && length > lengths[i - 1]),
    "the titles are not already longest first",
  );
  const embedder = await testEmbedder();
  const vectors = await embedder.embed(parity.titles);
  assert.equal(vectors.length, parity.titles.length);
  vectors.forEach((vector, i) => {
    const dot = vector.reduce((sum, x, d) => sum + x * parity.embeddings[i][d], 0);
    assert.ok(dot > 0.999, `"${parity.titles[i]}" came back with cosine ${dot.toFixed(4)} to its reference`);
  });
});
