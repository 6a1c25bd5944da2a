/**
 * The model on its own thread (embedder_thread.ts, the embedded Deno shape) gives the vectors
 * sentence-transformers gives (the parity titles of scripts/import_model.py --check), in the caller's
 * order, keeps calls apart when they overlap, and says why when the model cannot be loaded. Deno only:
 * Node has no Web Worker, and its worker processes embed on their own thread anyway.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { loadEmbedderOnThread } from "./embedder_thread.ts";
import { TEST_MODEL_ID, TEST_MODEL_PATH } from "../../testing/testing.ts";

const skip = "Deno" in globalThis
  ? false
  : "Node has no Web Worker: its workers embed in processes of their own";

test(
  "the thread returns sentence-transformers' vectors in order, for overlapping calls",
  { skip },
  async () => {
    const parity = JSON.parse(
      fs.readFileSync(path.join(TEST_MODEL_PATH, TEST_MODEL_ID, "parity.json"), "utf8"),
    ) as { titles: string[]; embeddings: number[][] };
    const embedder = await loadEmbedderOnThread({
      modelId: TEST_MODEL_ID,
      localModelPath: TEST_MODEL_PATH,
      allowRemoteModels: false,
    });
    try {
      assert.equal(embedder.dimensions, 384);
      const half = Math.ceil(parity.titles.length / 2);
      // Two calls in flight at once, as a batch and a label-name sweep may be.
      const [first, second] = await Promise.all([
        embedder.embed(parity.titles.slice(0, half)),
        embedder.embed(parity.titles.slice(half)),
      ]);
      const vectors = [...first, ...second];
      assert.equal(vectors.length, parity.titles.length);
      vectors.forEach((vector, i) => {
        const dot = vector.reduce((sum, x, d) => sum + x * parity.embeddings[i][d], 0);
        assert.ok(
          dot > 0.999,
          `"${parity.titles[i]}" came back with cosine ${dot.toFixed(4)} to its reference`,
        );
      });
      assert.deepEqual(await embedder.embed([]), []);
    } finally {
      embedder.close();
    }
    await assert.rejects(embedder.embed(["after close"]), /closed/);
  },
);

test(
  "a model that is not there fails to load with the reason and the way to build it",
  { skip },
  async () => {
    await assert.rejects(
      loadEmbedderOnThread({
        modelId: "no/such-model",
        localModelPath: TEST_MODEL_PATH,
        allowRemoteModels: false,
      }),
      /Cannot load embedding model "no\/such-model".*scripts\/ensure_model\.sh/s,
    );
  },
);
