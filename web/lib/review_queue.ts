/**
 * The review queue: embedded products that carry no label yet (no seed label, no human decision),
 * least confident first; a product with no suggestion counts as the least confident of all. Rows still
 * waiting for their vector are left out: their suggestion is about to appear.
 */
import type { ReviewItem, ReviewPage, ReviewQuery } from "../../contract/schemas.ts";
import type { Queryable } from "../../gpu-worker/lib/database.ts";
import { sql } from "../../gpu-worker/lib/sql.ts";

/** Reads one page of the queue for the embedding model `modelId`. */
export async function readReviewPage(
  db: Queryable,
  query: ReviewQuery,
  modelId: string,
): Promise<ReviewPage> {
  const importId = query.import_id ?? null;
  const filter = sql`
    FROM products
    JOIN imports ON imports.id = products.import_id
    JOIN embeddings ON embeddings.product_id = products.id AND embeddings.model_id = ${modelId}
    LEFT JOIN suggestions ON suggestions.product_id = products.id
    WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = products.id)
      AND (${importId}::int IS NULL OR products.import_id = ${importId}::int)`;
  const items = await db.query<ReviewItem>(sql`
    SELECT products.id AS product_id, products.import_id, products.row_number, imports.columns, products.data,
           products.text,
           suggestions.value AS suggestion, suggestions.confidence, suggestions.source
    ${filter}
    ORDER BY suggestions.confidence ASC NULLS FIRST, products.id
    LIMIT ${query.limit} OFFSET ${query.offset}`);
  const [{ total }] = await db.query<{ total: number }>(sql`SELECT count(*)::int AS total ${filter}`);
  return { items, total, limit: query.limit, offset: query.offset };
}
