/**
 * `npm run bench:embed`: embedding throughput of the model alone and of the whole worker path (claim from
 * the on-disk PGlite queue → embed → write vectors → suggestions), for an unlabelled file and for a file
 * whose every row carries a seed label, in one run, with their ratios. Real titles of the Walmart-Amazon
 * dataset in datasets/: the unlabelled file is tableB's first --rows rows, the labelled file the next --rows
 * rows with their category as seed label (as a user's file with a category column would be).
 *
 * All paths alternate in rounds of --round rows per file, so anything else loading the machine slows them
 * alike and the ratios stay fair; compare ratios, not products/s, between runs. Each round: the model alone
 * on the round's texts of both files (batches of --batch in file order), sentence-transformers (PyTorch) on
 * the same texts when the model build's Python environment exists, then the worker on the unlabelled
 * file's rows, then on the labelled file's rows. The worker rows also say where its time went
 * (worker_loop.ts WorkerStats.seconds).
 *
 * Options: --rows N per file (default 2000), --round N (default 250), --dtype fp32|q8 (default fp32),
 * --batch N (default 32), --device auto|cpu|cuda (default auto: a worker's choice; the line "device:" says what
 * was used).
 * sentence-transformers runs from ${CSV_SORTER_CACHE:-~/.cache/csv-sorter}/venv with the weights
 * scripts/ensure_model.sh unpacked there; without them the benchmark says so and skips that row.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { benchDevice, loadBenchEmbedder } from "./bench_device.ts";
import { migrate } from "../core/db/migrate.ts";
import { sql } from "../core/db/sql.ts";
import { datasetRows, TEST_MODEL_ID, TEST_MODEL_PATH } from "../testing/testing.ts";
import { startWorker, type WorkerStats, type WorkerStep } from "../core/worker/worker_loop.ts";
import { startSentenceTransformers } from "./sentence_transformers.ts";

const STEPS: WorkerStep[] = ["claim", "embed", "write", "suggest", "neighbours", "other"];

function emptySteps(): WorkerStats["seconds"] {
  return { claim: 0, embed: 0, write: 0, suggest: 0, neighbours: 0, other: 0 };
}

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "2000" },
    round: { type: "string", default: "250" },
    dtype: { type: "string", default: "fp32" },
    batch: { type: "string", default: "32" },
    device: { type: "string", default: "auto" },
  },
});
const rowCount = Number(values.rows);
const round = Number(values.round);
const batchSize = Number(values.batch);
const dtype = values.dtype as "fp32" | "q8";

const all = datasetRows(Math.ceil(2.5 * rowCount)).filter((row) =>
  row.title.trim() !== "" && row.category.trim() !== ""
);
if (all.length < 2 * rowCount) throw new Error(`Only ${all.length} dataset rows have a title and a category`);
const unlabelledFile = all.slice(0, rowCount);
const labelledFile = all.slice(rowCount, 2 * rowCount);

const device = await benchDevice(values.device);
const embedder = await loadBenchEmbedder(device, {
  modelId: TEST_MODEL_ID,
  localModelPath: TEST_MODEL_PATH,
  allowRemoteModels: false,
  dtype,
});
await embedder.embed(unlabelledFile.slice(0, batchSize).map((row) => row.title)); // warm-up: first-call allocations are not throughput

const pytorch = await startSentenceTransformers(batchSize);
if (!pytorch.available) console.log(`sentence-transformers (PyTorch): skipped: ${pytorch.reason}`);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-bench-embed-"));
const db = await openPgliteDatabase(dataDir);
try {
  await migrate(db);
  // Started before any product exists, so its start-up sweep queues nothing: each round queues its own.
  const worker = await startWorker(db, embedder, { batchSize, pollMs: 50, leaseSeconds: 300, log: () => {} });
  const importFile = async (name: string, rows: typeof all, labelled: boolean): Promise<number> => {
    const [created] = await db.query<{ id: number }>(sql`
      INSERT INTO imports (file_name, status, row_count) VALUES (${name}, 'imported', ${rows.length}) RETURNING id`);
    await db.query(sql`
      INSERT INTO products (import_id, row_number, data, text, seed_label)
      SELECT ${created.id}, item.n, jsonb_build_object('title', item.title), item.title, item.label
      FROM unnest(${rows.map((_, i) => i + 1)}::int[], ${rows.map((row) => row.title)}::text[],
                  ${rows.map((row) => (labelled ? row.category : null))}::text[]) AS item(n, title, label)`);
    await db.query(sql`
      INSERT INTO product_labels (product_id, value, source)
      SELECT id, seed_label, 'seed' FROM products WHERE import_id = ${created.id} AND seed_label IS NOT NULL`);
    return created.id;
  };
  const unlabelledImport = await importFile("unlabelled.csv", unlabelledFile, false);
  const labelledImport = await importFile("labelled.csv", labelledFile, true);

  const seconds = { model: 0, pytorch: 0, unlabelled: 0, labelled: 0 };
  const steps = { unlabelled: emptySteps(), labelled: emptySteps() };
  const workerRound = async (
    file: "unlabelled" | "labelled",
    importId: number,
    first: number,
    last: number,
  ) => {
    const before = { ...worker.stats.seconds };
    const started = performance.now();
    await db.query(sql`
      INSERT INTO embedding_queue (model_id, product_id)
      SELECT ${TEST_MODEL_ID}, id FROM products
      WHERE import_id = ${importId} AND row_number BETWEEN ${first} AND ${last}`);
    await db.query(sql`SELECT pg_notify('csv_sorter_work', 'bench')`);
    await worker.idle();
    seconds[file] += (performance.now() - started) / 1000;
    for (const step of STEPS) steps[file][step] += worker.stats.seconds[step] - before[step];
  };
  for (let first = 1; first <= rowCount; first += round) {
    const last = Math.min(first + round - 1, rowCount);
    const texts = [unlabelledFile, labelledFile].map((file) =>
      file.slice(first - 1, last).map((row) => row.title)
    );
    const started = performance.now();
    for (const fileTexts of texts) {
      for (let i = 0; i < fileTexts.length; i += batchSize) {
        await embedder.embed(fileTexts.slice(i, i + batchSize));
      }
    }
    seconds.model += (performance.now() - started) / 1000;
    if (pytorch.available) {
      for (const fileTexts of texts) seconds.pytorch += await pytorch.time(fileTexts);
    }
    await workerRound("unlabelled", unlabelledImport, first, last);
    await workerRound("labelled", labelledImport, first, last);
  }
  await worker.stop();
  const [{ embedded, suggested }] = await db.query<{ embedded: number; suggested: number }>(sql`
    SELECT (SELECT count(*)::int FROM embeddings) AS embedded, (SELECT count(*)::int FROM suggestions) AS suggested`);
  if (embedded !== 2 * rowCount) throw new Error(`Benchmark broken: ${embedded} of ${2 * rowCount} embedded`);

  const modelRate = (2 * rowCount) / seconds.model;
  const rate = (file: "unlabelled" | "labelled") => rowCount / seconds[file];
  console.log(
    `embedding benchmark: ${rowCount} + ${rowCount} real titles, ${dtype}, batch ${batchSize}, rounds of ${round}, ` +
      `${os.cpus().length} cores, ${suggested} suggestions at the end`,
  );
  console.log(`device: ${device.describe()}`);
  console.log(`| path | seconds | products/s | × model alone |`);
  console.log(`|---|---:|---:|---:|`);
  if (pytorch.available) {
    const pytorchRate = (2 * rowCount) / seconds.pytorch;
    console.log(
      `| sentence-transformers (PyTorch ${pytorch.torch}, ${pytorch.threads} threads, fp32) | ` +
        `${seconds.pytorch.toFixed(1)} | ${pytorchRate.toFixed(1)} | ${
          (pytorchRate / modelRate).toFixed(2)
        } |`,
    );
  }
  console.log(
    `| model alone (transformers.js, ${dtype}) | ${seconds.model.toFixed(1)} | ${
      modelRate.toFixed(1)
    } | 1.00 |`,
  );
  for (const file of ["unlabelled", "labelled"] as const) {
    console.log(
      `| worker, ${file} file | ${seconds[file].toFixed(1)} | ${rate(file).toFixed(1)} | ` +
        `${(rate(file) / modelRate).toFixed(2)} |`,
    );
  }
  console.log(
    `labelled / unlabelled worker throughput ratio: ${(rate("labelled") / rate("unlabelled")).toFixed(2)}`,
  );
  console.log(`\nwhere the worker's time went (seconds; "wait" is the rest: polling, idle checks):`);
  console.log(`| file | ${STEPS.join(" | ")} | wait |`);
  console.log(`|---|${STEPS.map(() => "---:|").join("")}---:|`);
  for (const file of ["unlabelled", "labelled"] as const) {
    const busy = STEPS.reduce((sum, step) => sum + steps[file][step], 0);
    console.log(
      `| ${file} | ${STEPS.map((step) => steps[file][step].toFixed(1)).join(" | ")} | ` +
        `${(seconds[file] - busy).toFixed(1)} |`,
    );
  }
} finally {
  await pytorch.stop();
  await db.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
