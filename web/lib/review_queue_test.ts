/**
 * The review queue's diversity and its filter by suggested value, through GET /products-for-review with
 * the real embedding model: near-duplicate rows (cosine > 0.95) never share a window of 20.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { ReviewPage, SuggestedValue } from "../../contract/schemas.ts";
import { sql } from "../../gpu-worker/lib/sql.ts";
import {
  datasetRows,
  openTestDatabase,
  TEST_MODEL_ID,
  testEmbedder,
  toCsv,
} from "../../gpu-worker/lib/testing.ts";
import { startWorker } from "../../gpu-worker/lib/worker_loop.ts";
import { createApp } from "../app.ts";
import { NEAR_DUPLICATE_COSINE } from "./review_queue.ts";

const db = await openTestDatabase();
const app = createApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
const worker = await startWorker(db, await testEmbedder(), {
  batchSize: 32,
  pollMs: 100,
  leaseSeconds: 30,
  log: () => {},
});
after(async () => {
  await worker.stop();
  await db.close();
});

const VARIANTS = [
  "HP 60 Black Ink Cartridge (CC640WN)",
  "hp 60 black ink cartridge cc640wn",
  "HP 60 Black Ink Cartridge - CC640WN",
  "HP 60 Black Ink Cartridge, CC640WN",
];
const titles = [...VARIANTS, ...datasetRows(36, "tableA").map((row) => row.title)];

async function page(query: string): Promise<ReviewPage> {
  const response = await app.request(`/products-for-review?${query}`);
  assert.equal(response.status, 200);
  return await response.json() as ReviewPage;
}

async function cosine(a: number, b: number): Promise<number> {
  const [row] = await db.query<{ similarity: number }>(sql`
    SELECT 1 - (x.embedding <=> y.embedding) AS similarity FROM embeddings x, embeddings y
    WHERE x.product_id = ${a} AND y.product_id = ${b}`);
  return row.similarity;
}

test("near-duplicates never share a window of the queue; they wait for later pages", async () => {
  const response = await app.request("/upload-csv?file_name=ink.csv", {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: toCsv(titles.map((title) => ({ title }))),
  });
  assert.equal(response.status, 201);
  await worker.idle();
  const ids = (await db.query<{ id: number }>(sql`SELECT id FROM products ORDER BY row_number`)).map((r) =>
    r.id
  );
  const variants = ids.slice(0, VARIANTS.length);
  for (let i = 0; i < variants.length; i++) {
    for (let j = i + 1; j < variants.length; j++) {
      assert.ok(await cosine(variants[i], variants[j]) > NEAR_DUPLICATE_COSINE, `variants ${i} and ${j}`);
    }
  }

  // No labels: nothing is suggested, so uncertainty alone would list the rows in file order.
  const all = await page("limit=40");
  assert.equal(all.total, 40);
  const order = all.items.map((item) => item.product_id);
  assert.deepEqual([...order].sort((a, b) => a - b), ids, "every row once");
  assert.deepEqual(variants.map((id) => order.indexOf(id)), [0, 20, 38, 39]);
  const first = (await page("limit=20")).items.map((item) => item.product_id);
  for (let i = 0; i < first.length; i++) {
    for (let j = i + 1; j < first.length; j++) {
      assert.ok(await cosine(first[i], first[j]) <= NEAR_DUPLICATE_COSINE, `${first[i]} and ${first[j]}`);
    }
  }
  const paged = [];
  for (let offset = 0; offset < 40; offset += 7) {
    paged.push(...(await page(`limit=7&offset=${offset}`)).items);
  }
  assert.deepEqual(paged.map((item) => item.product_id), order, "any page size pages through one order");
});

test("the queue filters by suggested value, and GET /suggested-values counts the waiting rows per value", async () => {
  const ids = (await db.query<{ id: number }>(sql`SELECT id FROM products ORDER BY row_number`)).map((r) =>
    r.id
  );
  for (const [id, value] of [[ids[0], "ink"], [ids[10], "tv mounts"]] as const) {
    const saved = await app.request("/submit-feedback", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ product_id: id, approved: false, corrected_text: value }),
    });
    assert.equal(saved.status, 201);
  }
  // The worker sweeps rows the new labels leave without a suggestion: let it finish before counting.
  await worker.idle();
  const values = await (await app.request("/suggested-values")).json() as SuggestedValue[];
  assert.deepEqual(values.map((value) => value.value).sort(), ["ink", "tv mounts"]);
  const waiting = await page("limit=200");
  assert.equal(
    values.reduce((sum, value) => sum + value.count, 0),
    waiting.items.filter((item) => item.suggestion !== null).length,
  );
  for (const value of values) {
    const filtered = await page(`limit=200&suggestion=${encodeURIComponent(value.value)}`);
    assert.equal(filtered.total, value.count);
    assert.ok(filtered.items.every((item) => item.suggestion === value.value));
  }
  const ink = await page("limit=200&suggestion=ink");
  assert.ok(ink.items.some((item) => item.product_id === ids[1]), "a near-duplicate of the ink row");
  assert.equal((await app.request("/products-for-review?suggestion=%20")).status, 422);
});
