/**
 * A large catalogue for the benchmarks, shared by bench:scale and bench:queue: real Walmart-Amazon titles
 * whose vectors are real vectors plus noise (renormalised), 10% with a seed label, the rest with a
 * suggestion of random confidence and margin. Inserted in SQL: embedding 100,000 rows with the model would
 * take an hour here, and what is measured (the queue, the database) sees the same shape of data.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import type { Database } from "../core/db/database.ts";
import { loadEmbedder } from "../core/embedding/embedder.ts";
import { sql, vectorLiteral } from "../core/db/sql.ts";
import { datasetRows, TEST_MODEL_ID, TEST_MODEL_PATH } from "../testing/testing.ts";
import { searchKey, textKey } from "../core/text_key.ts";

/** A product of the catalogue: a title and its category (the seed label or the suggestion). */
export interface CatalogueRow {
  title: string;
  category: string;
}

/** Dataset rows that have both a title and a category. */
export function catalogueRows(limit = 22_000): CatalogueRow[] {
  return datasetRows(limit).filter((row) => row.title.trim() !== "" && row.category.trim() !== "")
    .map((row) => ({ title: row.title, category: row.category }));
}

/** Embeds `texts` with the real model, reusing vectors cached under ~/.cache/csv-sorter/bench/. */
export async function embedCached(texts: string[], name: string): Promise<number[][]> {
  const hash = crypto.createHash("sha256").update(TEST_MODEL_ID).update(JSON.stringify(texts)).digest("hex");
  const file = path.join(os.homedir(), ".cache/csv-sorter/bench", `${name}-${hash.slice(0, 16)}.f32`);
  if (fs.existsSync(file)) {
    const bytes = fs.readFileSync(file);
    const flat = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    return texts.map((_, i) => Array.from(flat.subarray(i * 384, (i + 1) * 384)));
  }
  const embedder = await loadEmbedder({
    modelId: TEST_MODEL_ID,
    localModelPath: TEST_MODEL_PATH,
    allowRemoteModels: false,
    dtype: "fp32",
  });
  const vectors: number[][] = [];
  for (let i = 0; i < texts.length; i += 64) {
    for (const vector of await embedder.embed(texts.slice(i, i + 64))) vectors.push(Array.from(vector));
    if (i % 640 === 0) process.stderr.write(`\r  embedding ${i} of ${texts.length}…`);
  }
  process.stderr.write("\n");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const flat = new Float32Array(texts.length * 384);
  vectors.forEach((vector, i) => flat.set(vector, i * 384));
  fs.writeFileSync(file, new Uint8Array(flat.buffer));
  return vectors;
}

/**
 * Inserts one batch of products with their vectors into import `importId` in one transaction: every
 * tenth row (by row number) seed-labelled, the others suggested their category with a random confidence.
 */
export async function insertProducts(
  db: Database,
  importId: number,
  batch: { firstRowNumber: number; rows: CatalogueRow[]; vectors: string[] },
): Promise<void> {
  const { firstRowNumber, rows, vectors } = batch;
  const numbers = rows.map((_, i) => firstRowNumber + i);
  const labelled = numbers.map((n) => (n % 10 === 1 ? 1 : 0));
  await db.transaction(async (tx) => {
    // With their text keys, as an import writes them: rows without one are filled in by every process's
    // start-up (migrate → fillTextKeys), which held the web server for over a minute at 1M rows.
    const ids = await tx.query<{ id: number }>(sql`
      INSERT INTO products (import_id, row_number, data, text, seed_label, text_key, search_key)
      SELECT ${importId}, item.n, jsonb_build_object('title', item.title, 'category', item.category),
             item.title, CASE WHEN item.labelled = 1 THEN item.category END, item.text_key, item.search_key
      FROM unnest(${numbers}::int[], ${rows.map((row) => row.title)}::text[],
                  ${rows.map((row) => row.category)}::text[], ${labelled}::int[],
                  ${rows.map((row) => textKey(row.title))}::text[],
                  ${rows.map((row) => searchKey(row.title))}::text[])
        AS item(n, title, category, labelled, text_key, search_key)
      ORDER BY item.n
      RETURNING id`);
    const productIds = ids.map((row) => row.id).sort((a, b) => a - b);
    await tx.query(sql`
      INSERT INTO product_labels (product_id, value, source)
      SELECT id, seed_label, 'seed' FROM products WHERE id = ANY(${productIds}::int[]) AND seed_label IS NOT NULL`);
    await tx.query(sql`
      INSERT INTO suggestions (product_id, value, confidence, margin, source)
      SELECT id, data->>'category', random(), random() * 0.5, 'knn' FROM products
      WHERE id = ANY(${productIds}::int[]) AND seed_label IS NULL`);
    await tx.query(sql`
      INSERT INTO embeddings (product_id, model_id, embedding)
      SELECT item.id, ${TEST_MODEL_ID}, item.embedding::vector
      FROM unnest(${productIds}::int[], ${vectors}::text[]) AS item(id, embedding)`);
  });
}

/** Creates an import row for a catalogue part. */
export async function createCatalogueImport(
  db: Database,
  fileName: string,
  rowCount: number,
): Promise<number> {
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, row_count, columns, text_columns, label_column)
    VALUES (${fileName}, 'imported', ${rowCount}, '["title","category"]', '["title"]', 'category')
    RETURNING id`);
  return created.id;
}

/**
 * Fills the catalogue up to `size` products around the real vectors already in `db` (ordered by product
 * id): a new import 'catalogue.csv' whose vectors are those plus noise, renormalised. Returns the count.
 */
export async function fillCatalogue(db: Database, size: number): Promise<number> {
  const base = await db.query<{ embedding: string }>(sql`
    SELECT embedding::text AS embedding FROM embeddings ORDER BY product_id`);
  const vectors = base.map((row) => JSON.parse(row.embedding) as number[]);
  const rows = catalogueRows();
  const missing = size - vectors.length;
  const importId = await createCatalogueImport(db, "catalogue.csv", missing);
  const batch = 2000;
  for (let first = 0; first < missing; first += batch) {
    const n = Math.min(batch, missing - first);
    const noisy = Array.from({ length: n }, (_, i) => {
      const source = vectors[(first + i) % vectors.length];
      const moved = source.map((x) => x + (Math.random() - 0.5) * 0.04);
      const norm = Math.hypot(...moved);
      return vectorLiteral(moved.map((x) => x / norm));
    });
    await insertProducts(db, importId, {
      firstRowNumber: first + 1,
      rows: Array.from({ length: n }, (_, i) => rows[(first + i) % rows.length]),
      vectors: noisy,
    });
    if ((first / batch) % 10 === 0) console.error(`  catalogue: ${first + n} of ${missing} rows`);
  }
  await db.query(sql`ANALYZE`);
  const [{ n }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM products`);
  return n;
}
