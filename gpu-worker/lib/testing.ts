/**
 * Helpers for tests: a fresh migrated in-memory PGlite database, the real embedding model (loaded once
 * per process), and real product rows from the shared Walmart-Amazon dataset.
 */
import fs from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import type { Database } from "./database.ts";
import { openPgliteDatabase } from "./database_pglite.ts";
import { type Embedder, loadEmbedder } from "./embedder.ts";
import { migrate } from "./migrate.ts";

/** The repository root. */
export const REPO_ROOT = path.resolve(import.meta.dirname ?? ".", "../..");
/** The shared dataset folder (beside the repository). */
export const DATASET_DIR = path.resolve(REPO_ROOT, "../shared/datasets/walmart_amazon");
/** The embedding model the tests use: the real all-MiniLM-L6-v2, built by scripts/ensure_model.sh. */
export const TEST_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2";
/** Folder that holds the model, as transformers.js' localModelPath. */
export const TEST_MODEL_PATH = path.join(REPO_ROOT, "models/embedding/");

/** Opens a migrated in-memory database. */
export async function openTestDatabase(): Promise<Database> {
  const db = await openPgliteDatabase(undefined);
  await migrate(db);
  return db;
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
