/**
 * The learning loop inside a worker, with the real embedding model and real products: a `retrain` job
 * writes a complete, verified version; activating it and a `rescore` job put it behind every waiting
 * row; another process follows the activation through NOTIFY, and refuses a corrupt version while it
 * keeps serving the one it has.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { JobProgress, ModelMetrics } from "../../contract/schemas.ts";
import { ModelRuntime, watchActiveModel } from "../models/active_model.ts";
import { DEFAULT_AUTO_RETRAIN, writeAutoRetrain } from "./auto_retrain_setting.ts";
import type { Database } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import { modelJobHandlers } from "../worker/model_jobs.ts";
import { activateModelVersion } from "../models/model_versions.ts";
import { enqueueRescore } from "../suggest/rescore_job.ts";
import { enqueueRetrain } from "./retrain_job.ts";
import { sql } from "../db/sql.ts";
import { type DatasetRow, datasetRows, openTestDatabase, testEmbedder } from "../../testing/testing.ts";
import { loadTf } from "../runtime/tf_backend.ts";
import { MIN_TRAINING_ROWS, trainEnsemble, TrainingError } from "../learning/training.ts";
import { startWorker, type WorkerHandle } from "../worker/worker_loop.ts";

let db: Database;
let embedder: Embedder;
let modelsDir: string;
let runtime: ModelRuntime;
let worker: WorkerHandle;
const stops: (() => Promise<void>)[] = [];
/** Rows of the 16 most common categories among the first 3,000 Amazon products, 30 rows or more each. */
let rows: DatasetRow[];
/** Product id → the category hidden from the model. */
const hidden = new Map<number, string>();

function runtimeFor(log: (message: string) => void = () => {}): ModelRuntime {
  return new ModelRuntime({
    modelsDir,
    embeddingModelId: embedder.modelId,
    dimensions: embedder.dimensions,
    log,
  });
}

async function waitForJob(
  id: number,
): Promise<{ status: string; result: any; progress: JobProgress | null }> {
  const started = Date.now();
  while (Date.now() - started < 120_000) {
    const [job] = await db.query<
      { status: string; result: any; progress: JobProgress | null; last_error: string }
    >(
      sql`SELECT status, result, progress, last_error FROM jobs WHERE id = ${id}`,
    );
    if (job.status === "done") return job;
    if (job.status === "failed" || job.last_error) assert.fail(`job ${id} failed: ${job.last_error}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`job ${id} did not finish in 120 s`);
}

before(async () => {
  db = await openTestDatabase();
  // These tests retrain and activate by hand (auto_retrain_test.ts covers the scheduler and the policy).
  await writeAutoRetrain(db, { ...DEFAULT_AUTO_RETRAIN, enabled: false, auto_activate: false });
  embedder = await testEmbedder();
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-versions-"));
  const all = datasetRows(3000).filter((row) => row.category.trim() !== "");
  const counts = new Map<string, number>();
  for (const row of all) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
  rows = all.filter((row) => counts.get(row.category)! >= 30).slice(0, 200);

  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, row_count) VALUES ('amazon.csv', 'imported', ${rows.length})
    RETURNING id`);
  // Every fourth row keeps its category hidden: those are the rows to suggest for.
  const products = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text, seed_label)
    SELECT ${created.id}, item.n, jsonb_build_object('title', item.title), item.title, item.label
    FROM unnest(${rows.map((_, i) => i + 1)}::int[], ${rows.map((row) => row.title)}::text[],
                ${rows.map((row, i) => i % 4 === 3 ? null : row.category)}::text[]) AS item(n, title, label)
    RETURNING id`);
  products.forEach((product, i) => {
    if (i % 4 === 3) hidden.set(product.id, rows[i].category);
  });
  await db.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, seed_label, 'seed' FROM products WHERE seed_label IS NOT NULL`);
  await db.query(sql`
    INSERT INTO embedding_queue (model_id, product_id) SELECT ${embedder.modelId}, id FROM products`);

  runtime = runtimeFor();
  worker = await startWorker(db, embedder, {
    batchSize: 32,
    pollMs: 100,
    leaseSeconds: 30,
    log: () => {},
    models: runtime,
    jobHandlers: modelJobHandlers({
      modelsDir,
      models: runtime,
      training: { epochs: 15, learningCurve: false },
    }),
  });
  await worker.idle();
});

after(async () => {
  for (const stop of stops) await stop();
  await worker?.stop();
  runtime?.close();
  await db?.close();
  if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
});

test("a retrain job trains a ready version on the labels and writes a complete folder", async () => {
  // In one transaction, so the worker cannot claim the first before the second is asked for.
  const [queued, again] = await db.transaction(async (tx) => [
    await enqueueRetrain(tx, { requested_by: "test" }),
    await enqueueRetrain(tx),
  ]);
  assert.deepEqual(again, { job_id: queued.job_id, already_queued: true }, "pressing twice trains once");
  const job = await waitForJob(queued.job_id);
  assert.equal(job.result.version, "v1");
  assert.equal(job.progress?.done, job.progress?.total);
  assert.match(job.progress!.message, /^v1: ready, held-out accuracy/);

  const [version] = await db.query<
    { status: string; metrics: ModelMetrics; train_size: number; label_count: number }
  >(
    sql`SELECT status, metrics, train_size, label_count FROM model_versions WHERE version = 'v1'`,
  );
  assert.equal(version.status, "ready");
  const { metrics } = version;
  assert.equal(metrics.train_size + metrics.holdout_size, 150);
  console.log(
    `v1: accuracy ${metrics.accuracy}, majority baseline ${metrics.majority_baseline}, ` +
      `parts ${JSON.stringify(metrics.components)}, weights ${JSON.stringify(metrics.weights)}`,
  );
  // 32 held-out rows: wide margins, since one row is three points.
  assert.ok(metrics.accuracy > 0.45, "right for most held-out rows");
  assert.ok(metrics.accuracy > 2 * metrics.majority_baseline, "far better than the most common label");
  assert.equal(metrics.heldout_scores.length, metrics.holdout_size);
  assert.equal(metrics.calibration.bins.reduce((sum, bin) => sum + bin.count, 0), metrics.holdout_size);
  const manifest = JSON.parse(fs.readFileSync(path.join(modelsDir, "v1/manifest.json"), "utf8"));
  assert.deepEqual(
    [manifest.embedding_model_id, manifest.dimensions, manifest.label_count],
    [embedder.modelId, 384, version.label_count],
  );
  assert.deepEqual(Object.keys(manifest.files).sort(), [
    "ensemble.json",
    "labels.json",
    "lexical.bin",
    "lexical.json",
    "metrics.json",
    "model.json",
    "weights.bin",
  ]);
  assert.equal(manifest.format, "csv-sorter-model/3");
});

test("activating a version and a rescore job put it behind every waiting row", async () => {
  await runtime.switchTo("v1", async () => {
    await activateModelVersion(db, "v1");
  });
  const job = await waitForJob(await enqueueRescore(db, { reason: "activation", version: "v1" }));
  assert.deepEqual(job.result, { reason: "activation", version: "v1", rescored: hidden.size });
  const suggestions = await db.query<
    { product_id: number; value: string; model_version: string; source: string }
  >(
    sql`SELECT product_id, value, model_version, source FROM suggestions WHERE product_id = ANY(${[
      ...hidden.keys(),
    ]}::int[])`,
  );
  assert.equal(suggestions.length, hidden.size);
  assert.ok(suggestions.every((row) => row.model_version === "v1"));
  const right = suggestions.filter((row) => hidden.get(row.product_id) === row.value).length;
  console.log(`v1 suggestions right for ${right} of ${hidden.size} hidden categories`);
  assert.ok(right > hidden.size / 2, `${right} of ${hidden.size}`);
});

test("another process follows an activation through NOTIFY and refuses a corrupt version, keeping its model", async () => {
  const messages: string[] = [];
  const other = runtimeFor((message) => messages.push(message));
  stops.push(await watchActiveModel(db, other, { pollMs: 60_000, log: () => {} }));
  stops.push(() => Promise.resolve(other.close()));
  assert.equal(other.version, "v1", "in step with the database from the start");
  assert.deepEqual(messages.splice(0), ["serving model v1"]);

  const v2 = await waitForJob((await enqueueRetrain(db)).job_id);
  assert.equal(v2.result.version, "v2");
  const weights = path.join(modelsDir, "v2/weights.bin");
  const bytes = fs.readFileSync(weights);
  bytes[bytes.length - 1] ^= 0x01;
  fs.writeFileSync(weights, bytes);
  // Another process validated v2 on its own disk and activated it; this one's copy is damaged.
  await activateModelVersion(db, "v2");
  const started = Date.now();
  while (messages.length === 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(messages, [
    'Cannot load model "v2": checksum of weights.bin does not match; still serving v1',
  ]);
  assert.equal(other.version, "v1");

  // Repaired, and announced again: now it switches.
  bytes[bytes.length - 1] ^= 0x01;
  fs.writeFileSync(weights, bytes);
  await activateModelVersion(db, "v2");
  // A function, so the type checker does not narrow `version` to the "v1" asserted above.
  const served = () => other.version;
  while (served() !== "v2" && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
  assert.equal(served(), "v2");
});

test("a scorer holding the old model finishes on it while the runtime swaps to a new one", async () => {
  const tf = await loadTf();
  const local = runtimeFor();
  local.install(await local.load("v1"));
  const lease = local.acquire();
  const tensorsBefore = tf.memory().numTensors;
  local.install(await local.load("v2"));
  assert.equal(local.version, "v2");
  assert.equal(lease.model?.version, "v1");
  const probe = tf.tidy(() => (lease.model!.classifier.predict(tf.ones([1, 384])) as any).dataSync());
  assert.equal(probe.length, lease.model!.labels.length, "the old model still predicts");
  const v1Tensors = tf.memory().numTensors;
  lease.release();
  assert.ok(tf.memory().numTensors < v1Tensors, "the old model's tensors are freed on release");
  assert.ok(tensorsBefore > 0);
  local.close();
});

test("training refuses fewer labelled rows than it can learn from, naming what it has", async () => {
  const tf = await loadTf();
  const few = Array.from({ length: MIN_TRAINING_ROWS - 1 }, (_, i) => ({
    text: `row ${i}`,
    value: i % 2 ? "a" : "b",
    vector: new Float32Array(384).fill(i),
  }));
  await assert.rejects(trainEnsemble(tf, few), (error: Error) => {
    assert.ok(error instanceof TrainingError);
    assert.equal(
      error.message,
      "Cannot train: need at least 10 labelled rows in 2 or more values, have 9 in 2",
    );
    return true;
  });
});
