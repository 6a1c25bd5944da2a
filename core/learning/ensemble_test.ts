import { test } from "node:test";
import assert from "node:assert/strict";
import type { EnsembleConfig } from "../../contract/schemas.ts";
import { combineEvidence, defaultEnsembleConfig, knnVote, priorWeights, zeroShotScores } from "./ensemble.ts";

const trained: EnsembleConfig = {
  ...defaultEnsembleConfig(0),
  weights: { knn: 0.5, classifier: 0.5, zero_shot: 0 },
  memory_precision: 0.9,
};

test("with only neighbours the ensemble is the kNN vote: share × closest similarity", () => {
  const knn = knnVote([
    { value: "cables", similarity: 0.9 },
    { value: "tools", similarity: 0.5 },
    { value: "tools", similarity: 0.5 },
  ]);
  const answer = combineEvidence({ knn }, defaultEnsembleConfig(3))!;
  assert.equal(answer.value, "tools");
  assert.equal(answer.source, "knn");
  assert.ok(Math.abs(answer.confidence - (1 / 1.9) * 0.5) < 1e-9);
  // The margin ranks by the squared shares (see squared() in ensemble.ts): (1² − 0.9²) / (1² + 0.9²).
  assert.ok(Math.abs(answer.margin - (1 - 0.81) / 1.81) < 1e-9);
});

test("a text a person already normalised gets that value from the memory, a person over a seed label", () => {
  const knn = knnVote([{ value: "other", similarity: 0.99 }]);
  const answer = combineEvidence({
    knn,
    memory: [{ value: "from file", count: 2, human: false }, {
      value: "from reviewer",
      count: 1,
      human: true,
    }],
  }, trained)!;
  assert.deepEqual(
    { value: answer.value, source: answer.source },
    { value: "from reviewer", source: "memory" },
  );
  assert.ok(Math.abs(answer.confidence - 0.9 / 3) < 1e-9, "memory precision × agreement share");
  const unanimous = combineEvidence({ memory: [{ value: "a", count: 4, human: true }] }, trained)!;
  assert.equal(unanimous.confidence, 0.9);
  assert.equal(unanimous.margin, 1);
});

test("with no labels at all zero-shot on label names answers alone", () => {
  const zeroShot = zeroShotScores([
    { value: "headphones", similarity: 0.55 },
    { value: "printer ink", similarity: 0.2 },
  ], 0.05);
  const answer = combineEvidence({ zeroShot }, defaultEnsembleConfig(0))!;
  assert.equal(answer.value, "headphones");
  assert.equal(answer.source, "zero_shot");
  assert.ok(answer.confidence > 0.99);
  assert.equal(combineEvidence({}, defaultEnsembleConfig(0)), null);
});

test("zero-shot counts as one labelled row per label name, less and less as labels arrive", () => {
  assert.equal(defaultEnsembleConfig(0, 16).weights.zero_shot, 1);
  assert.equal(defaultEnsembleConfig(16, 16).weights.zero_shot, 0.5);
  assert.ok(Math.abs(defaultEnsembleConfig(1000, 141).weights.zero_shot - 141 / 1141) < 1e-12);
  assert.equal(defaultEnsembleConfig(10, 0).weights.knn, 1, "no label names: kNN alone");
  assert.deepEqual(priorWeights(30, 10, true), { knn: 0.375, classifier: 0.375, zero_shot: 0.25 });
});

test("the mixture picks the value the weighted parts agree on and names the part that counted most", () => {
  const knn = knnVote([{ value: "mice", similarity: 0.8 }, { value: "keyboards", similarity: 0.8 }]);
  const classifier = new Map([["keyboards", 0.7], ["mice", 0.2], ["cables", 0.1]]);
  const answer = combineEvidence({ knn, classifier }, trained)!;
  assert.equal(answer.value, "keyboards");
  assert.equal(answer.source, "classifier");
  // raw = ½·(½ share × 0.8 similarity) + ½·0.7
  assert.ok(Math.abs(answer.raw - (0.5 * 0.5 * 0.8 + 0.5 * 0.7)) < 1e-9);
  assert.ok(Math.abs(answer.margin - ((0.25 + 0.35) - (0.25 + 0.1))) < 1e-9);
});
