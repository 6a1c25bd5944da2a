import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { WORK_CHANNEL } from "../../contract/schemas.ts";
import type { Database } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import { sql } from "../db/sql.ts";
import { datasetRows, openTestDatabase, testEmbedder } from "../../testing/testing.ts";
import { retryDelayMs, startWorker, type WorkerHandle } from "./worker_loop.ts";

let db: Database;
let embedder: Embedder;
const running: WorkerHandle[] = [];

async function importRows(
  rows: { title: string; label: string | null }[],
  options: { notify: boolean },
): Promise<number[]> {
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, row_count) VALUES ('worker.csv', 'imported', ${rows.length})
    RETURNING id`);
  const inserted = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text, seed_label)
    SELECT ${created.id}, item.n, jsonb_build_object('title', item.title), item.title, item.label
    FROM unnest(${rows.map((_, i) => i + 1)}::int[], ${rows.map((r) => r.title)}::text[],
                ${rows.map((r) => r.label)}::text[]) AS item(n, title, label)
    RETURNING id`);
  await db.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, seed_label, 'seed' FROM products WHERE import_id = ${created.id} AND seed_label IS NOT NULL`);
  await db.query(sql`
    INSERT INTO embedding_queue (model_id, product_id)
    SELECT ${embedder.modelId}, id FROM products WHERE import_id = ${created.id}`);
  if (options.notify) await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, 'test')`);
  return inserted.map((row) => row.id);
}

async function start(options: { pollMs: number; embedder?: Embedder }): Promise<WorkerHandle> {
  const worker = await startWorker(db, options.embedder ?? embedder, {
    batchSize: 16,
    pollMs: options.pollMs,
    leaseSeconds: 30,
    log: () => {},
  });
  running.push(worker);
  return worker;
}

before(async () => {
  db = await openTestDatabase();
  embedder = await testEmbedder();
});

after(async () => {
  for (const worker of running) await worker.stop();
  await db.close();
});

test("the worker embeds every product once with the real model and suggests from seed labels", async () => {
  // Real Amazon rows; every other category is hidden and becomes the answer to predict.
  const dataset = datasetRows(400).filter((row) => row.category.trim() !== "");
  const rows = dataset.map((row, i) => ({ title: row.title, label: i % 2 === 0 ? row.category : null }));
  const ids = await importRows(rows, { notify: true });
  const worker = await start({ pollMs: 200 });
  await worker.idle();

  const [{ vectors, unit }] = await db.query<{ vectors: number; unit: number }>(sql`
    SELECT count(*)::int AS vectors,
           count(*) FILTER (WHERE abs(vector_norm(embedding) - 1) < 1e-4)::int AS unit
    FROM embeddings WHERE product_id = ANY(${ids}::int[]) AND model_id = ${embedder.modelId}`);
  assert.equal(vectors, ids.length, "one vector per product");
  assert.equal(unit, ids.length, "vectors are L2-normalised");
  const queued = await db.query(sql`SELECT 1 FROM embedding_queue WHERE product_id = ANY(${ids}::int[])`);
  assert.equal(queued.length, 0);

  const suggested = await db.query<{ id: number; value: string; confidence: number }>(sql`
    SELECT products.id, suggestions.value, suggestions.confidence
    FROM products JOIN suggestions ON suggestions.product_id = products.id
    WHERE products.id = ANY(${ids}::int[]) AND products.seed_label IS NULL`);
  const hidden = dataset.filter((_, i) => i % 2 === 1);
  assert.equal(suggested.length, hidden.length, "every unlabelled product has a suggestion");
  assert.ok(suggested.every((row) => row.confidence >= 0 && row.confidence <= 1));

  const truth = new Map(ids.map((id, i) => [id, dataset[i].category]));
  const correct = suggested.filter((row) => truth.get(row.id) === row.value).length;
  const counts = new Map<string, number>();
  for (const row of rows) if (row.label) counts.set(row.label, (counts.get(row.label) ?? 0) + 1);
  const majority = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const baseline = hidden.filter((row) => row.category === majority).length;
  console.log(
    `kNN accuracy ${correct}/${hidden.length}, majority-class baseline ${baseline}/${hidden.length}`,
  );
  assert.ok(correct > 3 * baseline, `kNN (${correct}) must beat the majority class (${baseline}) clearly`);
  await worker.stop();
});

test("a labelled file's new labels re-score the unlabelled rows near them once the worker is idle", async () => {
  const dataset = datasetRows(200).filter((row) => row.category.trim() !== "");
  // An unlabelled file (with one labelled row, so its rows get suggestions at once), then a labelled file.
  const first = await importRows(
    dataset.slice(0, 40).map((row, i) => ({ title: row.title, label: i === 0 ? "placeholder" : null })),
    { notify: true },
  );
  const worker = await start({ pollMs: 100 });
  await worker.idle();
  const [{ before }] = await db.query<{ before: string }>(sql`SELECT now()::text AS before`);
  await importRows(dataset.slice(40, 140).map((row) => ({ title: row.title, label: row.category })), {
    notify: true,
  });
  await worker.idle();
  const [{ refreshed, queued }] = await db.query<{ refreshed: number; queued: number }>(sql`
    SELECT (SELECT count(*)::int FROM suggestions
            WHERE product_id = ANY(${
    first.slice(1)
  }::int[]) AND updated_at > ${before}::timestamptz) AS refreshed,
           (SELECT count(*)::int FROM suggestion_refresh) AS queued`);
  assert.equal(queued, 0, "the worker went idle only after re-scoring every queued row");
  assert.equal(refreshed, first.length - 1, "every unlabelled row is near some of 100 new labels");
  await worker.stop();
});

test("a lost notification delays the work but never loses it", async () => {
  const worker = await start({ pollMs: 150 });
  const ids = await importRows([{ title: "usb-c charging cable 2m", label: null }], { notify: false });
  await worker.idle();
  const rows = await db.query(sql`SELECT 1 FROM embeddings WHERE product_id = ${ids[0]}`);
  assert.equal(rows.length, 1);
  await worker.stop();
});

test("NOTIFY wakes an idle worker long before its next poll", async () => {
  const worker = await start({ pollMs: 120_000 });
  await worker.idle();
  const ids = await importRows([{ title: "wireless optical mouse", label: null }], { notify: true });
  const started = Date.now();
  while (Date.now() - started < 60_000) {
    const rows = await db.query(sql`SELECT 1 FROM embeddings WHERE product_id = ${ids[0]}`);
    if (rows.length === 1) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const rows = await db.query(sql`SELECT 1 FROM embeddings WHERE product_id = ${ids[0]}`);
  assert.equal(rows.length, 1, "the product was embedded without waiting for a 120 s poll");
  await worker.stop();
});

test("a batch whose embedding fails is retried and the error is kept until then", async () => {
  let calls = 0;
  const flaky: Embedder = {
    modelId: embedder.modelId,
    dimensions: embedder.dimensions,
    embed(texts) {
      calls++;
      if (calls === 1) return Promise.reject(new Error("device lost"));
      return embedder.embed(texts);
    },
  };
  const ids = await importRows([{ title: "stainless steel water bottle", label: null }], { notify: false });
  const worker = await start({ pollMs: 100, embedder: flaky });
  // Wait for the failure to be recorded, then let the back-off pass at once.
  const started = Date.now();
  let failed: { last_error: string; attempts: number } | undefined;
  while (!failed && Date.now() - started < 30_000) {
    [failed] = await db.query<{ last_error: string; attempts: number }>(sql`
      SELECT last_error, attempts FROM embedding_queue WHERE product_id = ${
      ids[0]
    } AND last_error IS NOT NULL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(failed?.last_error, "device lost");
  assert.equal(failed?.attempts, 1);
  await db.query(sql`UPDATE embedding_queue SET run_at = now() WHERE product_id = ${ids[0]}`);
  await worker.idle();
  const rows = await db.query(sql`SELECT 1 FROM embeddings WHERE product_id = ${ids[0]}`);
  assert.equal(rows.length, 1);
  assert.equal(worker.stats.failed, 1);
  await worker.stop();
});

test("with the model off this thread the next batch embeds while one is written; stop() leaves none leased", async () => {
  const rows = datasetRows(120).filter((row) => row.title.trim() !== "").slice(0, 64)
    .map((row) => ({ title: row.title, label: null }));
  /** Vectors of the import already written when each embed call began. */
  const writtenAtCall: number[] = [];
  let ids: number[] = [];
  const offThread = (overlap: boolean): Embedder => ({
    modelId: embedder.modelId,
    dimensions: embedder.dimensions,
    offThread: overlap,
    async embed(texts) {
      const [{ n }] = await db.query<{ n: number }>(sql`
        SELECT count(*)::int AS n FROM embeddings WHERE product_id = ANY(${ids}::int[])`);
      writtenAtCall.push(n);
      return await embedder.embed(texts);
    },
  });
  for (const overlap of [false, true]) {
    writtenAtCall.length = 0;
    ids = await importRows(rows, { notify: false });
    const worker = await start({ pollMs: 50, embedder: offThread(overlap) });
    await worker.idle();
    await worker.stop();
    // Batches of 16: the second call comes after the first batch is written, or while it is.
    assert.equal(writtenAtCall[1], overlap ? 0 : 16, `overlap ${overlap}: ${writtenAtCall}`);
  }

  // Stopped mid-import: the batch claimed ahead is finished, not left leased until its lease runs out.
  ids = await importRows(rows, { notify: false });
  const worker = await start({ pollMs: 50, embedder: offThread(true) });
  while ((await db.query(sql`SELECT 1 FROM embeddings WHERE product_id = ANY(${ids}::int[])`)).length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await worker.stop();
  const leased = await db.query(sql`
    SELECT 1 FROM embedding_queue q
    WHERE q.product_id = ANY(${ids}::int[]) AND q.locked_by = ${worker.workerId}
      AND NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.product_id = q.product_id)`);
  assert.equal(leased.length, 0, "rows claimed but neither embedded nor released");
});

test("retryDelayMs() doubles from half a second to thirty seconds, jittered by a quarter either way", () => {
  const low = () => 0;
  const high = () => 0.999999;
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelayMs(n, low)), [
    375,
    750,
    1500,
    3000,
    6000,
    12000,
    22500,
    22500,
  ]);
  assert.deepEqual([1, 2, 7, 50].map((n) => retryDelayMs(n, high)), [625, 1250, 37500, 37500]);
  assert.equal(retryDelayMs(1, () => 0.5), 500);
  assert.equal(retryDelayMs(0, () => 0.5), 500, "a zeroth failure waits like the first");
});
