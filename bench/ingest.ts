/**
 * `npm run bench:ingest`: builds a 100k-row CSV from the Walmart-Amazon dataset in datasets/ (its 22k Amazon rows repeated
 * with the row id changed) and imports it through POST /upload-csv into an on-disk PGlite database
 * (committed batches of 500 under status 'importing', then one finishing transaction). Baseline in the same run: papaparse alone over the same file. Prints rows/s, the ratio,
 * and the peak RSS of each phase. Options: --rows N (default 100000).
 */
import { signedInApp } from "../testing/signed_in_app.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import Papa from "papaparse";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { migrate } from "../core/db/migrate.ts";
import { datasetRows, TEST_MODEL_ID } from "../testing/testing.ts";
import { mib, sampleRss } from "./rss_sampler.ts";

const { values } = parseArgs({ options: { rows: { type: "string", default: "100000" } } });
const rowCount = Number(values.rows);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-bench-ingest-"));
const csvPath = path.join(work, "feed.csv");

const source = datasetRows(30_000);
const out = fs.createWriteStream(csvPath);
out.write("id,title,category,brand,modelno,price\n");
for (let i = 0; i < rowCount; i++) {
  const row = source[i % source.length];
  out.write(Papa.unparse([[String(i), row.title, row.category, row.brand, row.modelno, row.price]]) + "\n");
}
await new Promise((resolve) => out.end(resolve));
const bytes = fs.statSync(csvPath).size;

let rss = sampleRss();
let started = performance.now();
let parsed = 0;
const parser = Papa.parse(Papa.NODE_STREAM_INPUT, { header: false, skipEmptyLines: "greedy" });
fs.createReadStream(csvPath).pipe(parser);
for await (const _ of parser as AsyncIterable<string[]>) parsed++;
const parseSeconds = (performance.now() - started) / 1000;
const parsePeak = rss.stop();

const db = await openPgliteDatabase(path.join(work, "data"));
try {
  await migrate(db);
  const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 * 1024 });
  const rssBefore = process.memoryUsage().rss;
  rss = sampleRss();
  started = performance.now();
  const response = await app.request("/upload-csv?label_column=category", {
    method: "POST",
    headers: { "content-type": "text/csv", "content-length": String(bytes) },
    body: Readable.toWeb(fs.createReadStream(csvPath)) as ReadableStream,
    // @ts-ignore: streaming request bodies need duplex in fetch-style Request construction
    duplex: "half",
  });
  const importSeconds = (performance.now() - started) / 1000;
  const importPeak = rss.stop();
  const body = await response.json();
  if (response.status !== 201 || body.row_count !== rowCount) {
    throw new Error(`Benchmark broken: ${response.status} ${JSON.stringify(body).slice(0, 300)}`);
  }
  const importRate = rowCount / importSeconds;
  const parseRate = (parsed - 1) / parseSeconds;
  console.log(
    `ingest benchmark: ${rowCount} rows, ${
      mib(bytes)
    } CSV, on-disk PGlite, committed batches of 500 then one finishing transaction`,
  );
  console.log(`| phase | seconds | rows/s | peak RSS |`);
  console.log(`|---|---|---|---|`);
  console.log(
    `| papaparse alone (baseline) | ${parseSeconds.toFixed(1)} | ${parseRate.toFixed(0)} | ${
      mib(parsePeak)
    } |`,
  );
  console.log(
    `| POST /upload-csv (spool → parse → insert → labels → queue) | ${importSeconds.toFixed(1)} | ${
      importRate.toFixed(0)
    } | ${mib(importPeak)} |`,
  );
  console.log(`RSS with the database open, before the import: ${mib(rssBefore)}`);
  console.log(`import / parse-only throughput ratio: ${(importRate / parseRate).toFixed(3)}`);
} finally {
  await db.close();
  fs.rmSync(work, { recursive: true, force: true });
}
