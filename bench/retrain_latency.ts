/**
 * `npm run bench:retrain-latency`: does a background retrain get in reviewers' way on the embedded
 * default? One process holds what `npm start` holds without DATABASE_URL — PGlite, the worker loop with
 * the retrain and rescore handlers (default training options: epochs by size, learning curve) and the
 * web app served over HTTP — and a client on another thread (a Web Worker: its clock runs while this
 * process' event loop is blocked) requests GET /products-for-review?limit=20 one after another.
 *
 * Phases in the same run: idle (no job), then a retrain queued and run to its end, with the re-score of
 * the waiting rows that its activation queues (auto-activation; older code queued none) and the learning
 * curve that follows the job. Reported: p50, p95 and max latency of each phase and their ratio (retrain /
 * idle), when the retrain job, the re-score and the curve ended (seconds after the retrain was queued),
 * and the longest stall of this process' event loop meanwhile (a 10 ms interval timer's lateness).
 *
 * Data: the first --rows (default 2,000) Walmart-Amazon titles with a category, their real vectors
 * (embedded once, cached under ~/.cache/csv-sorter/bench/), --labelled (default 1,500) of them
 * seed-labelled, the rest waiting for review with a suggestion.
 *
 * Options: --rows N, --labelled N, --idle-seconds N (default 15), --trainer thread|here (where the
 * training runs: on a thread of its own as the embedded default does, or on the server's thread as before
 * it; default thread), --device auto|cpu|cuda (as a worker picks; "device" in the output says what ran),
 * --trace (list every stall over 250 ms
 * with the progress message the retrain reported last before it began: where it holds the event loop;
 * and the seconds spent after each kind of progress message: where the retrain spends its time).
 */
import { signedInApp } from "../testing/signed_in_app.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ModelRuntime } from "../core/models/active_model.ts";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { benchDevice, loadBenchEmbedder, loadBenchTf } from "./bench_device.ts";
import { migrate } from "../core/db/migrate.ts";
import { modelJobHandlers } from "../core/worker/model_jobs.ts";
import { trainerOnThread } from "../core/model_lifecycle/training_thread.ts";
import { sql, vectorLiteral } from "../core/db/sql.ts";
import { freePort, TEST_MODEL_ID, TEST_MODEL_PATH } from "../testing/testing.ts";
import type { JobHandler } from "../core/jobs/job_handler.ts";
import { startWorker } from "../core/worker/worker_loop.ts";
import { catalogueRows, createCatalogueImport, embedCached } from "./catalogue.ts";
import { percentile } from "./percentile.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "2000" },
    labelled: { type: "string", default: "1500" },
    "idle-seconds": { type: "string", default: "15" },
    trace: { type: "boolean", default: false },
    trainer: { type: "string", default: "thread" },
    device: { type: "string", default: "auto" },
  },
});
if (!["thread", "here"].includes(values.trainer!)) throw new Error("--trainer is thread or here");
const device = await benchDevice(values.device);
const ROWS = Number(values.rows);
const LABELLED = Number(values.labelled);
const IDLE_MS = Number(values["idle-seconds"]) * 1000;
const TRACE = values.trace;

function summary(latencies: number[]): { n: number; p50: number; p95: number; max: number } {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1) ?? NaN,
  };
}

const db = await openPgliteDatabase(undefined);
await migrate(db);
// The bench queues its retrain itself (the scheduler stays out of the measurement); a key older code
// does not read is harmless.
await db.query(sql`
  INSERT INTO settings (key, value)
  VALUES ('auto_retrain', '{"enabled": false, "every_labels": 50, "every_minutes": 5, "auto_activate": true}')
  ON CONFLICT (key) DO UPDATE SET value = excluded.value`);

const rows = catalogueRows().slice(0, ROWS);
console.error(`embedding ${rows.length} titles (cached after the first run)…`);
const vectors = await embedCached(rows.map((row) => row.title), "retrain-latency");
// Built once at the end: PGlite inserts into HNSW row by row slowly.
await db.query(sql`DROP INDEX embeddings_embedding_hnsw`);
const importId = await createCatalogueImport(db, "bench.csv", rows.length);
const numbers = rows.map((_, i) => i + 1);
await db.transaction(async (tx) => {
  await tx.query(sql`
    INSERT INTO products (import_id, row_number, data, text, seed_label)
    SELECT ${importId}, item.n, jsonb_build_object('title', item.title, 'category', item.category),
           item.title, CASE WHEN item.n <= ${LABELLED} THEN item.category END
    FROM unnest(${numbers}::int[], ${rows.map((row) => row.title)}::text[], ${
    rows.map((row) => row.category)
  }::text[]) AS item(n, title, category)`);
  await tx.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, seed_label, 'seed' FROM products WHERE seed_label IS NOT NULL`);
  await tx.query(sql`
    INSERT INTO suggestions (product_id, value, confidence, margin, source)
    SELECT id, data->>'category', random(), random() * 0.5, 'knn' FROM products WHERE seed_label IS NULL`);
  await tx.query(sql`
    INSERT INTO embeddings (product_id, model_id, embedding)
    SELECT products.id, ${TEST_MODEL_ID}, item.embedding::vector
    FROM unnest(${numbers}::int[], ${vectors.map(vectorLiteral)}::text[]) AS item(n, embedding)
    JOIN products ON products.row_number = item.n AND products.import_id = ${importId}`);
});
await db.query(
  sql`CREATE INDEX embeddings_embedding_hnsw ON embeddings USING hnsw (embedding vector_cosine_ops)`,
);
await db.query(sql`ANALYZE`);

const messages: { at: number; message: string }[] = [];
const embedder = await loadBenchEmbedder(device, {
  modelId: TEST_MODEL_ID,
  localModelPath: TEST_MODEL_PATH,
  allowRemoteModels: false,
  dtype: "fp32",
});
const tf = await loadBenchTf(device);
const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-bench-retrain-"));
const models = new ModelRuntime({
  modelsDir,
  embeddingModelId: TEST_MODEL_ID,
  dimensions: 384,
  log: () => {},
});
const worker = await startWorker(db, embedder, {
  batchSize: 32,
  pollMs: 2000,
  leaseSeconds: 120,
  log: () => {},
  models,
  jobHandlers: (() => {
    const handlers = modelJobHandlers({
      modelsDir,
      models,
      trainer: values.trainer === "thread" ? trainerOnThread(device.choice.training) : undefined,
    });
    return {
      ...handlers,
      // Every progress message with the moment it was reported, to place the stalls.
      retrain: (job, context) =>
        handlers.retrain(job, {
          ...context,
          progress: (done, total, message) => {
            messages.push({ at: Date.now(), message });
            return context.progress(done, total, message);
          },
        }),
    } satisfies Record<string, JobHandler>;
  })(),
});
await worker.idle();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024, models, modelsDir });
const port = await freePort();
const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, app.app.fetch);

// The client: sequential requests on its own thread, each stamped with its wall-clock start.
const clientSource = `
  let running = true;
  const samples = [];
  self.onmessage = async (event) => {
    if (event.data === "stop") { running = false; return; }
    const { url, token } = event.data;
    while (running) {
      const started = Date.now();
      const t0 = performance.now();
      const response = await fetch(url, { headers: { authorization: "Bearer " + token } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error("GET /products-for-review answered " + response.status);
      samples.push([started, performance.now() - t0]);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    self.postMessage(samples);
  };`;
const client = new Worker(URL.createObjectURL(new Blob([clientSource], { type: "text/javascript" })), {
  type: "module",
});
const collected = new Promise<[number, number][]>((resolve, reject) => {
  client.onmessage = (event) => resolve(event.data);
  client.onerror = (event) => reject(new Error(event.message));
});
// Signed in as the app's account: without its token every request is a 401.
client.postMessage({ url: `http://127.0.0.1:${port}/products-for-review?limit=20`, token: app.token });

const idleStart = Date.now();
await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
const idleEnd = Date.now();

// This process' event-loop stalls while the retrain runs: how late a 10 ms timer fires.
let longestStall = 0;
let last = performance.now();
/** Stalls over 250 ms: when they ended and how long they were. */
const stalls: { at: number; ms: number }[] = [];
const ticker = setInterval(() => {
  const now = performance.now();
  const stall = now - last - 10;
  longestStall = Math.max(longestStall, stall);
  if (stall > 250) stalls.push({ at: Date.now(), ms: Math.round(stall) });
  last = now;
}, 10);
const retrainStart = Date.now();
const [job] = await db.query<{ id: number }>(sql`
  INSERT INTO jobs (kind, payload, max_attempts) VALUES ('retrain', '{}', 1) RETURNING id`);
await db.query(sql`SELECT pg_notify('csv_sorter_work', ${`job:${job.id}`})`);
let status = "queued";
let result: unknown = null;
let lastError: string | null = null;
while (status === "queued" || status === "running") {
  await new Promise((resolve) => setTimeout(resolve, 100));
  [{ status, result, last_error: lastError }] = await db.query<
    { status: string; result: unknown; last_error: string | null }
  >(sql`SELECT status, result, last_error FROM jobs WHERE id = ${job.id}`);
}
const jobEnd = Date.now();
/** The progress message reported last before `at` ("" before the first). */
const before = (at: number) => messages.filter((entry) => entry.at <= at).at(-1)?.message ?? "";
// An auto-activated version queues the re-scoring of the waiting rows: part of what a retrain costs.
while (
  (await db.query(sql`SELECT 1 FROM jobs WHERE status IN ('queued', 'running') LIMIT 1`)).length > 0
) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const rescoreEnd = Date.now();
// The learning curve follows the job (JobContext.followUp): reviewers' requests are sampled until it is drawn.
await worker.idle();
const retrainEnd = Date.now();
clearInterval(ticker);

/**
 * Seconds spent after each kind of progress message until the next one (the last one until the retrain
 * and its re-score ended): where the retrain spends its time. Numbers are blanked out of the messages
 * ("Training: epoch # of #"), so a phase's epochs add up.
 */
function phases(): Record<string, number> {
  const seconds = new Map<string, number>();
  messages.forEach((entry, index) => {
    const end = messages[index + 1]?.at ?? retrainEnd;
    const kind = entry.message.replace(/^v\d+: /, "").replace(/loss [\d.]+/, "loss #").replace(
      /[\d,.]+%?/g,
      "#",
    );
    seconds.set(kind, (seconds.get(kind) ?? 0) + (end - entry.at) / 1000);
  });
  return Object.fromEntries([...seconds].map(([kind, s]) => [kind, Math.round(s * 10) / 10]));
}
client.postMessage("stop");
const samples = await collected;
client.terminate();

const idle = summary(samples.filter(([at]) => at >= idleStart && at < idleEnd).map(([, ms]) => ms));
const during = summary(samples.filter(([at]) => at >= retrainStart && at < retrainEnd).map(([, ms]) => ms));
const round = (value: number) => Math.round(value * 10) / 10;
console.log(JSON.stringify(
  {
    rows: ROWS,
    labelled: LABELLED,
    backend: tf.getBackend(),
    device: device.describe(tf),
    trainer: values.trainer,
    retrain: {
      status,
      job_seconds: round((jobEnd - retrainStart) / 1000),
      rescore_done_seconds: round((rescoreEnd - retrainStart) / 1000),
      curve_drawn_seconds: round((retrainEnd - retrainStart) / 1000),
      error: lastError,
      result,
    },
    idle_ms: { n: idle.n, p50: round(idle.p50), p95: round(idle.p95), max: round(idle.max) },
    retrain_ms: { n: during.n, p50: round(during.p50), p95: round(during.p95), max: round(during.max) },
    ratio: { p50: round(during.p50 / idle.p50), p95: round(during.p95 / idle.p95) },
    longest_event_loop_stall_ms: Math.round(longestStall),
    stalls_over_250_ms: stalls.length,
    ...(TRACE
      ? {
        stalls: stalls.map((stall) => ({
          ms: stall.ms,
          after_retrain_start_s: round((stall.at - stall.ms - retrainStart) / 1000),
          after_message: before(stall.at - stall.ms),
        })),
        phases: phases(),
        last_messages: messages.slice(-6).map((entry) => ({
          after_retrain_start_s: round((entry.at - retrainStart) / 1000),
          message: entry.message,
        })),
      }
      : {}),
  },
  null,
  2,
));
await server.shutdown();
await worker.stop();
models.close();
await db.close();
fs.rmSync(modelsDir, { recursive: true, force: true });
