/**
 * `npm run bench:knn-recall`: recall@k of the kNN vote's labelled neighbours against an exact scan, as the
 * catalogue grows and few of its rows are labelled.
 *
 * For each database (in-process PGlite; PostgreSQL + pgvector when TEST_DATABASE_URL is set or
 * `--postgres` starts scripts/pg_test_server.sh) and catalogue size: products whose vectors are real
 * Walmart-Amazon title vectors plus noise, renormalised (bench/catalogue.ts: embedding 100,000 titles
 * would take an hour here and the index sees the same shape of data), then 300 and 3,000 of them
 * seed-labelled at random. For `--queries` unlabelled rows it compares
 * - exact: the k nearest labelled rows by a sequential scan (index scans off), the truth;
 * - the join on `embeddings` that the vote used before migration 0023 (one HNSW index over every
 *   product, filtered afterwards, ef_search 40);
 * - nearestLabelled (core/suggest/stored_evidence.ts): labelled_embeddings' own index.
 * and prints mean recall@k, the share of rows that got fewer than k neighbours, and ms per batch of 64.
 *
 * Options: --products 20000,100000 (catalogue sizes), --labels 300,3000, --queries 256, --k 10,
 * --ef-search 40,100 (of labelled_embeddings' index; 40 is pgvector's default, the product's setting),
 * --postgres (also on a PostgreSQL server), --skip-pglite.
 */
import path from "node:path";
import process from "node:process";
import { spawnSync } from "node:child_process";
import os from "node:os";
import { parseArgs } from "node:util";
import type { Database, Queryable } from "../core/db/database.ts";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { migrate } from "../core/db/migrate.ts";
import { seededRandom } from "../core/learning/training.ts";
import { sql, vectorLiteral } from "../core/db/sql.ts";
import { nearestLabelled } from "../core/suggest/stored_evidence.ts";
import { openServerTestDatabase } from "../testing/test_server.ts";
import { freePort, REPO_ROOT, TEST_MODEL_ID } from "../testing/testing.ts";
import { catalogueRows, createCatalogueImport, embedCached } from "./catalogue.ts";

const { values } = parseArgs({
  options: {
    products: { type: "string", default: "20000,100000" },
    labels: { type: "string", default: "300,3000" },
    queries: { type: "string", default: "256" },
    k: { type: "string", default: "10" },
    "ef-search": { type: "string", default: "40,100" },
    postgres: { type: "boolean", default: false },
    "skip-pglite": { type: "boolean", default: false },
  },
});
const SIZES = values.products.split(",").map(Number);
const LABELS = values.labels.split(",").map(Number).sort((a, b) => a - b);
const QUERIES = Number(values.queries);
const K = Number(values.k);
const EF_SEARCH = values["ef-search"].split(",").map(Number);
const BATCH = 64;

async function fill(db: Database, size: number, base: number[][], categories: string[]): Promise<void> {
  const next = seededRandom(size);
  const importId = await createCatalogueImport(db, `recall-${size}.csv`, size);
  for (let first = 0; first < size; first += 2000) {
    const n = Math.min(2000, size - first);
    const numbers = Array.from({ length: n }, (_, i) => first + i + 1);
    const vectors = numbers.map((number) => {
      const moved = base[number % base.length].map((x) => x + (next() - 0.5) * 0.04);
      const norm = Math.hypot(...moved);
      return vectorLiteral(moved.map((x) => x / norm));
    });
    await db.transaction(async (tx) => {
      await tx.query(sql`
        INSERT INTO products (import_id, row_number, data, text)
        SELECT ${importId}, item.n, jsonb_build_object('category', item.category), item.category
        FROM unnest(${numbers}::int[], ${numbers.map((n) => categories[n % base.length])}::text[])
          AS item(n, category)`);
      await tx.query(sql`
        INSERT INTO embeddings (product_id, model_id, embedding)
        SELECT products.id, ${TEST_MODEL_ID}, item.embedding::vector
        FROM unnest(${numbers}::int[], ${vectors}::text[]) AS item(n, embedding)
        JOIN products ON products.import_id = ${importId} AND products.row_number = item.n`);
    });
    if ((first / 2000) % 10 === 0) process.stderr.write(`\r  ${first + n} of ${size} rows…`);
  }
  process.stderr.write("\n");
  await db.query(sql`ANALYZE`);
}

/** Labels `count` rows chosen at random (same choice on every database), keeping those labelled already. */
async function labelUpTo(db: Database, count: number): Promise<void> {
  const [{ n, total }] = await db.query<{ n: number; total: number }>(sql`
    SELECT (SELECT count(*)::int FROM product_labels) AS n, (SELECT count(*)::int FROM products) AS total`);
  const next = seededRandom(count);
  const chosen = new Set<number>();
  while (chosen.size < count - n) chosen.add(1 + Math.floor(next() * total));
  await db.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, text, 'seed' FROM products WHERE id = ANY(${[...chosen]}::int[])
    ON CONFLICT (product_id) DO NOTHING`);
  await db.query(sql`ANALYZE`);
}

type Found = Map<number, number[]>;

function group(rows: { product_id: number; neighbour_id: number }[]): Found {
  const found: Found = new Map();
  for (const row of rows) found.set(row.product_id, [...(found.get(row.product_id) ?? []), row.neighbour_id]);
  return found;
}

/** The vote's query before migration 0023: labelled rows ordered through a join on `embeddings`. */
function joinQuery(ids: number[]) {
  return sql`
    WITH targets AS (
      SELECT product_id, embedding FROM embeddings WHERE model_id = ${TEST_MODEL_ID} AND product_id = ANY(${ids}::int[])
    )
    SELECT targets.product_id, nearest.neighbour_id
    FROM targets
    CROSS JOIN LATERAL (
      SELECT labels.product_id AS neighbour_id
      FROM product_labels labels
      JOIN embeddings labelled ON labelled.product_id = labels.product_id AND labelled.model_id = ${TEST_MODEL_ID}
      WHERE labels.product_id <> targets.product_id AND labels.source IN ('seed', 'human')
      ORDER BY labelled.embedding <=> targets.embedding
      LIMIT ${K}
    ) nearest`;
}

async function exact(db: Database, ids: number[]): Promise<Found> {
  return group(
    await db.transaction(async (tx: Queryable) => {
      await tx.query(sql`SET LOCAL enable_indexscan = off`);
      await tx.query(sql`SET LOCAL enable_bitmapscan = off`);
      return await tx.query<{ product_id: number; neighbour_id: number }>(joinQuery(ids));
    }),
  );
}

async function timed(batches: number[][], run: (ids: number[]) => Promise<Found>) {
  const found: Found = new Map();
  const started = performance.now();
  for (const ids of batches) for (const [id, list] of await run(ids)) found.set(id, list);
  return { found, msPerBatch: (performance.now() - started) / batches.length };
}

function score(truth: Found, found: Found, ids: number[]) {
  let recall = 0;
  let short = 0;
  for (const id of ids) {
    const want = truth.get(id) ?? [];
    const got = new Set(found.get(id) ?? []);
    recall += want.length === 0 ? 1 : want.filter((n) => got.has(n)).length / want.length;
    if (got.size < Math.min(K, want.length)) short++;
  }
  return { recall: recall / ids.length, short: short / ids.length };
}

async function measure(name: string, open: () => Promise<Database>, base: number[][], categories: string[]) {
  for (const size of SIZES) {
    const db = await open();
    try {
      const started = performance.now();
      await fill(db, size, base, categories);
      const fillSeconds = (performance.now() - started) / 1000;
      for (const labels of LABELS) {
        await labelUpTo(db, labels);
        const queries = (await db.query<{ id: number }>(sql`
          SELECT id FROM products WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_id = id)
          ORDER BY md5(id::text) LIMIT ${QUERIES}`)).map((row) => row.id);
        const batches = Array.from(
          { length: Math.ceil(queries.length / BATCH) },
          (_, i) => queries.slice(i * BATCH, (i + 1) * BATCH),
        );
        const truth = await timed(batches, (ids) => exact(db, ids));
        const join = await timed(batches, async (ids) => group(await db.query(joinQuery(ids))));
        const results: [string, Awaited<ReturnType<typeof timed>>][] = [[
          "join on embeddings (before)",
          join,
        ]];
        for (const efSearch of EF_SEARCH) {
          results.push([
            `labelled_embeddings, ef_search ${efSearch}`,
            await timed(
              batches,
              async (ids) =>
                group(await nearestLabelled(db, { modelId: TEST_MODEL_ID, productIds: ids, k: K, efSearch })),
            ),
          ]);
        }
        for (const [method, result] of results) {
          const { recall, short } = score(truth.found, result.found, queries);
          console.log(
            `| ${name} | ${size.toLocaleString("en")} | ${labels.toLocaleString("en")} | ${method} | ` +
              `${recall.toFixed(3)} | ${(short * 100).toFixed(1)}% | ${result.msPerBatch.toFixed(0)} | ` +
              `${truth.msPerBatch.toFixed(0)} |`,
          );
        }
      }
      console.error(`  (${name}, ${size} rows filled in ${fillSeconds.toFixed(0)} s)`);
    } finally {
      await db.close();
    }
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(
    `bench:knn-recall on ${cpu.length} × ${cpu[0]?.model.trim()}; recall@${K} against an exact scan, ` +
      `${QUERIES} unlabelled rows in batches of ${BATCH}\n`,
  );
  const rows = catalogueRows(5000);
  const base = await embedCached(rows.map((row) => row.title), "knn-recall");
  const categories = rows.map((row) => row.category);
  console.log(
    "| database | products | labels | labelled neighbours from | recall@k | rows short of k | ms/batch | exact ms/batch |",
  );
  console.log("|---|---:|---:|---|---:|---:|---:|---:|");
  if (!values["skip-pglite"]) {
    await measure(
      "PGlite",
      async () => {
        const db = await openPgliteDatabase(undefined);
        await migrate(db);
        return db;
      },
      base,
      categories,
    );
  }
  let stopServer: (() => void) | undefined;
  if (values.postgres && !process.env.TEST_DATABASE_URL) {
    const port = String(await freePort());
    const script = path.join(REPO_ROOT, "scripts/pg_test_server.sh");
    const started = spawnSync("bash", [script, "start"], {
      env: { ...process.env, PGTEST_PORT: port },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (started.status !== 0) throw new Error("Cannot start the PostgreSQL bench server (pg_test_server.sh)");
    process.env.TEST_DATABASE_URL = started.stdout.trim();
    stopServer = () => spawnSync("bash", [script, "stop"], { env: { ...process.env, PGTEST_PORT: port } });
  }
  try {
    if (process.env.TEST_DATABASE_URL) {
      await measure("PostgreSQL 16", () => openServerTestDatabase(), base, categories);
    }
  } finally {
    stopServer?.();
  }
}

await main();
