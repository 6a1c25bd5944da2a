/**
 * Training on a thread of its own (training_thread.ts, the embedded Deno shape) makes the version training
 * here makes: the same split, labels and a folder that loads; the deferred learning curve is drawn there;
 * a lost lease (a rejected progress report) ends the thread and the run with that error; too few labels
 * arrive as a TrainingError. Under both runtimes (the product starts it under Deno only).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { LabelledRow } from "../learning/evidence.ts";
import { TrainingError } from "../learning/training.ts";
import { loadModelVersion } from "../models/model_store.ts";
import { loadTf } from "../runtime/tf_backend.ts";
import { datasetRows, testEmbedder } from "../../testing/testing.ts";
import { trainerOnThread } from "./training_thread.ts";
import { trainVersion, type VersionTrainingInput } from "./version_training.ts";

let modelsDir: string;
let rows: LabelledRow[];
let input: (version: string) => VersionTrainingInput;

before(async () => {
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-training-thread-"));
  const all = datasetRows(1500).filter((row) => row.category.trim() !== "");
  const counts = new Map<string, number>();
  for (const row of all) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
  const kept = all.filter((row) => counts.get(row.category)! >= 25).slice(0, 240);
  const embedder = await testEmbedder();
  const vectors = await embedder.embed(kept.map((row) => row.title));
  rows = kept.map((row, i) => ({
    text: row.title,
    value: row.category,
    vector: vectors[i],
    productId: i + 1,
  }));
  input = (version) => ({
    version,
    rows,
    labelNames: [],
    seed: 11,
    training: { epochs: 4 },
    modelsDir,
    embeddingModelId: embedder.modelId,
    dimensions: embedder.dimensions,
    feedbackSnapshot: 0,
  });
});

after(() => {
  if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
});

test("the thread trains the version this thread trains, and draws its learning curve", async () => {
  const tf = await loadTf();
  const messages: string[] = [];
  const there = await trainerOnThread()(input("v1"), (done, total, message) => {
    assert.ok(done <= total, `step ${done} of ${total}`);
    messages.push(message);
    return Promise.resolve();
  });
  const here = await trainVersion(tf, input("v2"), () => Promise.resolve());
  try {
    assert.ok(
      messages.includes("saving") && messages.includes("checking the saved files"),
      messages.join(" | "),
    );
    assert.deepEqual(there.labels, here.labels);
    // The split is seeded and comes back as the caller's own rows.
    assert.deepEqual(
      there.split.holdout.map((row) => row.productId),
      here.split.holdout.map((row) => row.productId),
    );
    assert.ok(there.split.train.every((row) => rows.includes(row)));
    assert.equal(there.metrics.train_size + there.metrics.holdout_size, rows.length);
    assert.equal(there.metrics.heldout_scores?.length, there.split.holdout.length);
    assert.ok(
      there.metrics.accuracy > there.metrics.majority_baseline,
      `accuracy ${there.metrics.accuracy} against the majority's ${there.metrics.majority_baseline}`,
    );
    assert.ok(Math.abs(there.metrics.accuracy - here.metrics.accuracy) < 0.15);
    const stored = await loadModelVersion(tf, modelsDir, "v1", {
      embeddingModelId: input("v1").embeddingModelId,
      dimensions: input("v1").dimensions,
    });
    stored.classifier.dispose();
    assert.ok(there.drawLearningCurve, "the curve is deferred by default");
    const curve = await there.drawLearningCurve();
    assert.ok(curve.length >= 2, JSON.stringify(curve));
    assert.equal(curve.at(-1)!.labels, there.metrics.train_size);
  } finally {
    there.dispose();
    here.dispose();
  }
  await assert.rejects(there.drawLearningCurve!(), /ended/, "a disposed run's thread is gone");
});

test("a rejected progress report ends the run with its error", async () => {
  let reports = 0;
  await assert.rejects(
    trainerOnThread()(input("v3"), () => {
      reports++;
      return reports === 2 ? Promise.reject(new Error("lease lost")) : Promise.resolve();
    }),
    /lease lost/,
  );
  assert.equal(fs.existsSync(path.join(modelsDir, "v3", "manifest.json")), false, "nothing was saved");
});

test("too few labels arrive as a TrainingError", async () => {
  await assert.rejects(
    trainerOnThread()({ ...input("v4"), rows: rows.slice(0, 3) }, () => Promise.resolve()),
    (error) => error instanceof TrainingError && /Cannot train|labelled/.test(error.message),
  );
});
