/**
 * Progress of imports: rows read, embedded, suggested, reviewed, reused and failed for good, and the
 * embedding rate with the time left at that rate.
 */
import type { ImportProgress } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { MAX_ATTEMPTS } from "../embedding/embedding_queue.ts";
import { sql } from "../db/sql.ts";

/** The window the embedding rate is measured over: long enough to span several worker batches. */
const RATE_WINDOW_SECONDS = 60;

type ProgressRow = Omit<ImportProgress, "embedding_rate" | "eta_seconds"> & {
  recent_count: number;
  recent_seconds: number | null;
};

/** Products per second from the vectors written in the window, and the seconds left at that rate. */
function withRate(row: ProgressRow): ImportProgress {
  const { recent_count, recent_seconds, ...progress } = row;
  // The window starts at its first vector, not 60 s ago: a worker that began 10 s ago is not averaged
  // with 50 idle seconds. At least a second, so one fresh batch does not read as thousands per second.
  const seconds = Math.min(Math.max(recent_seconds ?? 0, 1), RATE_WINDOW_SECONDS);
  const rate = recent_count > 0 ? recent_count / seconds : 0;
  const left = Math.max(progress.row_count - progress.embedded_count - progress.failed_count, 0);
  const eta = progress.status !== "imported"
    ? null
    : left === 0
    ? 0
    : rate > 0
    ? Math.ceil(left / rate)
    : null;
  return { ...progress, embedding_rate: Math.round(rate * 10) / 10, eta_seconds: eta };
}

/** Reads the progress of the newest imports, or of one when `importId` is given. */
export async function readImportProgress(
  db: Queryable,
  options: { modelId: string; importId?: number; limit?: number },
): Promise<ImportProgress[]> {
  const importId = options.importId ?? null;
  const rows = await db.query<ProgressRow>(sql`
    SELECT imports.id, imports.file_name, imports.status, imports.error,
      COALESCE(imports.dataset_id, imports.id) AS dataset_id, imports.row_count,
      (SELECT count(*)::int FROM products JOIN embeddings
         ON embeddings.product_id = products.id AND embeddings.model_id = ${options.modelId}
       WHERE products.import_id = imports.id) AS embedded_count,
      (SELECT count(*)::int FROM products JOIN suggestions ON suggestions.product_id = products.id
       WHERE products.import_id = imports.id) AS suggested_count,
      (SELECT count(*)::int FROM products JOIN product_labels
         ON product_labels.product_id = products.id AND product_labels.source = 'human'
       WHERE products.import_id = imports.id) AS reviewed_count,
      (SELECT count(*)::int FROM products JOIN product_labels
         ON product_labels.product_id = products.id AND product_labels.source = 'reused'
       WHERE products.import_id = imports.id) AS reused_count,
      (SELECT count(*)::int FROM products JOIN embedding_queue
         ON embedding_queue.product_id = products.id AND embedding_queue.model_id = ${options.modelId}
       WHERE products.import_id = imports.id AND embedding_queue.attempts >= ${MAX_ATTEMPTS}) AS failed_count,
      recent.count AS recent_count, recent.seconds AS recent_seconds,
      to_char(imports.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created_at,
      imports.sample
    FROM imports
    CROSS JOIN LATERAL (
      SELECT count(*)::int AS count,
        extract(epoch FROM clock_timestamp() - min(embeddings.created_at))::float8 AS seconds
      FROM products JOIN embeddings
        ON embeddings.product_id = products.id AND embeddings.model_id = ${options.modelId}
      WHERE products.import_id = imports.id
        AND embeddings.created_at > clock_timestamp() - make_interval(secs => ${RATE_WINDOW_SECONDS})
    ) recent
    WHERE (${importId}::int IS NULL OR imports.id = ${importId}::int)
    ORDER BY imports.id DESC
    LIMIT ${options.limit ?? 50}`);
  return rows.map(withRate);
}
