import { test } from "node:test";
import assert from "node:assert/strict";
import type { EnsembleWeights } from "../../contract/schemas.ts";
import { combineEvidence, defaultEnsembleConfig, type Evidence, knnVote } from "./ensemble.ts";
import { seededRandom } from "./training.ts";
import { bestWeights, top, weightGrid } from "./weight_search.ts";

const VALUES = ["a", "b", "c", "d", "e", "f"];

/** Coarse scores, so that mixtures tie and the tie-breaks matter. */
function distribution(random: () => number): Map<string, number> {
  const raw = VALUES.map(() => Math.floor(random() * 3));
  raw[0] += 1;
  const sum = raw.reduce((total, x) => total + x, 0);
  return new Map(VALUES.map((value, i) => [value, raw[i] / sum]));
}

function items(count: number, seed: number): { evidence: Evidence; truth: string }[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const truth = VALUES[Math.floor(random() * VALUES.length)];
    const neighbours = Array.from({ length: 5 }, () => ({
      value: random() < 0.5 ? truth : VALUES[Math.floor(random() * VALUES.length)],
      similarity: [0.6, 0.8, 0.9][Math.floor(random() * 3)],
    }));
    const evidence: Evidence = { knn: knnVote(neighbours), zeroShot: distribution(random) };
    if (random() < 0.9) evidence.classifier = distribution(random);
    if (random() < 0.9) evidence.lexical = distribution(random);
    return { evidence, truth };
  });
}

/** The search as combineEvidence sees it, weighting by weighting. */
function bruteForce(scored: { evidence: Evidence; truth: string }[], grid: EnsembleWeights[]) {
  let best = { weights: grid[0], right: -1, soft: -1 };
  for (const weights of grid) {
    const config = { ...defaultEnsembleConfig(0), weights };
    let right = 0;
    let soft = 0;
    for (const item of scored) {
      const answer = combineEvidence(item.evidence, config);
      if (answer?.value === item.truth) {
        right++;
        soft += answer.raw;
      }
    }
    if (right > best.right || (right === best.right && soft > best.soft)) best = { weights, right, soft };
  }
  return best.weights;
}

test("weightGrid() spans the parts present on a 0.1 grid, each weighting summing to 1", () => {
  const all = weightGrid(new Set(["knn", "classifier", "zero_shot", "lexical"]));
  assert.equal(all.length, 286);
  for (const w of all) assert.ok(Math.abs(w.knn + w.classifier + w.zero_shot + (w.lexical ?? 0) - 1) < 1e-9);
  const some = weightGrid(new Set(["knn", "zero_shot"]));
  assert.equal(some.length, 11);
  assert.ok(some.every((w) => w.classifier === 0 && w.lexical === 0));
});

test("bestWeights() picks the weighting combineEvidence would, parts missing on some rows included", async () => {
  for (let seed = 1; seed <= 20; seed++) {
    const scored = items(seed % 2 === 0 ? 300 : 25, seed);
    const grid = weightGrid(new Set(["knn", "classifier", "zero_shot", "lexical"]));
    assert.deepEqual(await bestWeights(scored, grid, grid[0]), bruteForce(scored, grid));
  }
});

test("bestWeights() returns the fallback when there is nothing to fit on", async () => {
  const fallback = { knn: 0.2, classifier: 0.3, zero_shot: 0.5 };
  assert.deepEqual(await bestWeights([], weightGrid(new Set(["knn"])), fallback), fallback);
});

test("top() keeps what a stable sort by score keeps, in its order", () => {
  const random = seededRandom(11);
  for (let trial = 0; trial < 200; trial++) {
    // Few distinct scores, so that ties decide.
    const scores = new Map(
      Array.from(
        { length: 1 + Math.floor(random() * 30) },
        (_, i) => [`v${i}`, Math.floor(random() * 5) / 4],
      ),
    );
    const n = 1 + Math.floor(random() * 12);
    const sorted = [...scores].sort((a, b) => b[1] - a[1]).slice(0, n).map(([value]) => value);
    assert.deepEqual(top(scores, n), sorted);
  }
});
