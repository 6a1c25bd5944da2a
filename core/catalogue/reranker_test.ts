import { test } from "node:test";
import assert from "node:assert/strict";
import { seededRandom } from "../learning/training.ts";
import { FEATURE_COUNT, FEATURE_NAMES } from "./pair_features.ts";
import {
  DEFAULT_WEIGHTS,
  MIN_TRAINING_EXAMPLES,
  type RankingExample,
  rankingLoss,
  scoreCandidates,
  softmax,
  trainReranker,
} from "./reranker.ts";

const CODE_MATCH = FEATURE_NAMES.indexOf("codeMatch");

/** Lists of 8 candidates of noise in every feature, where only the positive has codeMatch = 1. */
function codeDecidedExamples(count: number, seed: number): RankingExample[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const positive = Math.floor(random() * 8);
    const features = Array.from({ length: 8 }, (_, at) => {
      const row = Float32Array.from({ length: FEATURE_COUNT }, () => random());
      row[CODE_MATCH] = at === positive ? 1 : 0;
      return row;
    });
    return { features, positive };
  });
}

test("softmax() gives probabilities that sum to 1, highest for the highest score", () => {
  const p = softmax([1000, 999, -5]);
  assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-12);
  assert.ok(p[0] > p[1] && p[1] > p[2]);
});

test("trainReranker() learns the one feature that decides the lists, from a prior that ignores it", () => {
  const zero = new Float32Array(FEATURE_COUNT);
  const examples = codeDecidedExamples(60, 1);
  const weights = trainReranker(examples, { prior: zero, l2: 0.1 });
  assert.ok(weights[CODE_MATCH] > 3, `codeMatch weight ${weights[CODE_MATCH]}`);
  for (let f = 0; f < FEATURE_COUNT; f++) {
    if (f !== CODE_MATCH) {
      assert.ok(Math.abs(weights[f]) < weights[CODE_MATCH] / 2, `weight ${f}: ${weights[f]}`);
    }
  }
  assert.ok(rankingLoss(weights, examples, zero, 0.1) < rankingLoss(zero, examples, zero, 0.1));
  // Held-out lists of the same kind are ranked right.
  for (const example of codeDecidedExamples(30, 2)) {
    const scores = scoreCandidates(weights, example.features);
    assert.equal(scores.indexOf(Math.max(...scores)), example.positive);
  }
});

test("trainReranker() keeps the prior when there are fewer than MIN_TRAINING_EXAMPLES lists", () => {
  const weights = trainReranker(codeDecidedExamples(MIN_TRAINING_EXAMPLES - 1, 3));
  assert.deepEqual(weights, DEFAULT_WEIGHTS);
  assert.notEqual(weights, DEFAULT_WEIGHTS, "a copy, so that callers cannot change the defaults");
});

test("trainReranker() stays near the prior when the prior is strong", () => {
  const weights = trainReranker(codeDecidedExamples(40, 4), { prior: DEFAULT_WEIGHTS, l2: 1e6 });
  for (let f = 0; f < FEATURE_COUNT; f++) assert.ok(Math.abs(weights[f] - DEFAULT_WEIGHTS[f]) < 0.01);
});
