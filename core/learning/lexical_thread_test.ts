/**
 * The lexical channel trained on its own thread (lexical_thread.ts) is the one trained here: same seed, same
 * weights, IDF and slots; its epochs are reported; a rejected report ends the run. Under both runtimes: a
 * Web Worker under Deno, worker_threads under Node.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { lexicalProbabilities, trainLexical } from "./lexical.ts";
import { trainLexicalOnThread } from "./lexical_thread.ts";
import { seededRandom } from "./training.ts";

/** Titles carried by a model number's prefix; vectors in float32 precision, as the database returns them. */
function catalogue(count: number, seed: number) {
  const random = seededRandom(seed);
  const kinds = [["toner", "tnr"], ["cable", "usb"], ["mouse", "mxr"]];
  return Array.from({ length: count }, (_, i) => {
    const [value, prefix] = kinds[i % kinds.length];
    return {
      text: `${["acme", "generic", "pro"][Math.floor(random() * 3)]} ${prefix}${
        Math.floor(random() * 900 + 100)
      }`,
      vector: Array.from(Float32Array.from({ length: 16 }, () => random() - 0.5)),
      value,
    };
  });
}

test("the thread trains the model trained here, epoch for epoch", async () => {
  const train = catalogue(300, 1);
  const watch = catalogue(60, 2);
  const labels = ["toner", "cable", "mouse"];
  const options = { seed: 5, epochs: 6, watch: { rows: watch, values: watch.map((row) => row.value) } };
  const epochs: number[] = [];
  const there = await trainLexicalOnThread(train, train.map((row) => row.value), labels, {
    ...options,
    onEpoch: (epoch) => {
      epochs.push(epoch);
      return Promise.resolve();
    },
  });
  const here = await trainLexical(train, train.map((row) => row.value), labels, options);
  assert.ok(epochs.length >= 1 && epochs.every((epoch, i) => epoch === i + 1), epochs.join());
  assert.deepEqual(there.head.sparseWeights, here.head.sparseWeights);
  assert.deepEqual(there.head.denseWeights, here.head.denseWeights);
  assert.deepEqual(there.head.slots, here.head.slots);
  assert.deepEqual(there.idf.slots, here.idf.slots);
  assert.equal(there.idf.unseenIdf, here.idf.unseenIdf, "the IDF table is usable, not a bare clone");
  assert.deepEqual(lexicalProbabilities(there, watch), lexicalProbabilities(here, watch));
});

test("a rejected epoch report ends the run with its error", async () => {
  const train = catalogue(300, 3);
  await assert.rejects(
    trainLexicalOnThread(train, train.map((row) => row.value), ["toner", "cable", "mouse"], {
      epochs: 5,
      onEpoch: () => Promise.reject(new Error("lease lost")),
    }),
    /lease lost/,
  );
});
