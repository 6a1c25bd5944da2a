/**
 * A retrain job ends once its version is stored and its activation decided; the version's learning curve
 * follows it (JobContext.followUp) and lands in its metrics later. The worker's stop() ends a curve being
 * drawn and waits for it; a newer retrain ends the curve of the one before. Training runs on its own
 * thread here (training_thread.ts, the embedded shape), whose end is what ends a curve at once; each
 * curve waits at a gate the test opens, so "before" and "after" are not a matter of timing.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ModelMetrics } from "../../contract/schemas.ts";
import type { Database } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import { ModelRuntime } from "../models/active_model.ts";
import { sql } from "../db/sql.ts";
import { datasetRows, openTestDatabase, startTestWorker, testEmbedder } from "../../testing/testing.ts";
import { seedProducts } from "../../testing/worker_processes.ts";
import type { WorkerHandle } from "../worker/worker_loop.ts";
import { modelJobHandlers } from "../worker/model_jobs.ts";
import { DEFAULT_AUTO_RETRAIN, writeAutoRetrain } from "./auto_retrain_setting.ts";
import { enqueueRetrain } from "./retrain_job.ts";
import { trainerOnThread } from "./training_thread.ts";
import type { VersionTrainer } from "./version_training.ts";

let db: Database;
let embedder: Embedder;
let modelsDir: string;
let runtime: ModelRuntime;

/** One retrain's curve: held at its gate until `open()`; `settled` says how its drawing ended. */
interface Gate {
  open(): void;
  settled: Promise<"drawn" | string>;
}
const gates: Gate[] = [];

/** The thread trainer, each version's curve held at a gate; ending the thread opens it (as an abort does). */
const gatedTrainer: VersionTrainer = async (input, onProgress) => {
  const trained = await trainerOnThread()(input, onProgress);
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  let settle: (outcome: "drawn" | string) => void = () => {};
  gates.push({ open, settled: new Promise((resolve) => (settle = resolve)) });
  const draw = trained.drawLearningCurve!;
  return {
    ...trained,
    drawLearningCurve: async (onCurveProgress) => {
      await opened;
      try {
        const curve = await draw(onCurveProgress);
        settle("drawn");
        return curve;
      } catch (error) {
        settle((error as Error).message);
        throw error;
      }
    },
    dispose: () => {
      trained.dispose();
      open();
    },
  };
};

function startCurveWorker(): Promise<WorkerHandle> {
  return startTestWorker(db, {
    models: runtime,
    // Epochs fixed for speed; the curve is deferred, as in every retrain the product runs.
    jobHandlers: modelJobHandlers({
      modelsDir,
      models: runtime,
      training: { epochs: 4 },
      trainer: gatedTrainer,
    }),
  });
}

async function jobDone(id: number): Promise<{ version: string }> {
  for (const started = Date.now(); Date.now() - started < 120_000;) {
    const [job] = await db.query<{ status: string; result: { version: string }; last_error: string | null }>(
      sql`SELECT status, result, last_error FROM jobs WHERE id = ${id}`,
    );
    if (job.status === "done") return job.result;
    if (job.status === "failed") assert.fail(`job ${id} failed: ${job.last_error}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`job ${id} did not finish in 120 s`);
}

async function curveOf(version: string): Promise<ModelMetrics["learning_curve"]> {
  const [row] = await db.query<{ metrics: ModelMetrics }>(
    sql`SELECT metrics FROM model_versions WHERE version = ${version}`,
  );
  return row.metrics.learning_curve;
}

before(async () => {
  db = await openTestDatabase();
  await writeAutoRetrain(db, { ...DEFAULT_AUTO_RETRAIN, enabled: false, auto_activate: false });
  embedder = await testEmbedder();
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-curve-"));
  runtime = new ModelRuntime({
    modelsDir,
    embeddingModelId: embedder.modelId,
    dimensions: embedder.dimensions,
    log: () => {},
  });
  const all = datasetRows(2000).filter((row) => row.category.trim() !== "");
  const counts = new Map<string, number>();
  for (const row of all) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
  const rows = all.filter((row) => counts.get(row.category)! >= 30).slice(0, 240);
  await seedProducts(db, rows.map((row) => row.title), {
    modelId: embedder.modelId,
    fileName: "amazon.csv",
    labels: rows.map((row) => row.category),
  });
});

after(async () => {
  for (const gate of gates) gate.open();
  runtime?.close();
  await db?.close();
  if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
});

test("the job ends before its curve; the curve lands in the version's metrics afterwards", async () => {
  const worker = await startCurveWorker();
  try {
    await worker.idle();
    const { version } = await jobDone((await enqueueRetrain(db)).job_id);
    const [progress] = await db.query<{ message: string }>(sql`
      SELECT progress->>'message' AS message FROM jobs WHERE kind = 'retrain' ORDER BY id DESC LIMIT 1`);
    assert.match(progress.message, /its learning curve follows$/);
    const one = await curveOf(version);
    assert.equal(one.length, 1, "only the version's own point while the curve is held");
    let idle = false;
    const waited = worker.idle().then(() => (idle = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(idle, false, "idle() waits for the curve");
    gates.at(-1)!.open();
    assert.equal(await gates.at(-1)!.settled, "drawn");
    await waited;
    const curve = await curveOf(version);
    assert.ok(curve.length >= 2, `a curve of ${curve.length} points`);
    assert.deepEqual(curve.at(-1), one[0], "ending at the version's own point");
    assert.deepEqual(
      curve.map((point) => point.labels),
      [...curve.map((p) => p.labels)].sort((a, b) => a - b),
    );
  } finally {
    await worker.stop();
  }
});

test("a newer retrain ends the curve of the one before; stop() ends the one being drawn and waits", async () => {
  const worker = await startCurveWorker();
  let stopped = false;
  try {
    const first = await jobDone((await enqueueRetrain(db)).job_id);
    const firstGate = gates.at(-1)!;
    const second = await jobDone((await enqueueRetrain(db)).job_id);
    assert.notEqual(second.version, first.version);
    assert.equal(await firstGate.settled, "The training thread has ended");
    assert.equal((await curveOf(first.version)).length, 1, "nothing stored for the ended curve");

    const secondGate = gates.at(-1)!;
    await worker.stop();
    stopped = true;
    assert.equal(await secondGate.settled, "The training thread has ended");
    assert.equal((await curveOf(second.version)).length, 1);
  } finally {
    if (!stopped) await worker.stop();
  }
});
