/**
 * `npm run bench:scale`: the server shape on this machine.
 *
 * 1. Embedding throughput with 1, 2 and 3 worker processes (`node --import tsx gpu-worker/main.ts`, the
 *    real model) on a real PostgreSQL + pgvector server: 5,000 real Walmart-Amazon titles per run, each
 *    run on a fresh database, timed from the NOTIFY of the import to the last vector.
 * 2. GET /products-for-review latency (p50/p95) from the real web server (`deno run -A web/main.ts`) at
 *    100,000 products: first with no worker running, then while three workers embed a new import. The
 *    100k rows are inserted directly in SQL: their vectors are the 5,000 real vectors of step 1 plus
 *    noise (renormalised), 10% carry a seed label, the rest a suggestion with a random confidence.
 *
 * Uses TEST_DATABASE_URL when set, else starts scripts/pg_test_server.sh on a free port (and stops it).
 * Options: --products N (default 5000), --catalogue N (default 100000), --requests N (default 300).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import type { Database } from "../core/db/database.ts";
import { openPostgresDatabase } from "../core/db/database_postgres.ts";
import { sql } from "../core/db/sql.ts";
import { createServerTestDatabase, type ServerTestDatabase } from "../testing/test_server.ts";
import { datasetRows, freePort, REPO_ROOT, TEST_MODEL_ID, TEST_MODEL_PATH } from "../testing/testing.ts";
import { createUser } from "../core/accounts/accounts.ts";
import { createApiToken } from "../core/accounts/api_tokens.ts";
import { fillCatalogue } from "./catalogue.ts";
import {
  seedProducts,
  spawnWorker,
  stopAllWorkers,
  waitUntil,
  type WorkerProcess,
} from "../testing/worker_processes.ts";
import { percentile } from "./percentile.ts";

const { values } = parseArgs({
  options: {
    products: { type: "string", default: "5000" },
    catalogue: { type: "string", default: "100000" },
    requests: { type: "string", default: "300" },
  },
});
const PRODUCTS = Number(values.products);
const CATALOGUE = Number(values.catalogue);
const REQUESTS = Number(values.requests);
const WORKER_ENV = { WORKER_POLL_MS: "500", EMBED_BATCH_SIZE: "32" };

async function count(db: Database, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await db.query<{ n: number }>(query);
  return row.n;
}

async function startWorkers(url: string, howMany: number): Promise<WorkerProcess[]> {
  const workers = Array.from({ length: howMany }, () => spawnWorker(url, WORKER_ENV));
  await waitUntil(
    "the workers to load the model",
    () => Promise.resolve(workers.every((worker) => /\] ready: /.test(worker.output()))),
    120_000,
  );
  return workers;
}

/** Step 1: one run of `howMany` workers over PRODUCTS fresh products; keeps the database when asked. */
async function throughput(
  howMany: number,
  titles: string[],
  keep: boolean,
): Promise<{ seconds: number; created: ServerTestDatabase; db: Database }> {
  const created = await createServerTestDatabase();
  const db = await openPostgresDatabase(created.url, { max: 4 });
  const workers = await startWorkers(created.url, howMany);
  const started = performance.now();
  await seedProducts(db, titles);
  await waitUntil(
    `${titles.length} vectors`,
    async () => (await count(db, sql`SELECT count(*)::int AS n FROM embeddings`)) === titles.length,
    1_800_000,
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((worker) => worker.stop()));
  if (!keep) {
    await db.close();
    await created.drop();
  }
  return { seconds, created, db };
}

async function startWebServer(
  url: string,
): Promise<{ base: string; child: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(path.join(REPO_ROOT, "node_modules/.bin/deno"), ["run", "-A", "web/main.ts"], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      DATABASE_URL: url,
      HOST: "127.0.0.1",
      PORT: String(port),
      EMBEDDED_WORKER: "0",
      EMBEDDING_MODEL_ID: TEST_MODEL_ID,
      EMBEDDING_MODEL_PATH: TEST_MODEL_PATH,
      ALLOW_REMOTE_MODELS: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  await waitUntil("the web server", () => Promise.resolve(output.includes("CSV-Sorter on http://")), 60_000)
    .catch((error) => {
      child.kill("SIGKILL");
      throw new Error(`${error.message}\n${output}`);
    });
  return {
    base: `http://127.0.0.1:${port}`,
    child,
    async stop() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A reviewer's API token: the served app answers only authenticated requests. */
async function reviewerToken(db: Database): Promise<string> {
  await createUser(db, { name: "bench-reviewer", role: "reviewer", password: crypto.randomUUID() });
  const { token } = await createApiToken(db, {
    name: "bench:scale",
    userName: "bench-reviewer",
    role: "reviewer",
    createdBy: null,
  });
  return token;
}

/** `times` sequential GETs cycling over `paths`; returns the latencies in ms, sorted. */
async function measure(base: string, token: string, paths: string[], times: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const response = await fetch(base + paths[i % paths.length], {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await response.json() as { items?: unknown[]; total: number };
    latencies.push(performance.now() - started);
    if (response.status !== 200 || !body.items?.length) {
      throw new Error(
        `GET ${paths[i % paths.length]} answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`,
      );
    }
  }
  return latencies.sort((a, b) => a - b);
}

/** The pages a reviewer opens: the first, a few pages in, one import's first. */
function reviewPages(importId: number): string[] {
  return [
    "/products-for-review?limit=20",
    "/products-for-review?limit=20&offset=100",
    `/products-for-review?limit=20&import_id=${importId}`,
  ];
}

/** A deep page: the queue's diverse order reads every candidate before it, 200 at a time. */
const DEEP_PAGE = "/products-for-review?limit=20&offset=5000";
const DEEP_REQUESTS = 5;

function row(label: string, sample: number[]): string {
  return `| ${label} | ${percentile(sample, 50).toFixed(0)} | ${percentile(sample, 95).toFixed(0)} | ` +
    `${sample[sample.length - 1].toFixed(0)} |`;
}

/** What to undo on the way out, newest first; also run on Ctrl-C. */
const cleanup: (() => Promise<void> | void)[] = [];

async function cleanUp(): Promise<void> {
  await stopAllWorkers();
  for (const step of cleanup.splice(0).reverse()) await Promise.resolve().then(step).catch(() => {});
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void cleanUp().finally(() => process.exit(130)));
}

async function main(): Promise<void> {
  let startedServer: string | undefined;
  if (!process.env.TEST_DATABASE_URL) {
    startedServer = String(await freePort());
    const started = spawnSync("bash", [path.join(REPO_ROOT, "scripts/pg_test_server.sh"), "start"], {
      env: { ...process.env, PGTEST_PORT: startedServer },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (started.status !== 0) throw new Error("Cannot start the PostgreSQL bench server (pg_test_server.sh)");
    process.env.TEST_DATABASE_URL = started.stdout.trim();
    const port = startedServer;
    cleanup.push(() => {
      spawnSync("bash", [path.join(REPO_ROOT, "scripts/pg_test_server.sh"), "stop"], {
        env: { ...process.env, PGTEST_PORT: port },
        stdio: "ignore",
      });
    });
  }
  try {
    const cpu = os.cpus();
    console.log(
      `bench:scale on ${cpu.length} × ${cpu[0]?.model.trim()}, load average ${os.loadavg()[0].toFixed(2)}`,
    );
    const titles = datasetRows(PRODUCTS * 2).map((row) => row.title).filter((t) => t.trim() !== "")
      .slice(0, PRODUCTS);

    const runs: { workers: number; seconds: number }[] = [];
    let kept: { created: ServerTestDatabase; db: Database } | undefined;
    for (const howMany of [1, 2, 3]) {
      console.error(`embedding ${titles.length} products with ${howMany} worker process(es)…`);
      const run = await throughput(howMany, titles, howMany === 3);
      runs.push({ workers: howMany, seconds: run.seconds });
      if (howMany === 3) kept = run;
    }
    const one = titles.length / runs[0].seconds;
    console.log("");
    console.log(
      `Embedding ${titles.length} products (real model, fp32, batches of 32) on PostgreSQL 16 + pgvector`,
    );
    console.log("| workers | seconds | products/s | vs 1 worker |");
    console.log("| ------: | ------: | ---------: | ----------: |");
    for (const run of runs) {
      const rate = titles.length / run.seconds;
      console.log(
        `| ${run.workers} | ${run.seconds.toFixed(1)} | ${rate.toFixed(1)} | ${(rate / one).toFixed(2)}× |`,
      );
    }
    const { created, db } = kept!;
    cleanup.push(async () => {
      await db.close();
      await created.drop();
    });

    console.error(`filling the catalogue to ${CATALOGUE} products…`);
    const fillStarted = performance.now();
    const total = await fillCatalogue(db, CATALOGUE);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const [{ id: importId }] = await db.query<{ id: number }>(sql`SELECT max(id) AS id FROM imports`);

    const web = await startWebServer(created.url);
    cleanup.push(web.stop);
    const token = await reviewerToken(db);
    const pages = reviewPages(importId);
    await measure(web.base, token, pages, 30); // warm-up: plans and caches
    const idle = await measure(web.base, token, pages, REQUESTS);
    const idleDeep = await measure(web.base, token, [DEEP_PAGE], DEEP_REQUESTS);

    // Busy: three workers embed a new import of real titles, large enough to outlast the measurement.
    const workers = await startWorkers(created.url, 3);
    const busyTitles = datasetRows(22_000).slice(PRODUCTS * 2).map((row) => row.title)
      .filter((title) => title.trim() !== "").slice(0, 8000);
    const before = await count(db, sql`SELECT count(*)::int AS n FROM embeddings`);
    await seedProducts(db, busyTitles, { fileName: "busy.csv" });
    await waitUntil(
      "the workers to be busy",
      async () => (await count(db, sql`SELECT count(*)::int AS n FROM embeddings`)) > before,
      60_000,
    );
    const busyStarted = performance.now();
    const busy = await measure(web.base, token, pages, REQUESTS);
    const busyDeep = await measure(web.base, token, [DEEP_PAGE], DEEP_REQUESTS);
    const busySeconds = (performance.now() - busyStarted) / 1000;
    const embeddedMeanwhile = (await count(db, sql`SELECT count(*)::int AS n FROM embeddings`)) - before;
    const stillQueued = await count(db, sql`SELECT count(*)::int AS n FROM embedding_queue`);
    await Promise.all(workers.map((worker) => worker.stop()));

    console.log("");
    console.log(
      `GET /products-for-review at ${total} products (${CATALOGUE - titles.length} inserted in SQL in ` +
        `${fillSeconds.toFixed(0)} s: the ${titles.length} real vectors above plus noise, renormalised; ` +
        `10% seed labels; random suggestion confidences). Served by \`deno run -A web/main.ts\`, one ` +
        `client, sequential requests.`,
    );
    console.log("| workers, pages | p50 ms | p95 ms | max ms |");
    console.log("| -------------- | -----: | -----: | -----: |");
    console.log(row(`idle, first/6th/one-import pages ×${REQUESTS}`, idle));
    console.log(row(`3 busy, same pages ×${REQUESTS}`, busy));
    console.log(row(`idle, offset 5000 ×${DEEP_REQUESTS}`, idleDeep));
    console.log(row(`3 busy, offset 5000 ×${DEEP_REQUESTS}`, busyDeep));
    console.log(
      `(during the busy measurement (${
        busySeconds.toFixed(0)
      } s) the workers embedded ${embeddedMeanwhile} ` +
        `products; ${stillQueued} were still queued at its end)`,
    );
  } finally {
    await cleanUp();
  }
}

await main();
