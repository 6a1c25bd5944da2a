/** The values suggested for rows waiting for review, for the review page's filter. */
import type { SuggestedValue } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";

/** Most values listed; a filter of more is no longer a choice a person can make. */
const MAX_VALUES = 500;

/** Values suggested for unlabelled embedded rows (of one import, if given), most frequent first. */
export function readSuggestedValues(
  db: Queryable,
  options: { modelId: string; importId?: number },
): Promise<SuggestedValue[]> {
  const importId = options.importId ?? null;
  return db.query<SuggestedValue>(sql`
    SELECT suggestions.value, count(*)::int AS count
    FROM products
    JOIN embeddings ON embeddings.product_id = products.id AND embeddings.model_id = ${options.modelId}
    JOIN suggestions ON suggestions.product_id = products.id
    WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = products.id)
      AND (${importId}::int IS NULL OR products.import_id = ${importId}::int)
    GROUP BY suggestions.value
    ORDER BY count DESC, suggestions.value
    LIMIT ${MAX_VALUES}`);
}
