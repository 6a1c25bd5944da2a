/**
 * `npm run bench:embed-responsiveness`: does the embedded default answer reviewers while it embeds? One
 * process holds what `npm start` holds without DATABASE_URL — on-disk PGlite, the worker loop and the web
 * app served over HTTP — and a client on another thread (a Web Worker: its clock runs while this process'
 * event loop is blocked) requests GET /products-for-review?limit=20 and GET /review (the page) in turn.
 *
 * Two placements of the model in one run, each on a fresh database with the same rows: on the server's own
 * thread (loadEmbedder, as before) and on a thread of its own (loadEmbedderOnThread, what launch_worker.ts
 * picks under Deno). Each: 1,000 seed-labelled rows already embedded (real vectors, cached), then --rows
 * new unlabelled titles queued and embedded while the client samples. Reported per placement and endpoint:
 * p50, p99 and max latency, the longest stall of this process' event loop (a 10 ms timer's lateness), the
 * embedding rate; and the ratios own thread / server thread. Goal (issue: throughput): p99 < 150 ms and
 * max < 500 ms while 20,000 rows embed.
 *
 * Options: --rows N (default 20000), --batch N (default 32, EMBED_BATCH_SIZE's default).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ModelRuntime } from "../core/models/active_model.ts";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { type Embedder, loadEmbedder } from "../core/embedding/embedder.ts";
import { loadEmbedderOnThread } from "../core/embedding/embedder_thread.ts";
import { migrate } from "../core/db/migrate.ts";
import { sql, vectorLiteral } from "../core/db/sql.ts";
import { datasetRows, freePort, TEST_MODEL_ID, TEST_MODEL_PATH } from "../testing/testing.ts";
import { signedInApp } from "../testing/signed_in_app.ts";
import { startWorker } from "../core/worker/worker_loop.ts";
import { catalogueRows, createCatalogueImport, embedCached } from "./catalogue.ts";
import { percentile } from "./percentile.ts";
import { searchKey, textKey } from "../core/text_key.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "20000" },
    batch: { type: "string", default: "32" },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const LABELLED = 1000;
const ENDPOINTS = ["/products-for-review?limit=20", "/review"] as const;

const labelled = catalogueRows().slice(0, LABELLED);
const labelledVectors = await embedCached(labelled.map((row) => row.title), "responsiveness-labelled");
// New titles: tableA (the other shop), so they are not the labelled rows again.
const fresh = datasetRows(ROWS, "tableA").filter((row) => row.title.trim() !== "").map((row) => row.title);
const titles = Array.from({ length: ROWS }, (_, i) => fresh[i % fresh.length]);

interface Sample {
  endpoint: string;
  ms: number;
}

interface Run {
  placement: string;
  seconds: number;
  rowsPerSecond: number;
  longestStallMs: number;
  stallsOver250: number;
  steps: Record<string, number>;
  latency: Record<string, { n: number; p50: number; p99: number; max: number }>;
}

async function measure(
  placement: string,
  load: () => Promise<Embedder & { close?: () => void }>,
): Promise<Run> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-bench-responsive-"));
  const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-bench-responsive-models-"));
  const db = await openPgliteDatabase(dataDir);
  const embedder = await load();
  try {
    await migrate(db);
    const seeded = await createCatalogueImport(db, "labelled.csv", LABELLED);
    const numbers = labelled.map((_, i) => i + 1);
    await db.transaction(async (tx) => {
      await tx.query(sql`
        INSERT INTO products (import_id, row_number, data, text, seed_label, text_key, search_key)
        SELECT ${seeded}, item.n, jsonb_build_object('title', item.title, 'category', item.category),
               item.title, item.category, item.text_key, item.search_key
        FROM unnest(${numbers}::int[], ${labelled.map((row) => row.title)}::text[],
                    ${labelled.map((row) => row.category)}::text[],
                    ${labelled.map((row) => textKey(row.title))}::text[],
                    ${labelled.map((row) => searchKey(row.title))}::text[])
          AS item(n, title, category, text_key, search_key)`);
      await tx.query(sql`
        INSERT INTO product_labels (product_id, value, source)
        SELECT id, seed_label, 'seed' FROM products WHERE import_id = ${seeded}`);
      await tx.query(sql`
        INSERT INTO embeddings (product_id, model_id, embedding)
        SELECT products.id, ${TEST_MODEL_ID}, item.embedding::vector
        FROM unnest(${numbers}::int[], ${labelledVectors.map(vectorLiteral)}::text[]) AS item(n, embedding)
        JOIN products ON products.import_id = ${seeded} AND products.row_number = item.n`);
    });
    const models = new ModelRuntime({
      modelsDir,
      embeddingModelId: TEST_MODEL_ID,
      dimensions: 384,
      log: () => {},
    });
    const worker = await startWorker(db, embedder, {
      batchSize: BATCH,
      pollMs: 500,
      leaseSeconds: 300,
      log: () => {},
      models,
    });
    await worker.idle();
    const app = await signedInApp({
      db,
      modelId: TEST_MODEL_ID,
      maxUploadBytes: 1024 * 1024,
      models,
      modelsDir,
    });
    const port = await freePort();
    const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, app.app.fetch);

    const clientSource = `
      let running = true;
      const samples = [];
      self.onmessage = async (event) => {
        if (event.data === "stop") { running = false; return; }
        const { base, endpoints, token } = event.data;
        // Any failure is posted back: an error thrown here would end the thread and leave the bench waiting.
        try {
          for (let i = 0; running; i++) {
            const endpoint = endpoints[i % endpoints.length];
            const t0 = performance.now();
            const response = await fetch(base + endpoint, {
              headers: { authorization: "Bearer " + token },
              signal: AbortSignal.timeout(120000),
            });
            await response.arrayBuffer();
            if (response.status !== 200) throw new Error("GET " + endpoint + " answered " + response.status);
            samples.push({ endpoint, ms: performance.now() - t0 });
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          self.postMessage(samples);
        } catch (error) {
          self.postMessage({ error: String(error) });
        }
      };`;
    const client = new Worker(URL.createObjectURL(new Blob([clientSource], { type: "text/javascript" })), {
      type: "module",
    });
    const collected = new Promise<Sample[]>((resolve, reject) => {
      client.onmessage = (event) =>
        event.data.error ? reject(new Error(`The client failed: ${event.data.error}`)) : resolve(event.data);
      client.onerror = (event) => reject(new Error(event.message));
    });

    let longestStall = 0;
    let stallsOver250 = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestStall = Math.max(longestStall, now - last - 10);
      if (now - last - 10 > 250) stallsOver250++;
      last = now;
    }, 10);
    const stepsBefore = { ...worker.stats.seconds };
    const started = performance.now();
    const queued = await createCatalogueImport(db, "new.csv", ROWS);
    // Keyed as the importer keys them (core/imports/csv_import.ts); rows without keys are keyed later,
    // on the server's thread (core/db/text_key_fill.ts), which is not what an upload costs.
    await db.query(sql`
      INSERT INTO products (import_id, row_number, data, text, text_key, search_key)
      SELECT ${queued}, item.n, jsonb_build_object('title', item.title), item.title, item.text_key, item.search_key
      FROM unnest(${titles.map((_, i) => i + 1)}::int[], ${titles}::text[], ${titles.map(textKey)}::text[],
                  ${titles.map(searchKey)}::text[]) AS item(n, title, text_key, search_key)`);
    client.postMessage({ base: `http://127.0.0.1:${port}`, endpoints: ENDPOINTS, token: app.token });
    await db.query(sql`
      INSERT INTO embedding_queue (model_id, product_id)
      SELECT ${TEST_MODEL_ID}, id FROM products WHERE import_id = ${queued}`);
    await db.query(sql`SELECT pg_notify('csv_sorter_work', 'bench')`);
    let reported = 0;
    while (true) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const [{ n }] = await db.query<{ n: number }>(sql`
        SELECT count(*)::int AS n FROM embeddings JOIN products ON products.id = embeddings.product_id
        WHERE products.import_id = ${queued}`);
      if (n - reported >= 2000 || n === ROWS) {
        console.error(`  ${placement}: ${n} of ${ROWS} embedded`);
        reported = n;
      }
      if (n === ROWS) break;
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(ticker);
    const steps = Object.fromEntries(
      Object.entries(worker.stats.seconds).map(([step, total]) => [
        step,
        total - stepsBefore[step as keyof typeof stepsBefore],
      ]),
    );
    client.postMessage("stop");
    const samples = await collected;
    client.terminate();
    await server.shutdown();
    await worker.stop();
    models.close();

    const latency: Run["latency"] = {};
    for (const endpoint of ENDPOINTS) {
      const sorted = samples.filter((sample) => sample.endpoint === endpoint).map((sample) => sample.ms)
        .sort((a, b) => a - b);
      latency[endpoint] = {
        n: sorted.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.at(-1) ?? NaN,
      };
    }
    return {
      placement,
      seconds,
      rowsPerSecond: ROWS / seconds,
      longestStallMs: longestStall,
      stallsOver250,
      steps,
      latency,
    };
  } finally {
    embedder.close?.();
    await db.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(modelsDir, { recursive: true, force: true });
  }
}

const options = {
  modelId: TEST_MODEL_ID,
  localModelPath: TEST_MODEL_PATH,
  allowRemoteModels: false,
  dtype: "fp32",
} as const;
const runs = [
  await measure("server thread", () => loadEmbedder(options)),
  // As launch_worker.ts starts it (one core left to the server's thread: embedder_thread.ts).
  await measure("own thread", () => loadEmbedderOnThread(options)),
];

const cpu = os.cpus();
console.log(
  `bench:embed-responsiveness on ${cpu.length} × ${
    cpu[0]?.model.trim()
  }: ${ROWS} rows embedded (batches of ` +
    `${BATCH}) into on-disk PGlite holding ${LABELLED} labelled rows, while a client requests\n`,
);
console.log(
  "| model on | endpoint | requests | p50 ms | p99 ms | max ms | longest event-loop stall ms | rows/s |",
);
console.log("|---|---|---:|---:|---:|---:|---:|---:|");
for (const run of runs) {
  for (const endpoint of ENDPOINTS) {
    const l = run.latency[endpoint];
    console.log(
      `| ${run.placement} | GET ${endpoint} | ${l.n} | ${l.p50.toFixed(0)} | ${l.p99.toFixed(0)} | ` +
        `${l.max.toFixed(0)} | ${run.longestStallMs.toFixed(0)} | ${run.rowsPerSecond.toFixed(1)} |`,
    );
  }
}
console.log("\nwhere the worker's time went (seconds), and the event loop's stalls over 250 ms:");
for (const run of runs) {
  console.log(
    `  ${run.placement}: ${
      Object.entries(run.steps).map(([step, s]) => `${step} ${s.toFixed(1)}`).join(", ")
    }; ` +
      `total ${run.seconds.toFixed(1)}; stalls > 250 ms: ${run.stallsOver250}`,
  );
}
const [before, after] = runs;
console.log("\nown thread / server thread:");
for (const endpoint of ENDPOINTS) {
  const ratio = (key: "p50" | "p99" | "max") =>
    (after.latency[endpoint][key] / before.latency[endpoint][key]).toFixed(2);
  console.log(`  GET ${endpoint}: p50 ${ratio("p50")}×, p99 ${ratio("p99")}×, max ${ratio("max")}×`);
}
console.log(`  embedding rate: ${(after.rowsPerSecond / before.rowsPerSecond).toFixed(2)}×`);
