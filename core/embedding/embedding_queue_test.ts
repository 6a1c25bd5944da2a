import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../db/database.ts";
import {
  claimProducts,
  completeEmbeddings,
  enqueueMissingEmbeddings,
  failEmbeddings,
  MAX_ATTEMPTS,
} from "./embedding_queue.ts";
import { sql } from "../db/sql.ts";
import { openTestDatabase } from "../../testing/testing.ts";

const MODEL = "test-model";
let db: Database;

function unitVector(index: number): number[] {
  const vector = new Array(384).fill(0);
  vector[index % 384] = 1;
  return vector;
}

async function seedProducts(count: number): Promise<number[]> {
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('queue.csv', 'imported') RETURNING id`);
  const rows = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    SELECT ${created.id}, n, '{}'::jsonb, 'product ' || n FROM generate_series(1, ${count}) AS n
    RETURNING id`);
  await db.query(sql`
    INSERT INTO embedding_queue (model_id, product_id)
    SELECT ${MODEL}, id FROM products WHERE import_id = ${created.id}`);
  return rows.map((row) => row.id);
}

before(async () => {
  db = await openTestDatabase();
});
after(async () => {
  await db.close();
});

test("claimProducts() never hands the same product to two workers while leased", async () => {
  const ids = await seedProducts(10);
  const first = await claimProducts(db, { modelId: MODEL, workerId: "a", limit: 6, leaseSeconds: 60 });
  const second = await claimProducts(db, { modelId: MODEL, workerId: "b", limit: 6, leaseSeconds: 60 });
  const third = await claimProducts(db, { modelId: MODEL, workerId: "c", limit: 6, leaseSeconds: 60 });
  assert.equal(first.length, 6);
  assert.equal(second.length, 4);
  assert.equal(third.length, 0);
  const claimed = [...first, ...second].map((row) => row.product_id).sort((a, b) => a - b);
  assert.deepEqual(claimed, ids);
  assert.equal(first[0].text, "product 1");
  await db.query(sql`DELETE FROM embedding_queue`);
});

test("a lease that ran out is claimed again by another worker", async () => {
  await seedProducts(3);
  const dead = await claimProducts(db, { modelId: MODEL, workerId: "dead", limit: 3, leaseSeconds: 60 });
  assert.equal(dead.length, 3);
  // The dead worker's lease ends (simulated by moving it into the past).
  await db.query(sql`UPDATE embedding_queue SET locked_until = now() - interval '1 second'`);
  const rescued = await claimProducts(db, { modelId: MODEL, workerId: "alive", limit: 10, leaseSeconds: 60 });
  assert.deepEqual(rescued.map((row) => row.product_id), dead.map((row) => row.product_id));
  assert.ok(rescued.every((row) => row.attempts === 2));
  await db.query(sql`DELETE FROM embedding_queue`);
});

test("completeEmbeddings() is idempotent and only the lease holder removes queue rows", async () => {
  const ids = await seedProducts(2);
  await claimProducts(db, { modelId: MODEL, workerId: "slow", limit: 2, leaseSeconds: 60 });
  await db.query(sql`UPDATE embedding_queue SET locked_until = now() - interval '1 second'`);
  await claimProducts(db, { modelId: MODEL, workerId: "fast", limit: 2, leaseSeconds: 60 });
  const vectors = ids.map(unitVector);
  // The slow worker finishes after losing its lease: it writes, but cannot drop the new holder's rows.
  await db.transaction((tx) =>
    completeEmbeddings(tx, { modelId: MODEL, workerId: "slow", productIds: ids, vectors })
  );
  let queued = await db.query(sql`SELECT 1 FROM embedding_queue WHERE product_id = ANY(${ids}::int[])`);
  assert.equal(queued.length, 2);
  await db.transaction((tx) =>
    completeEmbeddings(tx, { modelId: MODEL, workerId: "fast", productIds: ids, vectors })
  );
  await db.transaction((tx) =>
    completeEmbeddings(tx, { modelId: MODEL, workerId: "fast", productIds: ids, vectors })
  );
  queued = await db.query(sql`SELECT 1 FROM embedding_queue WHERE product_id = ANY(${ids}::int[])`);
  assert.equal(queued.length, 0);
  const [{ count }] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM embeddings WHERE product_id = ANY(${ids}::int[])`);
  assert.equal(count, 2, "re-running never duplicates a vector");
});

test("failEmbeddings() keeps the error, backs off, and stops after the maximum attempts", async () => {
  const [id] = await seedProducts(1);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const claimed = await claimProducts(db, { modelId: MODEL, workerId: "w", limit: 1, leaseSeconds: 60 });
    assert.equal(claimed.length, 1, `attempt ${attempt} should be claimable`);
    await failEmbeddings(db, { modelId: MODEL, workerId: "w", productIds: [id], error: `boom ${attempt}` });
    const [row] = await db.query<{ last_error: string; later: boolean }>(sql`
      SELECT last_error, run_at > now() AS later FROM embedding_queue WHERE product_id = ${id}`);
    assert.equal(row.last_error, `boom ${attempt}`);
    assert.equal(row.later, true, "a failed batch waits before its next attempt");
    await db.query(sql`UPDATE embedding_queue SET run_at = now() WHERE product_id = ${id}`);
  }
  const claimed = await claimProducts(db, { modelId: MODEL, workerId: "w", limit: 1, leaseSeconds: 60 });
  assert.equal(claimed.length, 0, "a product that failed MAX_ATTEMPTS times is left for ops");
  await db.query(sql`DELETE FROM embedding_queue`);
});

test("enqueueMissingEmbeddings() queues products without a vector of the model, once", async () => {
  await db.query(sql`DELETE FROM embedding_queue`);
  const [{ products }] = await db.query<{ products: number }>(
    sql`SELECT count(*)::int AS products FROM products`,
  );
  const [{ embedded }] = await db.query<{ embedded: number }>(sql`
    SELECT count(*)::int AS embedded FROM embeddings WHERE model_id = ${MODEL}`);
  assert.equal(await enqueueMissingEmbeddings(db, MODEL), products - embedded);
  assert.equal(await enqueueMissingEmbeddings(db, MODEL), 0);
  assert.equal(await enqueueMissingEmbeddings(db, "another-model"), products);
});

test("rows of an import that is not imported are never queued by the sweep nor claimed", async () => {
  const [reading] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('half-read.csv', 'importing') RETURNING id`);
  const rows = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    SELECT ${reading.id}, n, '{}'::jsonb, 'half ' || n FROM generate_series(1, 5) AS n RETURNING id`);
  const model = "sweep-model";
  const queued = await enqueueMissingEmbeddings(db, model);
  const [{ waiting }] = await db.query<{ waiting: number }>(sql`
    SELECT count(*)::int AS waiting FROM embedding_queue
    WHERE model_id = ${model} AND product_id = ANY(${rows.map((r) => r.id)}::int[])`);
  assert.equal(waiting, 0, `the sweep queued ${queued} rows, the half-read ones among them`);
  // Queued anyway (as before this rule): still never claimed.
  await db.query(sql`
    INSERT INTO embedding_queue (model_id, product_id)
    SELECT ${model}, id FROM products WHERE import_id = ${reading.id}`);
  const claimed = await claimProducts(db, { modelId: model, workerId: "a", limit: 10_000, leaseSeconds: 60 });
  const ids = new Set(rows.map((r) => r.id));
  assert.deepEqual(claimed.filter((p) => ids.has(p.product_id)), []);
});
