import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeLexical,
  encodeLexical,
  LEXICAL_PRUNE_BELOW,
  type LexicalModel,
  lexicalProbabilities,
  trainLexical,
} from "./lexical.ts";
import { predictLinear, trainLinearHead } from "./linear_head.ts";
import { seededRandom } from "./training.ts";

/**
 * Titles whose category is given away only by a model number's prefix; the "embeddings" are noise
 * shared by no category, so only the n-grams can tell.
 */
function catalogue(count: number, seed: number) {
  const random = seededRandom(seed);
  const kinds = [["toner", "tnr"], ["cable", "usb"], ["mouse", "mxr"]];
  return Array.from({ length: count }, (_, i) => {
    const [value, prefix] = kinds[i % kinds.length];
    const vector = Array.from({ length: 8 }, (_, d) => (d === 0 ? 1 : 0.1 * (random() - 0.5)));
    const norm = Math.hypot(...vector);
    return {
      text: `${["acme", "generic", "pro"][Math.floor(random() * 3)]} ${prefix}${
        Math.floor(random() * 900 + 100)
      } item`,
      vector: vector.map((x) => x / norm),
      value,
    };
  });
}

test("the lexical channel learns categories carried only by character n-grams", async () => {
  const train = catalogue(60, 1);
  const test = catalogue(60, 2);
  const labels = ["toner", "cable", "mouse"];
  const model = await trainLexical(train, train.map((row) => row.value), labels, { seed: 1 });
  const probabilities = lexicalProbabilities(model, test);
  const right = probabilities.filter((p, i) => labels[p.indexOf(Math.max(...p))] === test[i].value).length;
  // Unseen model numbers share only their prefix's character n-grams with the training titles.
  assert.ok(right / test.length > 0.9, `accuracy ${right / test.length}`);
  for (const p of probabilities) assert.ok(Math.abs(p.reduce((sum, x) => sum + x, 0) - 1) < 1e-5);
});

test("a lexical channel encoded and decoded scores exactly as before", async () => {
  const train = catalogue(30, 3);
  const labels = ["toner", "cable", "mouse"];
  const model = await trainLexical(train, train.map((row) => row.value), labels, { epochs: 5 });
  const { json, bin } = encodeLexical(model);
  // An unaligned copy, as a file read into a larger buffer can be.
  const shifted = new Uint8Array(bin.length + 1).subarray(1);
  shifted.set(bin);
  const loaded = decodeLexical(JSON.parse(json), shifted, labels);
  const probe = catalogue(10, 4);
  assert.deepEqual(lexicalProbabilities(loaded, probe), lexicalProbabilities(model, probe));
  assert.throws(() => decodeLexical(JSON.parse(json), bin.subarray(4), labels), /lexical.bin has/);
  assert.throws(() => decodeLexical(JSON.parse(json), bin, ["toner", "cable"]), /3 classes, labels.json 2/);
  assert.throws(
    () => decodeLexical({ ...JSON.parse(json), hashing: { buckets: 1000 } }, bin, labels),
    /does not/,
  );
});

test("trainLinearHead() fits a dense-only problem and folds the dense scale into its weights", async () => {
  const empty = { indices: new Int32Array(0), values: new Float32Array(0) };
  const rows = [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]].map((dense) => ({ sparse: empty, dense }));
  const head = await trainLinearHead(rows, [0, 0, 1, 1], 2, 2, { epochs: 50, denseScale: 3, rate: 0.5 });
  const [a, b] = predictLinear(head, [{ sparse: empty, dense: [1, 0] }, { sparse: empty, dense: [0, 1] }]);
  assert.ok(a[0] > 0.8 && b[1] > 0.8, `${a} ${b}`);
});

/** lexical.bin as versions before the sparse layout wrote it: every slot × class weight. */
function denseLayout(model: LexicalModel): { json: unknown; bin: Uint8Array } {
  const { head, idf } = model;
  const json = JSON.parse(encodeLexical(model).json);
  delete json.layout;
  delete json.entries;
  const rowSlots = new Int32Array(head.slots.size);
  for (const [slot, row] of head.slots) rowSlots[row] = slot;
  const parts = [
    rowSlots,
    head.sparseWeights,
    head.denseWeights,
    head.bias,
    Int32Array.from(idf.slots.keys()),
    Float32Array.from(idf.slots.values()),
  ];
  const bin = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bin.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), offset);
    offset += part.byteLength;
  }
  return { json, bin };
}

test("a trained channel keeps no tiny weights and stores only the others; the older dense layout still loads", async () => {
  const train = catalogue(60, 5);
  // Labels no row carries: their weights only ever get the first updates' ~1/300 share, all tiny.
  const labels = ["toner", "cable", "mouse", ...Array.from({ length: 297 }, (_, i) => `unused ${i}`)];
  const model = await trainLexical(train, train.map((row) => row.value), labels, { epochs: 5 });
  const weights = model.head.sparseWeights;
  assert.ok(weights.every((w) => w === 0 || Math.abs(w) >= LEXICAL_PRUNE_BELOW));
  const kept = weights.filter((w) => w !== 0).length;
  assert.ok(kept > 0 && kept < weights.length, `${kept} of ${weights.length} weights kept`);
  const { json, bin } = encodeLexical(model);
  assert.equal(JSON.parse(json).entries, kept);
  const old = denseLayout(model);
  assert.ok(bin.length < old.bin.length, `${bin.length} bytes, dense ${old.bin.length}`);
  const probe = catalogue(10, 6);
  const expected = lexicalProbabilities(model, probe);
  assert.deepEqual(lexicalProbabilities(decodeLexical(JSON.parse(json), bin, labels), probe), expected);
  assert.deepEqual(lexicalProbabilities(decodeLexical(old.json, old.bin, labels), probe), expected);
  // An entry naming a class past the last one is refused, not written out of bounds.
  const broken = bin.slice();
  const classesAt = (model.head.slots.size + model.head.slots.size + 1) * 4;
  new DataView(broken.buffer).setInt32(classesAt, labels.length, true);
  assert.throws(() => decodeLexical(JSON.parse(json), broken, labels), /names class 300 of 300/);
});
