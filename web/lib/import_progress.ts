/** Progress of imports: rows read, embedded, suggested, reviewed and failed for good. */
import type { ImportProgress } from "../../contract/schemas.ts";
import type { Queryable } from "../../gpu-worker/lib/database.ts";
import { MAX_ATTEMPTS } from "../../gpu-worker/lib/embedding_queue.ts";
import { sql } from "../../gpu-worker/lib/sql.ts";

/** Reads the progress of the newest imports, or of one when `importId` is given. */
export async function readImportProgress(
  db: Queryable,
  options: { modelId: string; importId?: number; limit?: number },
): Promise<ImportProgress[]> {
  const importId = options.importId ?? null;
  return await db.query<ImportProgress>(sql`
    SELECT imports.id, imports.file_name, imports.status, imports.error, imports.row_count,
      (SELECT count(*)::int FROM products JOIN embeddings
         ON embeddings.product_id = products.id AND embeddings.model_id = ${options.modelId}
       WHERE products.import_id = imports.id) AS embedded_count,
      (SELECT count(*)::int FROM products JOIN suggestions ON suggestions.product_id = products.id
       WHERE products.import_id = imports.id) AS suggested_count,
      (SELECT count(*)::int FROM products JOIN product_labels
         ON product_labels.product_id = products.id AND product_labels.source = 'human'
       WHERE products.import_id = imports.id) AS reviewed_count,
      (SELECT count(*)::int FROM products JOIN embedding_queue
         ON embedding_queue.product_id = products.id AND embedding_queue.model_id = ${options.modelId}
       WHERE products.import_id = imports.id AND embedding_queue.attempts >= ${MAX_ATTEMPTS}) AS failed_count,
      to_char(imports.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at
    FROM imports
    WHERE (${importId}::int IS NULL OR imports.id = ${importId}::int)
    ORDER BY imports.id DESC
    LIMIT ${options.limit ?? 50}`);
}
