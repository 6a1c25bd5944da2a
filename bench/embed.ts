/**
 * `npm run bench:embed`: embeds 5,000 real titles from the Walmart-Amazon dataset in datasets/ twice in one run — through the
 * model alone, and through the whole worker path (claim from the on-disk PGlite queue → embed → write
 * vectors → kNN suggestions) — and prints both throughputs and their ratio. The two paths alternate in
 * rounds of 500 rows, so anything else loading the machine slows both alike and the ratio stays fair.
 * Options: --rows N (default 5000), --dtype fp32|q8 (default fp32), --batch N (default 32).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { loadEmbedder } from "../core/embedding/embedder.ts";
import { migrate } from "../core/db/migrate.ts";
import { sql } from "../core/db/sql.ts";
import { datasetRows, TEST_MODEL_ID, TEST_MODEL_PATH } from "../testing/testing.ts";
import { startWorker } from "../core/worker/worker_loop.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "5000" },
    dtype: { type: "string", default: "fp32" },
    batch: { type: "string", default: "32" },
  },
});
const rowCount = Number(values.rows);
const batchSize = Number(values.batch);
const dtype = values.dtype as "fp32" | "q8";

const rows = datasetRows(rowCount);
const titles = rows.map((row) => row.title);
const embedder = await loadEmbedder({
  modelId: TEST_MODEL_ID,
  localModelPath: TEST_MODEL_PATH,
  allowRemoteModels: false,
  dtype,
});
await embedder.embed(titles.slice(0, batchSize)); // warm-up: first-call allocations are not throughput

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-bench-embed-"));
const db = await openPgliteDatabase(dataDir);
try {
  await migrate(db);
  // Started before any product exists, so its start-up sweep queues nothing: each round queues its own.
  const worker = await startWorker(db, embedder, { batchSize, pollMs: 50, leaseSeconds: 300, log: () => {} });
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, row_count) VALUES ('bench.csv', 'imported', ${rows.length}) RETURNING id`);
  // One row in five carries its category as a seed label, so the suggestion step does real work.
  await db.query(sql`
    INSERT INTO products (import_id, row_number, data, text, seed_label)
    SELECT ${created.id}, item.n, jsonb_build_object('title', item.title), item.title, item.label
    FROM unnest(${rows.map((_, i) => i + 1)}::int[], ${titles}::text[],
                ${rows.map((row, i) => (i % 5 === 0 && row.category ? row.category : null))}::text[])
      AS item(n, title, label)`);
  await db.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, seed_label, 'seed' FROM products WHERE seed_label IS NOT NULL`);
  const round = 500;
  let modelSeconds = 0;
  let workerSeconds = 0;
  for (let first = 1; first <= rows.length; first += round) {
    const last = Math.min(first + round - 1, rows.length);
    let started = performance.now();
    for (let i = first - 1; i < last; i += batchSize) {
      await embedder.embed(titles.slice(i, Math.min(i + batchSize, last)));
    }
    modelSeconds += (performance.now() - started) / 1000;
    started = performance.now();
    await db.query(sql`
      INSERT INTO embedding_queue (model_id, product_id)
      SELECT ${TEST_MODEL_ID}, id FROM products WHERE row_number BETWEEN ${first} AND ${last}`);
    await db.query(sql`SELECT pg_notify('csv_sorter_work', 'bench')`);
    await worker.idle();
    workerSeconds += (performance.now() - started) / 1000;
  }
  await worker.stop();
  const [{ embedded, suggested }] = await db.query<{ embedded: number; suggested: number }>(sql`
    SELECT (SELECT count(*)::int FROM embeddings) AS embedded, (SELECT count(*)::int FROM suggestions) AS suggested`);
  if (embedded !== rows.length) throw new Error(`Benchmark broken: ${embedded} of ${rows.length} embedded`);

  const modelRate = rows.length / modelSeconds;
  const workerRate = rows.length / workerSeconds;
  console.log(
    `embedding benchmark: ${rows.length} real titles, ${dtype}, batch ${batchSize}, ${os.cpus().length} cores`,
  );
  console.log(`| path | seconds | products/s |`);
  console.log(`|---|---|---|`);
  console.log(`| model alone | ${modelSeconds.toFixed(1)} | ${modelRate.toFixed(1)} |`);
  console.log(
    `| worker (queue → embed → write → ${suggested} suggestions) | ${workerSeconds.toFixed(1)} | ${
      workerRate.toFixed(1)
    } |`,
  );
  console.log(`worker / model throughput ratio: ${(workerRate / modelRate).toFixed(2)}`);
} finally {
  await db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
