/**
 * Label names for zero-shot suggestions: the uploaded taxonomy plus every value a seed label or a person
 * gave (never an auto-accepted one). A worker embeds each name once per embedding model, so a catalogue
 * with a category list and no labelled rows still gets suggestions.
 */
import type { Queryable } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import type { LabelName } from "../learning/evidence.ts";
import { sql, vectorLiteral } from "../db/sql.ts";

/** Adds taxonomy label names (duplicates ignored); returns how many were new and the total. */
export async function addTaxonomyLabels(
  db: Queryable,
  values: string[],
): Promise<{ added: number; total: number }> {
  const [row] = await db.query<{ added: number; total: number }>(sql`
    WITH added AS (
      INSERT INTO taxonomy_labels (value)
      SELECT DISTINCT value FROM unnest(${values}::text[]) AS value
      ON CONFLICT (value) DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*)::int FROM added) AS added,
           (SELECT count(*)::int FROM taxonomy_labels) AS total`);
  return { added: row.added, total: row.total + row.added };
}

/** Names (taxonomy or labelled values) that have no embedding of `modelId` yet. */
export async function missingLabelNames(db: Queryable, modelId: string, limit: number): Promise<string[]> {
  const rows = await db.query<{ value: string }>(sql`
    SELECT names.value FROM (
      SELECT value FROM taxonomy_labels
      UNION
      SELECT DISTINCT value FROM product_labels WHERE source <> 'auto'
    ) names
    WHERE NOT EXISTS (
      SELECT 1 FROM label_embeddings WHERE label_embeddings.value = names.value AND model_id = ${modelId}
    )
    ORDER BY names.value
    LIMIT ${limit}`);
  return rows.map((row) => row.value);
}

/** Embeds up to `limit` missing label names with `embedder`; returns how many were written. */
export async function embedMissingLabelNames(
  db: Queryable,
  embedder: Embedder,
  options: { limit?: number; batchSize?: number } = {},
): Promise<number> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const batchSize = options.batchSize ?? 64;
  let written = 0;
  while (written < limit) {
    const names = await missingLabelNames(db, embedder.modelId, Math.min(batchSize, limit - written));
    if (names.length === 0) break;
    const vectors = await embedder.embed(names);
    await db.query(sql`
      INSERT INTO label_embeddings (value, model_id, embedding)
      SELECT item.value, ${embedder.modelId}, item.embedding::vector
      FROM unnest(${names}::text[], ${vectors.map(vectorLiteral)}::text[]) AS item(value, embedding)
      ON CONFLICT (value, model_id) DO NOTHING`);
    written += names.length;
  }
  return written;
}

/** Every current label name with its embedding, and whether the taxonomy lists it. */
export async function readLabelNames(
  db: Queryable,
  modelId: string,
): Promise<(LabelName & { taxonomy: boolean })[]> {
  return await db.query<LabelName & { taxonomy: boolean }>(sql`
    SELECT label_embeddings.value, label_embeddings.embedding::real[] AS vector,
           EXISTS (SELECT 1 FROM taxonomy_labels WHERE taxonomy_labels.value = label_embeddings.value)
             AS taxonomy
    FROM label_embeddings
    WHERE model_id = ${modelId}
      AND (EXISTS (SELECT 1 FROM taxonomy_labels WHERE taxonomy_labels.value = label_embeddings.value)
        OR EXISTS (SELECT 1 FROM product_labels
                   WHERE product_labels.value = label_embeddings.value AND product_labels.source <> 'auto'))
    ORDER BY label_embeddings.value`);
}
