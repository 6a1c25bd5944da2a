/**
 * The review queue = active learning: embedded products that carry no label yet (no seed label, no
 * decision, not auto-accepted), the most uncertain first — no suggestion at all, then lowest confidence,
 * then smallest margin between the two best values — and no two near-duplicates in one window of
 * DIVERSITY_WINDOW rows (diverse_order.ts), so each decision teaches the model something new. Rows still
 * waiting for their vector are left out: their suggestion is about to appear.
 */
import type { ReviewItem, ReviewPage, ReviewQuery } from "../../contract/schemas.ts";
import type { Queryable } from "../../gpu-worker/lib/database.ts";
import { sql } from "../../gpu-worker/lib/sql.ts";
import { DiverseOrder } from "./diverse_order.ts";

/** Rows per diversity window: the review page's size. */
export const DIVERSITY_WINDOW = 20;
/** Cosine similarity above which two rows count as near-duplicates. */
export const NEAR_DUPLICATE_COSINE = 0.95;
/** Candidates read per query while laying out windows. */
const CANDIDATE_CHUNK = 200;

/** Reads one page of the queue for the embedding model `modelId`. */
export async function readReviewPage(
  db: Queryable,
  query: ReviewQuery,
  modelId: string,
): Promise<ReviewPage> {
  const importId = query.import_id ?? null;
  const suggestion = query.suggestion ?? null;
  const filter = sql`
    FROM products
    JOIN imports ON imports.id = products.import_id
    JOIN embeddings ON embeddings.product_id = products.id AND embeddings.model_id = ${modelId}
    LEFT JOIN suggestions ON suggestions.product_id = products.id
    WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = products.id)
      AND (${importId}::int IS NULL OR products.import_id = ${importId}::int)
      AND (${suggestion}::text IS NULL OR suggestions.value = ${suggestion}::text)`;
  const [{ total }] = await db.query<{ total: number }>(sql`SELECT count(*)::int AS total ${filter}`);

  const order = new DiverseOrder(DIVERSITY_WINDOW, NEAR_DUPLICATE_COSINE);
  const wanted = query.offset + query.limit;
  for (let read = 0; order.ordered.length < wanted && read < total;) {
    const chunk = await db.query<{ id: number; vector: number[] }>(sql`
      SELECT products.id, embeddings.embedding::real[] AS vector
      ${filter}
      ORDER BY suggestions.confidence ASC NULLS FIRST, suggestions.margin ASC NULLS FIRST, products.id
      LIMIT ${CANDIDATE_CHUNK} OFFSET ${read}`);
    read += chunk.length;
    order.add(chunk, chunk.length < CANDIDATE_CHUNK || read >= total);
    if (chunk.length === 0) break;
  }
  const ids = order.ordered.slice(query.offset, wanted);
  const rows = ids.length === 0 ? [] : await db.query<ReviewItem>(sql`
    SELECT products.id AS product_id, products.import_id, products.row_number, imports.columns, products.data,
           products.text,
           suggestions.value AS suggestion, suggestions.confidence, suggestions.source, suggestions.margin,
           suggestions.model_version
    FROM products
    JOIN imports ON imports.id = products.import_id
    LEFT JOIN suggestions ON suggestions.product_id = products.id
    WHERE products.id = ANY(${ids}::int[])`);
  const byId = new Map(rows.map((row) => [row.product_id, row]));
  const items = ids.map((id) => byId.get(id)).filter((item): item is ReviewItem => item !== undefined);
  return { items, total, limit: query.limit, offset: query.offset };
}
