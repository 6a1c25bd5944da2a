/**
 * Retraining and activation by themselves, with the real embedding model, real products (the 16 most
 * common categories among the first 3,000 Amazon rows of datasets/walmart_amazon) and the real database
 * (PGlite, or the TEST_DATABASE_URL server): one retrain queued or running at a time however many ask
 * at once; seed labels of an imported file trained and activated without anyone pressing Retrain; a
 * retrain after N decisions and not before; after some minutes with fewer; the activation policy
 * comparing both versions on the new one's held-out rows, and switched off.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { AutoRetrainSetting } from "../../contract/schemas.ts";
import { ModelRuntime } from "../models/active_model.ts";
import { autoActivate, heldoutRight } from "./auto_activation.ts";
import { judgeRetrain, scheduleRetrain } from "./auto_retrain.ts";
import { DEFAULT_AUTO_RETRAIN, writeAutoRetrain } from "./auto_retrain_setting.ts";
import type { Database } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import type { LabelledRow } from "../learning/evidence.ts";
import { claimJob, completeJob } from "../jobs/jobs.ts";
import { readLabelNames } from "../suggest/label_names.ts";
import { modelJobHandlers } from "../worker/model_jobs.ts";
import { enqueueRetrain, readTrainingRows, type RetrainResult } from "./retrain_job.ts";
import { sql } from "../db/sql.ts";
import { type DatasetRow, datasetRows, openTestDatabase, testEmbedder } from "../../testing/testing.ts";
import { loadTf } from "../runtime/tf_backend.ts";
import { seededRandom, stratifiedSplit } from "../learning/training.ts";
import { startWorker, type WorkerHandle } from "../worker/worker_loop.ts";

let db: Database;
let embedder: Embedder;
let modelsDir: string;
let runtime: ModelRuntime;
let worker: WorkerHandle | undefined;
let rows: DatasetRow[];
let importId: number;

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${what}: not within ${ms} ms`);
}

interface RetrainRow {
  id: number;
  status: string;
  payload: { trigger?: string; reason?: string };
  result: RetrainResult | null;
  last_error: string | null;
}

function retrainJobs(): Promise<RetrainRow[]> {
  return db.query<RetrainRow>(sql`
    SELECT id, status, payload, result, last_error FROM jobs WHERE kind = 'retrain' ORDER BY id`);
}

async function finished(id: number): Promise<RetrainRow> {
  return await waitFor(`retrain job ${id} to finish`, async () => {
    const job = (await retrainJobs()).find((row) => row.id === id);
    if (job?.status === "failed") assert.fail(`job ${id} failed: ${job.last_error}`);
    return job?.status === "done" ? job : undefined;
  });
}

/** Adds `count` dataset rows as an imported file, the first `labelled` with their category as seed label. */
async function importRows(from: number, count: number, labelled: number): Promise<number[]> {
  const slice = rows.slice(from, from + count);
  const products = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text, seed_label)
    SELECT ${importId}, item.n, jsonb_build_object('title', item.title), item.title, item.label
    FROM unnest(${slice.map((_, i) => from + i + 1)}::int[], ${slice.map((row) => row.title)}::text[],
                ${slice.map((row, i) => i < labelled ? row.category : null)}::text[]) AS item(n, title, label)
    RETURNING id`);
  const ids = products.map((product) => product.id);
  // As csv_import.ts finishes an import: seed labels and the embedding queue in one short transaction.
  await db.transaction(async (tx) => {
    await tx.query(sql`
      INSERT INTO product_labels (product_id, value, source)
      SELECT id, seed_label, 'seed' FROM products WHERE id = ANY(${ids}::int[]) AND seed_label IS NOT NULL`);
    await tx.query(sql`
      INSERT INTO embedding_queue (model_id, product_id)
      SELECT ${embedder.modelId}, id FROM unnest(${ids}::int[]) AS id`);
    await tx.query(sql`SELECT pg_notify('csv_sorter_work', 'import')`);
  });
  return ids;
}

/** Records reviewers' decisions as core/review/feedback.ts does: a feedback row and the product's label. */
async function decide(decisions: { id: number; value: string }[]): Promise<void> {
  const ids = decisions.map((d) => d.id);
  const values = decisions.map((d) => d.value);
  await db.transaction(async (tx) => {
    await tx.query(sql`
      INSERT INTO feedback (product_id, approved, corrected_text, value, reviewer)
      SELECT id, false, value, value, 'test' FROM unnest(${ids}::int[], ${values}::text[]) AS d(id, value)`);
    await tx.query(sql`
      INSERT INTO product_labels (product_id, value, source, updated_at)
      SELECT id, value, 'human', now() FROM unnest(${ids}::int[], ${values}::text[]) AS d(id, value)
      ON CONFLICT (product_id) DO UPDATE SET value = excluded.value, source = 'human', updated_at = now()`);
  });
}

async function setting(change: Partial<AutoRetrainSetting>): Promise<void> {
  await writeAutoRetrain(db, { ...DEFAULT_AUTO_RETRAIN, ...change });
}

before(async () => {
  db = await openTestDatabase();
  embedder = await testEmbedder();
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-auto-retrain-"));
  runtime = new ModelRuntime({
    modelsDir,
    embeddingModelId: embedder.modelId,
    dimensions: embedder.dimensions,
    log: () => {},
  });
  const all = datasetRows(3000).filter((row) => row.category.trim() !== "");
  const counts = new Map<string, number>();
  for (const row of all) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
  rows = all.filter((row) => counts.get(row.category)! >= 30).slice(0, 320);
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, row_count) VALUES ('amazon.csv', 'imported', ${rows.length})
    RETURNING id`);
  importId = created.id;
});

after(async () => {
  await worker?.stop();
  runtime?.close();
  await db?.close();
  if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
});

test("one retrain is queued or running at a time, however many ask at once", async () => {
  const asked = await Promise.all(Array.from({ length: 6 }, () => enqueueRetrain(db)));
  const ids = new Set(asked.map((queued) => queued.job_id));
  assert.equal(ids.size, 1, `six requests at once queued ${JSON.stringify(asked)}`);
  assert.equal(asked.filter((queued) => !queued.already_queued).length, 1);
  const [id] = ids;

  // Running (claimed by a worker), it still holds the one place.
  const claimed = await claimJob(db, { kinds: ["retrain"], workerId: "test", leaseSeconds: 30 });
  assert.equal(claimed?.id, id);
  assert.deepEqual(await enqueueRetrain(db), { job_id: id, already_queued: true });
  await assert.rejects(
    db.query(sql`INSERT INTO jobs (kind) VALUES ('retrain')`),
    /jobs_one_retrain|duplicate key/,
    "the database itself refuses a second one",
  );
  // Schedulers of several workers checking at once: none adds a second.
  await setting({ every_labels: 1 });
  await importRows(0, 2, 2);
  assert.deepEqual(await Promise.all([1, 2, 3].map(() => scheduleRetrain(db, embedder.modelId))), [
    null,
    null,
    null,
  ]);
  assert.equal((await retrainJobs()).length, 1);

  await completeJob(db, { jobId: id, workerId: "test", result: null });
  const next = await enqueueRetrain(db);
  assert.equal(next.already_queued, false, "once it is done, a new one can be queued");
  assert.notEqual(next.job_id, id);
  await completeJob(db, {
    jobId: (await claimJob(db, { kinds: ["retrain"], workerId: "test", leaseSeconds: 30 }))!.id,
    workerId: "test",
    result: null,
  });
  // A run left 'running' by a worker that died on its last attempt does not block retrains for good.
  const stuck = await enqueueRetrain(db);
  await db.query(sql`
    UPDATE jobs SET status = 'running', attempts = max_attempts, locked_by = 'gone',
      locked_until = now() - interval '1 second'
    WHERE id = ${stuck.job_id}`);
  const after = await enqueueRetrain(db);
  assert.equal(after.already_queued, false);
  const [old] = await db.query<{ status: string; last_error: string }>(sql`
    SELECT status, last_error FROM jobs WHERE id = ${stuck.job_id}`);
  assert.deepEqual(old, { status: "failed", last_error: "The worker running it stopped before it finished" });
  await completeJob(db, {
    jobId: (await claimJob(db, { kinds: ["retrain"], workerId: "test", leaseSeconds: 30 }))!.id,
    workerId: "test",
    result: null,
  });
});

test("seed labels of an imported file are trained and activated without anyone pressing Retrain", async () => {
  // Fewer new labels than N: the first version does not wait for them.
  await setting({ every_labels: 1000, every_minutes: 0 });
  const before = (await retrainJobs()).length;
  // What each commit that activates a version holds (a deferred trigger runs at commit): the decision
  // must commit with the activation, or a reader in between sees an active version with no reason.
  await db.query(sql`CREATE TABLE activation_commits (version text, decision text)`);
  await db.query(sql`
    CREATE FUNCTION note_activation_commit() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO activation_commits SELECT version, activation_decision FROM model_versions WHERE id = NEW.id;
      RETURN NULL;
    END $$`);
  await db.query(sql`
    CREATE CONSTRAINT TRIGGER note_activation_commit AFTER UPDATE OF status ON model_versions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.status = 'active')
    EXECUTE FUNCTION note_activation_commit()`);
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
  // 198 more rows, 158 with their category (160 labelled with the two above); 40 left to review.
  await importRows(2, 198, 158);
  const job = await waitFor("a retrain queued by the scheduler", async () => (await retrainJobs())[before]);
  assert.equal(job.payload.trigger, "schedule");
  assert.match(job.payload.reason!, /^No version trained yet, 160 labelled rows to train on$/);
  const done = await finished(job.id);
  assert.equal(
    done.result!.train_size + done.result!.holdout_size,
    160,
    "queued only once every labelled row had its vector",
  );
  assert.equal(done.result!.activation.decision, "activated");
  const [version] = await db.query<
    { status: string; activation_decision: string; activation_reason: string }
  >(
    sql`SELECT status, activation_decision, activation_reason FROM model_versions
        WHERE version = ${done.result!.version}`,
  );
  assert.equal(version.status, "active");
  assert.equal(version.activation_decision, "activated");
  assert.match(version.activation_reason, /^No version was active; \d+ of \d+ held-out rows right/);
  const commits = await db.query<{ version: string; decision: string | null }>(sql`
    SELECT version, decision FROM activation_commits`);
  assert.deepEqual(commits, [{ version: done.result!.version, decision: "activated" }]);
  await db.query(sql`DROP TRIGGER note_activation_commit ON model_versions`);
  await db.query(sql`DROP FUNCTION note_activation_commit()`);
  assert.equal(runtime.version, done.result!.version, "this process serves it at once");
  const audit = await db.query<{ via: string; details: { version: string; previous: string | null } }>(sql`
    SELECT via, details FROM audit_log WHERE kind = 'model.auto_activate'`);
  assert.deepEqual(audit.map((entry) => [entry.via, entry.details.version, entry.details.previous]), [
    ["system", done.result!.version, null],
  ]);
  const rescore = await db.query(sql`
    SELECT 1 FROM jobs WHERE kind = 'rescore' AND payload->>'version' = ${done.result!.version}`);
  assert.equal(rescore.length, 1, "the rows waiting for review are re-scored");
});

test("reviewers' decisions queue a retrain once N arrived, not before; the new version is compared", async () => {
  await setting({ every_labels: 12, every_minutes: 0 });
  await worker!.idle();
  const jobsBefore = (await retrainJobs()).length;
  const waiting = await db.query<{ id: number }>(sql`
    SELECT id FROM products WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_id = products.id)
    ORDER BY id`);
  const byRow = new Map<number, string>();
  const products = await db.query<{ id: number; row_number: number }>(sql`
    SELECT id, row_number FROM products WHERE id = ANY(${waiting.map((row) => row.id)}::int[])`);
  for (const product of products) byRow.set(product.id, rows[product.row_number - 1].category);
  const first = waiting.slice(0, 11).map((row) => ({ id: row.id, value: byRow.get(row.id)! }));
  await decide(first);
  const status = await judgeRetrain(db, embedder.modelId, {
    ...DEFAULT_AUTO_RETRAIN,
    every_labels: 12,
    every_minutes: 0,
  });
  assert.deepEqual([status.due, status.new_labels, status.reason], [
    false,
    11,
    "11 new labels: retrains after 1 more",
  ]);
  // Several poll ticks pass with 11 decisions: nothing is queued.
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.equal((await retrainJobs()).length, jobsBefore);

  await decide([{ id: waiting[11].id, value: byRow.get(waiting[11].id)! }]);
  const job = await waitFor("the retrain after 12 decisions", async () => (await retrainJobs())[jobsBefore]);
  assert.equal(job.payload.reason, "12 new labels (retrains every 12)");
  const done = await finished(job.id);
  const { activation } = done.result!;
  const [previous] = await db.query<{ version: string }>(sql`
    SELECT version FROM model_versions WHERE version <> ${
    done.result!.version
  } AND status IN ('active', 'retired')
    ORDER BY id LIMIT 1`);
  assert.ok(previous, "an earlier version was active");
  // Compared on the held-out rows labelled since the active version was trained, or — with fewer than 20
  // of those (12 decisions here) — by each version's own out-of-fold accuracy.
  const sameRows = new RegExp(
    `^(\\d+) of (\\d+) held-out rows labelled since ${previous.version} was trained right \\([\\d.]+%\\), ${previous.version} (\\d+) \\([\\d.]+%\\) on the same rows`,
  ).exec(activation.reason);
  const ownAccuracy = new RegExp(
    `^held-out accuracy ([\\d.]+)% against ${previous.version}'s own ([\\d.]+)% \\(only \\d+ held-out rows`,
  ).exec(activation.reason);
  assert.ok(sameRows || ownAccuracy, activation.reason);
  const wins = sameRows
    ? Number(sameRows[1]) >= Number(sameRows[3])
    : Number(ownAccuracy![1]) >= Number(ownAccuracy![2]);
  assert.equal(activation.decision, wins ? "activated" : "kept", activation.reason);
  const [active] = await db.query<{ version: string }>(
    sql`SELECT version FROM model_versions WHERE status = 'active'`,
  );
  assert.equal(active.version, wins ? done.result!.version : previous.version);
  console.log(`auto-activation after 12 decisions: ${activation.decision}: ${activation.reason}`);
});

test("with fewer than N new labels, a retrain follows once every_minutes passed", async () => {
  await worker!.idle();
  const jobsBefore = (await retrainJobs()).length;
  const [unlabelled] = await db.query<{ id: number; row_number: number }>(sql`
    SELECT id, row_number FROM products
    WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_id = products.id) ORDER BY id LIMIT 1`);
  await decide([{ id: unlabelled.id, value: rows[unlabelled.row_number - 1].category }]);
  await setting({ every_labels: 1000, every_minutes: 0.02 });
  const job = await waitFor("a retrain after 1.2 s", async () => (await retrainJobs())[jobsBefore], 30_000);
  assert.match(job.payload.reason!, /^1 new label and \d+ minutes? since retrain job \d+$/);
  await finished(job.id);
});

test("the policy activates only a version at least as good as the active one, and not when off", async () => {
  await setting({ enabled: false });
  await worker!.idle();
  const tf = await loadTf();
  const [active] = await db.query<{ version: string }>(
    sql`SELECT version FROM model_versions WHERE status = 'active'`,
  );
  const model = await runtime.load(active.version);
  // A held-out split of the current labels, as a retrain would draw it. The active version trained on
  // them; rows without a product id count as labelled since, so both versions are compared on these.
  const labelled: LabelledRow[] = await readTrainingRows(db, embedder.modelId);
  const drawn = stratifiedSplit(labelled, 0.2, seededRandom(7));
  const split = { train: drawn.train, holdout: drawn.holdout.map(({ productId: _, ...row }) => row) };
  const labelNames = await readLabelNames(db, embedder.modelId);
  const activeRight = await heldoutRight(tf, model, split, labelNames);
  model.classifier.dispose();
  assert.ok(activeRight > split.holdout.length / 2, `${activeRight} of ${split.holdout.length}`);

  // The candidate: a retrain's ready version (the policy off while it trains) whose own held-out answers
  // are given: one row short of the active version's, then all right with the policy off, then equal.
  const candidate = async (right: number, autoActivation: boolean, heldOut = split) => {
    await setting({ enabled: false, auto_activate: false });
    const done = await finished((await enqueueRetrain(db)).job_id);
    assert.equal(done.result!.activation.decision, "off");
    await setting({ enabled: false, auto_activate: autoActivation });
    const scores = heldOut.holdout.map((_, i): [number, number] => [0.5, i < right ? 1 : 0]);
    const outcome = await autoActivate(db, tf, {
      version: done.result!.version,
      split: heldOut,
      heldoutScores: scores,
      labelNames,
      modelsDir,
      embeddingModelId: embedder.modelId,
      dimensions: embedder.dimensions,
    });
    const [stored] = await db.query<
      { status: string; activation_decision: string; activation_reason: string }
    >(
      sql`SELECT status, activation_decision, activation_reason FROM model_versions
          WHERE version = ${done.result!.version}`,
    );
    return { version: done.result!.version, outcome, stored };
  };
  const worse = await candidate(activeRight - 1, true);
  assert.equal(worse.outcome.decision, "kept");
  assert.equal(worse.outcome.active_right, activeRight, "the active version scored on the same rows");
  assert.deepEqual([worse.stored.status, worse.stored.activation_decision], ["ready", "kept"]);
  assert.match(worse.stored.activation_reason, new RegExp(`: ${active.version} stays active$`));

  const off = await candidate(split.holdout.length, false);
  assert.deepEqual([off.outcome.decision, off.stored.status, off.stored.activation_decision], [
    "off",
    "ready",
    "off",
  ]);

  const equal = await candidate(activeRight, true);
  assert.equal(equal.outcome.decision, "activated", equal.outcome.reason);
  assert.equal(equal.outcome.previous, active.version);
  assert.deepEqual([equal.stored.status, equal.stored.activation_decision], ["active", "activated"]);

  // Rows the active version trained on are not compared on: it would answer them from memory (61 of 61
  // where its own out-of-fold accuracy was 76.7 %) and never be replaced. Each version's own out-of-fold
  // accuracy decides instead.
  const [{ accuracy }] = await db.query<{ accuracy: number }>(
    sql`SELECT accuracy FROM model_versions WHERE status = 'active'`,
  );
  const size = drawn.holdout.length;
  const better = await candidate(Math.min(size, Math.ceil(accuracy * size) + 1), true, drawn);
  assert.equal(better.outcome.decision, "activated", better.outcome.reason);
  assert.match(
    better.outcome.reason,
    /^held-out accuracy [\d.]+% against v\d+'s own [\d.]+% \(only 0 held-out rows/,
  );
  const poorer = await candidate(Math.max(0, Math.floor(accuracy * size) - 2), true, drawn);
  assert.equal(poorer.outcome.decision, "kept", poorer.outcome.reason);
  assert.match(poorer.outcome.reason, /too few to compare on\): v\d+ stays active$/);
});
