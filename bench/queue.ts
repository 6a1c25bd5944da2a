/**
 * `npm run bench:queue`: GET /products-for-review at 100,000 products, through the served app signed in
 * with an API token (`app.request`: authentication, routing, zod validation, the queries and JSON, no
 * network).
 *
 * The catalogue (bench/catalogue.ts): 5,000 real Walmart-Amazon titles with their real vectors (embedded
 * once, cached), then 95,000 more around them (real vector + noise, renormalised); 10% seed labels, the
 * rest a suggestion with random confidence and margin. Built once into a PGlite data dir under
 * ~/.cache/csv-sorter/bench/ (keyed by the migrations and the size; --fresh rebuilds it), or into the
 * PostgreSQL database of --database-url (which must be empty or hold a catalogue made by this bench).
 *
 * Each case runs --requests sequential requests: the first page, then following `next_cursor` for four
 * pages, again and again (so "cursor" cases are mostly deep pages). The baseline is measured in the same
 * run: GET /health through the same app, and the plain indexed `SELECT … ORDER BY id LIMIT 20`.
 *
 * --explain prints, for the first page of each case, the plan of every statement the request ran
 * (captured from the real request, replayed under EXPLAIN ANALYZE): which index each one used.
 *
 * Options: --catalogue N (default 100000), --requests N (default 100), --database-url URL, --fresh,
 * --explain.
 */
import { type SignedInApp, signedInApp } from "../testing/signed_in_app.ts";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { ReviewPage } from "../contract/schemas.ts";
import type { Database, Queryable } from "../core/db/database.ts";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { openPostgresDatabase } from "../core/db/database_postgres.ts";
import { listMigrations, migrate } from "../core/db/migrate.ts";
import { sql, type SqlQuery, vectorLiteral } from "../core/db/sql.ts";
import { TEST_MODEL_ID } from "../testing/testing.ts";
import {
  catalogueRows,
  createCatalogueImport,
  embedCached,
  fillCatalogue,
  insertProducts,
} from "./catalogue.ts";
import { percentile } from "./percentile.ts";

const { values } = parseArgs({
  options: {
    catalogue: { type: "string", default: "100000" },
    requests: { type: "string", default: "100" },
    "database-url": { type: "string" },
    fresh: { type: "boolean", default: false },
    explain: { type: "boolean", default: false },
  },
});
const CATALOGUE = Number(values.catalogue);
const REQUESTS = Number(values.requests);
const REAL = 5000;
/** Pages read by following next_cursor before starting again from the first page. */
const CURSOR_RUN = 5;

function dataDir(): string {
  const hash = crypto.createHash("sha256");
  for (const migration of listMigrations()) hash.update(migration.name).update(migration.script);
  hash.update(String(CATALOGUE));
  return path.join(os.homedir(), ".cache/csv-sorter/bench", `queue-${hash.digest("hex").slice(0, 12)}`);
}

async function count(db: Database, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await db.query<{ n: number }>(query);
  return row.n;
}

/** Builds the catalogue unless the database holds it already. */
async function ensureCatalogue(db: Database): Promise<void> {
  const products = await count(db, sql`SELECT count(*)::int AS n FROM products`);
  if (products === CATALOGUE) return;
  if (products !== 0) {
    throw new Error(`Cannot build the bench catalogue: the database holds ${products} products, expected 0`);
  }
  const started = performance.now();
  // Inserting into the HNSW index row by row makes PGlite crawl (~15 rows/s on 2 busy cores); building
  // it once at the end takes minutes. The measurements below run with the index as migrations made it.
  await db.query(sql`DROP INDEX embeddings_embedding_hnsw`);
  const rows = catalogueRows().slice(0, REAL);
  console.error(`embedding ${rows.length} real titles (cached after the first run)…`);
  const vectors = await embedCached(rows.map((row) => row.title), "queue");
  const importId = await createCatalogueImport(db, "real.csv", rows.length);
  for (let first = 0; first < rows.length; first += 1000) {
    await insertProducts(db, importId, {
      firstRowNumber: first + 1,
      rows: rows.slice(first, first + 1000),
      vectors: vectors.slice(first, first + 1000).map(vectorLiteral),
    });
  }
  console.error(`filling the catalogue to ${CATALOGUE} products…`);
  await fillCatalogue(db, CATALOGUE);
  console.error("building the HNSW index…");
  await db.transaction(async (tx) => {
    await tx.query(sql`SET LOCAL maintenance_work_mem = '512MB'`);
    await tx.query(
      sql`CREATE INDEX embeddings_embedding_hnsw ON embeddings USING hnsw (embedding vector_cosine_ops)`,
    );
  });
  await db.query(sql`ANALYZE`);
  console.error(`catalogue built in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

interface Case {
  name: string;
  query: string;
}

interface Result {
  name: string;
  latencies: number[];
  rows: number;
  total: string;
}

/**
 * Runs REQUESTS requests of one case: the first page, then CURSOR_RUN - 1 pages by cursor, repeated.
 * Checks on the way that cursor pages never repeat a row.
 */
async function measureCase(
  app: SignedInApp,
  item: Case,
  cursorOnly: boolean,
): Promise<Result> {
  const latencies: number[] = [];
  let cursor: string | null = null;
  let seen = new Set<number>();
  let rows = 0;
  let total = "";
  let run = 0;
  for (let i = 0; i < REQUESTS; i++) {
    if (cursor === null || run === CURSOR_RUN) {
      cursor = null;
      run = 0;
      seen = new Set();
    }
    const path = `/products-for-review?limit=20&${item.query}${cursor === null ? "" : `&cursor=${cursor}`}`;
    const started = performance.now();
    const response = await app.request(path);
    const page = await response.json() as ReviewPage;
    const elapsed = performance.now() - started;
    if (response.status !== 200) {
      throw new Error(`GET ${path} answered ${response.status}: ${JSON.stringify(page)}`);
    }
    if (page.items.length === 0) throw new Error(`GET ${path} answered no rows`);
    for (const product of page.items) {
      if (seen.has(product.product_id)) {
        throw new Error(`${item.name}: product ${product.product_id} repeated`);
      }
      seen.add(product.product_id);
    }
    total = `${page.total}${page.total_capped ? "+" : ""}`;
    rows += page.items.length;
    const wasFirst = cursor === null;
    if (!cursorOnly || !wasFirst) latencies.push(elapsed);
    cursor = page.next_cursor;
    run++;
  }
  return { name: item.name, latencies: latencies.sort((a, b) => a - b), rows, total };
}

/** `db`, recording every statement run through it (also inside transactions) while `recording` holds. */
function recorder(db: Database): { db: Database; take(): SqlQuery[] } {
  let recorded: SqlQuery[] = [];
  const wrap = (target: Queryable): Queryable => ({
    query<T>(query: SqlQuery): Promise<T[]> {
      recorded.push(query);
      return target.query<T>(query);
    },
  });
  const wrapped: Database = {
    ...db,
    query: (query) => wrap(db).query(query),
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
  };
  return {
    db: wrapped,
    take() {
      const taken = recorded;
      recorded = [];
      return taken;
    },
  };
}

/** The plan of each statement of one request, replayed under EXPLAIN ANALYZE (scans and timings only). */
async function explainRequest(db: Database, statements: SqlQuery[]): Promise<void> {
  for (const statement of statements) {
    if (!/^\s*(WITH|SELECT)/i.test(statement.text) || /set_config/.test(statement.text)) continue;
    const plan = await db.transaction(async (tx) => {
      await tx.query(sql`SELECT set_config('hnsw.ef_search', '1000', true)`);
      return await tx.query<Record<string, string>>({
        text: `EXPLAIN (ANALYZE, COSTS OFF) ${statement.text}`,
        values: statement.values,
      });
    });
    const lines = plan.map((row) => Object.values(row)[0]);
    const first = statement.text.trim().split("\n")[0].slice(0, 90);
    console.log(`    ${first}`);
    for (const line of lines) {
      if (/Scan|Execution Time|Sort Method|Limit \(/.test(line)) console.log(`      ${line.trim()}`);
    }
  }
}

async function timeBaseline(name: string, fn: () => Promise<unknown>, times = REQUESTS): Promise<Result> {
  const latencies: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await fn();
    latencies.push(performance.now() - started);
  }
  return { name, latencies: latencies.sort((a, b) => a - b), rows: 0, total: "" };
}

async function main(): Promise<void> {
  const url = values["database-url"];
  let db: Database;
  if (url) {
    db = await openPostgresDatabase(url, { max: 4 });
  } else {
    const dir = dataDir();
    if (values.fresh) fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    db = await openPgliteDatabase(dir);
  }
  try {
    await migrate(db);
    await ensureCatalogue(db);
    const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
    const [{ id: realImport }] = await db.query<{ id: number }>(sql`
      SELECT id FROM imports WHERE file_name = 'real.csv'`);
    const [{ value: common }] = await db.query<{ value: string }>(sql`
      SELECT suggestion AS value FROM review_queue GROUP BY suggestion ORDER BY count(*) DESC LIMIT 1`);
    const similarIds = await db.query<{ id: number }>(sql`
      SELECT product_id AS id FROM review_queue ORDER BY product_id LIMIT 5`);
    const waiting = await count(db, sql`SELECT count(*)::int AS n FROM review_queue`);
    const similar = (i: number) => similarIds[i % similarIds.length].id;
    const suggestion = encodeURIComponent(common);
    const cases: Case[] = [
      { name: "no filter", query: "" },
      { name: `import_id (real.csv, ${REAL} rows)`, query: `import_id=${realImport}` },
      { name: `suggestion ("${common}")`, query: `suggestion=${suggestion}` },
      { name: "confidence 0.4–0.6", query: "min_confidence=0.4&max_confidence=0.6" },
      { name: "q=black (common word)", query: "q=black" },
      { name: "q=cartridge hp (two prefixes)", query: "q=cartridge%20hp" },
      { name: "similar_to", query: `similar_to=${similar(0)}` },
      {
        name: "import + suggestion + confidence",
        query: `import_id=${realImport}&suggestion=${suggestion}&min_confidence=0.2&max_confidence=0.9`,
      },
      { name: "q + confidence", query: "q=black&min_confidence=0.3&max_confidence=0.7" },
      { name: "similar_to + confidence", query: `similar_to=${similar(1)}&min_confidence=0.1` },
    ];

    if (values.explain) {
      const recording = recorder(db);
      const explained = await signedInApp({
        db: recording.db,
        modelId: TEST_MODEL_ID,
        maxUploadBytes: 1024 * 1024,
      });
      for (const item of cases) {
        recording.take();
        const response = await explained.request(`/products-for-review?limit=20&${item.query}`);
        const page = await response.json() as ReviewPage;
        console.log(`EXPLAIN ${item.name}`);
        await explainRequest(db, recording.take());
        if (page.next_cursor) {
          await explained.request(`/products-for-review?limit=20&${item.query}&cursor=${page.next_cursor}`);
          console.log(`EXPLAIN ${item.name}, next page by cursor`);
          await explainRequest(db, recording.take());
        }
      }
    }

    // Warm-up: plans, caches, the JIT.
    for (const item of cases) {
      for (let i = 0; i < 5; i++) await app.request(`/products-for-review?limit=20&${item.query}`);
    }
    const results: Result[] = [];
    results.push(
      await timeBaseline("baseline: GET /health", async () => (await app.request("/health")).json()),
    );
    results.push(
      await timeBaseline(
        "baseline: SELECT … ORDER BY id LIMIT 20",
        () => db.query(sql`SELECT id, import_id, row_number, data, text FROM products ORDER BY id LIMIT 20`),
      ),
    );
    for (const item of cases) {
      console.error(`measuring ${item.name}…`);
      const result = await measureCase(app, item, false);
      results.push({ ...result, name: `${item.name}, first + cursor pages` });
      if (item.name === "no filter") {
        const deep = await measureCase(app, item, true);
        results.push({ ...deep, name: "no filter, cursor pages only" });
      }
    }
    const offset = await timeBaseline(
      "no filter, offset=5000 (old paging, ×5)",
      async () => (await app.request("/products-for-review?limit=20&offset=5000")).json(),
      5, // seconds each on PGlite: five are enough to show the gap
    );
    results.push(offset);

    const base = percentile(results[1].latencies, 50);
    const cpu = os.cpus();
    console.log(
      `bench:queue on ${cpu.length} × ${cpu[0]?.model.trim()}, load average ${os.loadavg()[0].toFixed(2)}, ` +
        `${url ? "PostgreSQL" : "embedded PGlite"}`,
    );
    console.log(
      `GET /products-for-review?limit=20 at ${CATALOGUE} products (${waiting} waiting for review), ` +
        `${REQUESTS} sequential requests per case through await signedInApp(); ratios against the SQL baseline's p50.`,
    );
    console.log("| case | total | p50 ms | p95 ms | max ms | p95 / baseline p50 |");
    console.log("| ---- | ----: | -----: | -----: | -----: | -----------------: |");
    for (const result of results) {
      const p50 = percentile(result.latencies, 50);
      const p95 = percentile(result.latencies, 95);
      const max = result.latencies[result.latencies.length - 1];
      console.log(
        `| ${result.name} | ${result.total} | ${p50.toFixed(1)} | ${p95.toFixed(1)} | ${max.toFixed(1)} | ` +
          `${(p95 / base).toFixed(1)}× |`,
      );
    }
  } finally {
    await db.close();
  }
}

await main();
