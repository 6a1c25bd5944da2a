/**
 * Real worker processes for the multi-worker tests and bench/scale.ts: each one is
 * `node --import tsx gpu-worker/main.ts`, exactly what `npm run worker` starts, pointed at a database
 * by DATABASE_URL. Every process started here is remembered and killed when this process exits, so a
 * failing test never leaves workers behind.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { WORK_CHANNEL } from "../contract/schemas.ts";
import type { Queryable } from "../core/db/database.ts";
import { sql } from "../core/db/sql.ts";
import { searchKey, textKey } from "../core/text_key.ts";
import { REPO_ROOT, TEST_MODEL_ID, TEST_MODEL_PATH } from "./testing.ts";

/** A worker process started by {@link spawnWorker}. */
export interface WorkerProcess {
  readonly pid: number;
  /** Everything it printed so far (stdout and stderr interleaved). */
  output(): string;
  /** Resolves when it exits. */
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Sends `signal` (SIGKILL: dies mid-batch, like a crashed node). */
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const started = new Set<ChildProcess>();
const modelDirs = new Set<string>();
let exitHookInstalled = false;

function killLeftovers(): void {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

function removeModelDirs(): void {
  for (const dir of modelDirs) fs.rmSync(dir, { recursive: true, force: true });
  modelDirs.clear();
}

/**
 * Where the workers of one database write trained model versions: a temp folder per database, shared by
 * its workers (as MODELS_DIR must be) and never the repository's models/.
 */
function modelsDirFor(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || "default";
  const dir = path.join(os.tmpdir(), `csv-sorter-test-models-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`);
  fs.mkdirSync(dir, { recursive: true });
  modelDirs.add(dir);
  return dir;
}

/** Starts one worker on `databaseUrl`; `env` adds or overrides settings (WORKER_LEASE_SECONDS, …). */
export function spawnWorker(databaseUrl: string, env: Record<string, string> = {}): WorkerProcess {
  if (!exitHookInstalled) {
    process.on("exit", () => {
      killLeftovers();
      removeModelDirs();
    });
    exitHookInstalled = true;
  }
  const child = spawn("node", ["--import", "tsx", path.join(REPO_ROOT, "gpu-worker/main.ts")], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      DATABASE_URL: databaseUrl,
      EMBEDDING_MODEL_ID: TEST_MODEL_ID,
      EMBEDDING_MODEL_PATH: TEST_MODEL_PATH,
      ALLOW_REMOTE_MODELS: "0",
      CSV_SORTER_DEVICE: "auto",
      MODELS_DIR: modelsDirFor(databaseUrl),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error("Cannot start a worker process: spawn gave no pid");
  started.add(child);
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once("exit", (code, signal) => {
      started.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    pid: child.pid,
    output: () => output,
    exited,
    kill: (signal) => void child.kill(signal),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Kills every worker process this module started that still runs, and removes their model folders. */
export async function stopAllWorkers(): Promise<void> {
  const running = [...started];
  killLeftovers();
  await Promise.all(running.map((child) => new Promise((resolve) => child.once("exit", resolve))));
  removeModelDirs();
}

/**
 * Inserts `titles` as one import of products queued for `modelId`, with the seed labels given (null for
 * none), then wakes the workers; returns the product ids in order.
 */
export async function seedProducts(
  db: Queryable,
  titles: string[],
  options: { modelId?: string; fileName?: string; labels?: (string | null)[] } = {},
): Promise<number[]> {
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, row_count, columns, text_columns)
    VALUES (${options.fileName ?? "scale.csv"}, 'imported', ${titles.length}, '["title"]', '["title"]')
    RETURNING id`);
  const ids: number[] = [];
  for (let start = 0; start < titles.length; start += 5000) {
    const chunk = titles.slice(start, start + 5000);
    const labels = chunk.map((_, i) => options.labels?.[start + i] ?? null);
    const rows = await db.query<{ id: number }>(sql`
      INSERT INTO products (import_id, row_number, data, text, seed_label, text_key, search_key)
      SELECT ${created.id}, item.n + ${start}, jsonb_build_object('title', item.title), item.title, item.label,
             item.text_key, item.search_key
      FROM unnest(
        ${chunk.map((_, i) => i + 1)}::int[],
        ${chunk}::text[],
        ${labels}::text[],
        ${chunk.map(textKey)}::text[],
        ${chunk.map(searchKey)}::text[]
      ) AS item(n, title, label, text_key, search_key)
      ORDER BY item.n
      RETURNING id`);
    ids.push(...rows.map((row) => row.id).sort((a, b) => a - b));
  }
  await db.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, seed_label, 'seed' FROM products WHERE import_id = ${created.id} AND seed_label IS NOT NULL`);
  await db.query(sql`
    INSERT INTO embedding_queue (model_id, product_id)
    SELECT ${options.modelId ?? TEST_MODEL_ID}, id FROM products WHERE import_id = ${created.id}`);
  await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, ${`import:${created.id}`})`);
  return ids;
}

/** Polls `check` every 100 ms until it is true (errors count as not yet); fails after `timeoutMs`. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const begin = Date.now();
  let lastError = "";
  while (true) {
    try {
      if (await check()) return;
      lastError = "";
    } catch (error) {
      // The database may be restarting under the test: keep asking until the deadline.
      lastError = ` (last error: ${(error as Error).message})`;
    }
    if (Date.now() - begin > timeoutMs) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${lastError}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
