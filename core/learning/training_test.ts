/**
 * trainEnsemble's deferred learning curve: the run returns with the one point of every training row, and
 * drawLearningCurve adds the points of ⅛, ¼ and ½ of them afterwards, in order, ending with that point.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadTf } from "../runtime/tf_backend.ts";
import { seededRandom, trainEnsemble } from "./training.ts";

const tf = await loadTf();

/** 240 rows of 4 values whose vectors lie near one axis per value (a learnable toy problem). */
function toyRows() {
  const random = seededRandom(3);
  return Array.from({ length: 240 }, (_, i) => {
    const value = `v${i % 4}`;
    const vector = Array.from({ length: 16 }, (_, d) => (d === i % 4 ? 1 : 0) + (random() - 0.5) * 0.6);
    const norm = Math.hypot(...vector);
    return { text: `${value} item ${i}`, value, vector: vector.map((x) => x / norm) };
  });
}

test("a deferred learning curve is drawn after the run, ending with the run's own point", async () => {
  const messages: string[] = [];
  const trained = await trainEnsemble(tf, toyRows(), {
    epochs: 5,
    learningCurve: "deferred",
    onProgress: (_done, _total, message) => {
      messages.push(message);
      return Promise.resolve();
    },
  });
  trained.classifier.dispose();
  const { metrics } = trained;
  assert.deepEqual(metrics.learning_curve, [{ labels: metrics.train_size, accuracy: metrics.accuracy }]);
  assert.ok(!messages.some((message) => message.startsWith("Learning curve")), messages.join(" | "));

  const later: string[] = [];
  const curve = await trained.drawLearningCurve!((_done, _total, message) => {
    later.push(message);
    return Promise.resolve();
  });
  assert.deepEqual(curve.map((point) => point.labels), [24, 48, 96, 192]);
  assert.deepEqual(curve.at(-1), metrics.learning_curve[0]);
  assert.ok(curve.every((point) => point.accuracy >= 0 && point.accuracy <= 1));
  assert.deepEqual(later, [24, 48, 96].map((labels) => `Learning curve: training on ${labels} labels`));
});

test("without deferral the curve comes with the run and there is nothing to draw after", async () => {
  const trained = await trainEnsemble(tf, toyRows(), { epochs: 5 });
  trained.classifier.dispose();
  assert.equal(trained.drawLearningCurve, undefined);
  assert.deepEqual(trained.metrics.learning_curve.map((point) => point.labels), [24, 48, 96, 192]);
});
