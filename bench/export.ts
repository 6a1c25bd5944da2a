/**
 * `npm run bench:export`: fills an on-disk PGlite database with 1M products directly in SQL
 * (generate_series over 2,000 real Walmart-Amazon rows; 10% seed labels, 5% human decisions, 60%
 * suggestions), then streams GET /export through app.request as CSV and as JSON Lines, counting bytes and
 * rows. Baseline in the same run: the same keyset pages read with no formatting and no stream. Prints
 * rows/s, the ratio to the baseline, and the peak RSS of each phase, plus RSS along the CSV export to show
 * it stays flat. Options: --rows N (default 1000000).
 */
import { signedInApp } from "../testing/signed_in_app.ts";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import type { Database } from "../core/db/database.ts";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { migrate } from "../core/db/migrate.ts";
import { sql } from "../core/db/sql.ts";
import { datasetRows, TEST_MODEL_ID } from "../testing/testing.ts";
import { readExportPage } from "../core/export/export_rows.ts";
import { EXPORT_PAGE_SIZE } from "../core/export/export_stream.ts";
import { mib, sampleRss } from "./rss_sampler.ts";

const { values } = parseArgs({
  options: { rows: { type: "string", default: "1000000" }, "fill-only": { type: "string" } },
});
const rowCount = Number(values.rows);
const INSERT_BATCH = 100_000;

/** Inserts the import, its products, labels and suggestions; returns the import id. */
async function fill(db: Database): Promise<number> {
  const source = datasetRows(2000);
  const column = (name: keyof (typeof source)[number]) => source.map((row) => row[name]);
  const [{ id }] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, columns, text_columns, label_column)
    VALUES ('bench.csv', 'imported', '["id","title","category","brand","modelno","price"]', '["title"]',
            'category')
    RETURNING id`);
  for (let first = 1; first <= rowCount; first += INSERT_BATCH) {
    const last = Math.min(first + INSERT_BATCH - 1, rowCount);
    await db.query(sql`
      WITH src AS (
        SELECT * FROM unnest(${column("title")}::text[], ${column("category")}::text[],
                             ${column("brand")}::text[], ${column("modelno")}::text[], ${
      column("price")
    }::text[])
          WITH ORDINALITY AS s(title, category, brand, modelno, price, n)
      )
      INSERT INTO products (import_id, row_number, data, text, seed_label)
      SELECT ${id}, g,
        jsonb_build_object('id', g::text, 'title', src.title, 'category', src.category, 'brand', src.brand,
                           'modelno', src.modelno, 'price', src.price),
        src.title, CASE WHEN g % 10 = 0 THEN src.category END
      FROM generate_series(${first}::int, ${last}::int) AS g
      JOIN src ON src.n = 1 + g % ${source.length}`);
  }
  await db.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, seed_label, 'seed' FROM products WHERE seed_label IS NOT NULL`);
  await db.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, data->>'category', 'human' FROM products WHERE row_number % 20 = 1`);
  await db.query(sql`
    INSERT INTO suggestions (product_id, value, confidence, source, model_version)
    SELECT id, data->>'category', (row_number % 100) / 100.0, 'knn', 'bench-v1'
    FROM products WHERE row_number % 10 BETWEEN 2 AND 7`);
  await db.executeScript("ANALYZE; CHECKPOINT;");
  return id;
}

interface Phase {
  name: string;
  seconds: number;
  rows: number;
  bytes: number;
  peak: number;
}

/** The floor: the export's own keyset pages, rows counted, nothing formatted or streamed. */
async function baseline(db: Database, importId: number): Promise<Phase> {
  const rss = sampleRss();
  const started = performance.now();
  let rows = 0;
  let afterId = 0;
  for (;;) {
    const page = await readExportPage(db, {
      importIds: [importId],
      rows: "all",
      afterId,
      limit: EXPORT_PAGE_SIZE,
    });
    rows += page.length;
    if (page.length < EXPORT_PAGE_SIZE) break;
    afterId = page[page.length - 1].id;
  }
  return {
    name: "keyset SELECT, no formatting (baseline)",
    seconds: (performance.now() - started) / 1000,
    rows,
    bytes: 0,
    peak: rss.stop(),
  };
}

/** Streams GET /export and counts bytes and lines (no cell holds a line break in this data). */
async function download(db: Database, format: "csv" | "jsonl", along: number[]): Promise<Phase> {
  const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 });
  const rss = sampleRss();
  const started = performance.now();
  const response = await app.request(`/export?format=${format}`);
  if (response.status !== 200 || !response.body) throw new Error(`Benchmark broken: ${response.status}`);
  let bytes = 0;
  let lines = 0;
  let nextSample = rowCount / 10;
  for await (const chunk of response.body) {
    bytes += chunk.length;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++;
    if (lines >= nextSample) {
      along.push(process.memoryUsage().rss);
      nextSample += rowCount / 10;
    }
  }
  const rows = format === "csv" ? lines - 1 : lines;
  if (rows !== rowCount) throw new Error(`Benchmark broken: ${format} export has ${rows} rows`);
  return {
    name: `GET /export?format=${format} (stream read to the end)`,
    seconds: (performance.now() - started) / 1000,
    rows,
    bytes,
    peak: rss.stop(),
  };
}

/** Fills `dataDir` in a child process, so the fill's memory (PGlite keeps its WASM heap) is not measured. */
function fillInChild(dataDir: string): number {
  const child = spawnSync(
    process.execPath,
    ["run", "-A", import.meta.filename!, "--rows", String(rowCount), "--fill-only", dataDir],
    { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" },
  );
  if (child.status !== 0) throw new Error(`Benchmark broken: the fill exited with ${child.status}`);
  return Number(child.stdout.trim());
}

if (values["fill-only"]) {
  const db = await openPgliteDatabase(values["fill-only"]);
  try {
    await migrate(db);
    console.log(await fill(db));
  } finally {
    await db.close();
  }
  process.exit(0);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-bench-export-"));
try {
  const dataDir = path.join(work, "data");
  const started = performance.now();
  const importId = fillInChild(dataDir);
  const fillSeconds = (performance.now() - started) / 1000;
  const db = await openPgliteDatabase(dataDir);
  try {
    const rssOpen = process.memoryUsage().rss;
    await baseline(db, importId); // warm-up: every phase then reads from the same warm page cache
    const rssWarm = process.memoryUsage().rss;
    const base = await baseline(db, importId);
    const along: number[] = [];
    const csv = await download(db, "csv", along);
    const jsonl = await download(db, "jsonl", []);
    console.log(
      `export benchmark: ${rowCount} products (10% seed, 5% human, 60% suggested), on-disk PGlite, ` +
        `pages of ${EXPORT_PAGE_SIZE}; filled in ${fillSeconds.toFixed(0)} s (child process)`,
    );
    console.log(`| phase | seconds | rows/s | MiB/s | peak RSS | vs baseline |`);
    console.log(`|---|---|---|---|---|---|`);
    for (const phase of [base, csv, jsonl]) {
      const rate = phase.rows / phase.seconds;
      console.log(
        `| ${phase.name} | ${phase.seconds.toFixed(1)} | ${rate.toFixed(0)} | ${
          phase.bytes ? (phase.bytes / 1024 / 1024 / phase.seconds).toFixed(1) : "—"
        } | ${mib(phase.peak)} | ${(rate / (base.rows / base.seconds)).toFixed(2)} |`,
      );
    }
    console.log(`CSV ${mib(csv.bytes)}, JSON Lines ${mib(jsonl.bytes)}`);
    console.log(`RSS with the database open: ${mib(rssOpen)}; after a warm-up read: ${mib(rssWarm)}`);
    console.log(`RSS at each tenth of the CSV export: ${along.map((bytes) => mib(bytes)).join(", ")}`);
  } finally {
    await db.close();
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
