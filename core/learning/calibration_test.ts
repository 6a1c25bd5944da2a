import { test } from "node:test";
import assert from "node:assert/strict";
import {
  calibrate,
  expectedCalibrationError,
  fitPlatt,
  IDENTITY_CALIBRATION,
  precisionAt,
  reliabilityBins,
} from "./calibration.ts";
import { seededRandom } from "./training.ts";

/** Answers from an over-confident scorer: a raw score s is right with probability s². */
function overconfident(count: number): { score: number; correct: boolean }[] {
  const random = seededRandom(3);
  return Array.from({ length: count }, () => {
    const score = 0.3 + 0.7 * random();
    return { score, correct: random() < score * score };
  });
}

test("fitPlatt() turns over-confident scores into ones that are right as often as they say", () => {
  const training = overconfident(2000);
  const calibration = fitPlatt(training);
  assert.equal(calibration.method, "platt");
  const fresh = overconfident(4000).map((answer) => ({
    confidence: calibrate(calibration, answer.score),
    correct: answer.correct,
  }));
  const raw = overconfident(4000).map((answer) => ({ confidence: answer.score, correct: answer.correct }));
  const after = expectedCalibrationError(reliabilityBins(fresh))!;
  const before = expectedCalibrationError(reliabilityBins(raw))!;
  assert.ok(after < 0.03, `calibrated ECE ${after}`);
  assert.ok(before > 0.1, `raw ECE ${before}`);
  // Monotone: a higher raw score never gets a lower confidence.
  assert.ok(calibrate(calibration, 0.9) > calibrate(calibration, 0.6));
});

test("fitPlatt() keeps scores as they are with fewer than ten held-out rows, and stays finite when all are right", () => {
  assert.deepEqual(fitPlatt(overconfident(9)), IDENTITY_CALIBRATION);
  assert.equal(calibrate(IDENTITY_CALIBRATION, 0.42), 0.42);
  const allRight = fitPlatt(Array.from({ length: 50 }, (_, i) => ({ score: 0.5 + i / 100, correct: true })));
  assert.ok(Number.isFinite(allRight.a) && Number.isFinite(allRight.b));
  assert.ok(calibrate(allRight, 0.6) > 0.6, "always right: more confident than the raw score");
});

test("reliabilityBins() counts each answer once and reports each bin's mean confidence and accuracy", () => {
  const bins = reliabilityBins([
    { confidence: 0.05, correct: false },
    { confidence: 0.95, correct: true },
    { confidence: 0.91, correct: false },
    { confidence: 1, correct: true },
  ]);
  assert.equal(bins.length, 10);
  assert.equal(bins.reduce((sum, bin) => sum + bin.count, 0), 4);
  assert.deepEqual(bins[0], { lower: 0, upper: 0.1, count: 1, confidence: 0.05, accuracy: 0 });
  assert.equal(bins[9].count, 3);
  assert.ok(Math.abs(bins[9].confidence! - (0.95 + 0.91 + 1) / 3) < 1e-12);
  assert.ok(Math.abs(bins[9].accuracy! - 2 / 3) < 1e-12);
  assert.equal(bins[5].confidence, null);
});

test("precisionAt() measures the share right among held-out rows at or above the threshold", () => {
  const scores: [number, number][] = [[0.99, 1], [0.95, 1], [0.9, 0], [0.5, 0]];
  assert.deepEqual(precisionAt(scores, 0.95), { count: 2, precision: 1 });
  assert.deepEqual(precisionAt(scores, 0.9), { count: 3, precision: 2 / 3 });
  assert.deepEqual(precisionAt(scores, 0.999), { count: 0, precision: null });
});
