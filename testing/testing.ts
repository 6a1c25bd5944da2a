/**
 * Helpers for tests: a fresh migrated database (in-memory PGlite, or a new database on the PostgreSQL
 * server named by TEST_DATABASE_URL), the real embedding model (loaded once per process), and real
 * product rows from the Walmart-Amazon dataset that ships in datasets/ (CC BY 4.0, see its ATTRIBUTION.md).
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import Papa from "papaparse";
import type { Database } from "../core/db/database.ts";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { type Embedder, loadEmbedder } from "../core/embedding/embedder.ts";
import { migrate } from "../core/db/migrate.ts";
import { openServerTestDatabase, testServerUrl } from "./test_server.ts";
import { startWorker, type WorkerHandle, type WorkerOptions } from "../core/worker/worker_loop.ts";

/** The repository root. */
export const REPO_ROOT = path.resolve(import.meta.dirname ?? ".", "..");
/** The Walmart-Amazon tables inside the repository (datasets/walmart_amazon, CC BY 4.0). */
export const DATASET_DIR = path.join(REPO_ROOT, "datasets/walmart_amazon");
/** The embedding model the tests use: the real all-MiniLM-L6-v2, built by scripts/ensure_model.sh. */
export const TEST_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2";
/** Folder that holds the model, as transformers.js' localModelPath. */
export const TEST_MODEL_PATH = path.join(REPO_ROOT, "models/embedding/");

/** Opens a fresh migrated database: in-memory PGlite, or a new one on the TEST_DATABASE_URL server. */
export async function openTestDatabase(): Promise<Database> {
  if (testServerUrl()) return openServerTestDatabase();
  const db = await openPgliteDatabase(undefined);
  await migrate(db);
  return db;
}

/** Opens a fresh database with no migrations applied, on the same kind of database as above. */
export function openEmptyTestDatabase(): Promise<Database> {
  return testServerUrl() ? openServerTestDatabase({ migrated: false }) : openPgliteDatabase(undefined);
}

let embedder: Promise<Embedder> | undefined;

/** Loads the real model once; fails clearly when scripts/ensure_model.sh has not run. */
export function testEmbedder(): Promise<Embedder> {
  if (!fs.existsSync(path.join(TEST_MODEL_PATH, TEST_MODEL_ID, "onnx/model.onnx"))) {
    throw new Error(`The test model is missing in ${TEST_MODEL_PATH}: run scripts/ensure_model.sh first`);
  }
  embedder ??= loadEmbedder({
    modelId: TEST_MODEL_ID,
    localModelPath: TEST_MODEL_PATH,
    allowRemoteModels: false,
    dtype: "fp32",
  });
  return embedder;
}

/** One product of the dataset. */
export interface DatasetRow {
  id: string;
  title: string;
  category: string;
  brand: string;
  modelno: string;
  price: string;
}

/** Reads the first `limit` rows of tableB.csv (Amazon products) or tableA.csv (Walmart). */
export function datasetRows(limit: number, table: "tableA" | "tableB" = "tableB"): DatasetRow[] {
  const text = fs.readFileSync(path.join(DATASET_DIR, `${table}.csv`), "utf8");
  const parsed = Papa.parse<DatasetRow>(text, { header: true, skipEmptyLines: true, preview: limit });
  return parsed.data;
}

/** Formats rows as CSV text (papaparse quotes what needs quoting). */
export function toCsv(rows: Record<string, string>[]): string {
  return Papa.unparse(rows);
}

/** Starts a quiet worker with the real model on `db`: batches of 32, polling every 100 ms. */
export async function startTestWorker(
  db: Database,
  options: Partial<WorkerOptions> = {},
): Promise<WorkerHandle> {
  return await startWorker(db, await testEmbedder(), {
    batchSize: 32,
    pollMs: 100,
    leaseSeconds: 30,
    log: () => {},
    ...options,
  });
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
