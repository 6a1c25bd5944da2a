/**
 * The embedding queue: products waiting for a vector of one embedding model. Claiming follows
 * graphile-worker's shape: one statement picks available rows `FOR UPDATE SKIP LOCKED` and leases them,
 * so concurrent workers never take the same row and a dead worker's rows come back when its lease ends.
 */
import type { Queryable } from "../db/database.ts";
import { sql, vectorLiteral } from "../db/sql.ts";
import { RETRY_AT } from "../db/retry_backoff.ts";

/** A product leased to this worker for embedding. */
export interface ClaimedProduct {
  product_id: number;
  text: string;
  attempts: number;
}

/**
 * Only rows of a finished import are ever embedded: a file still being read, or left half read by a
 * process that died, is not the user's data yet (an import's rows are queued when it finishes, but the
 * start-up sweep below and rows queued before this rule would otherwise slip through).
 */
const FULLY_IMPORTED = sql`EXISTS (
  SELECT 1 FROM products JOIN imports ON imports.id = products.import_id
  WHERE products.id = embedding_queue.product_id AND imports.status = 'imported')`;

/** After this many failed attempts a product stays in the queue with its last error, unclaimed. */
export const MAX_ATTEMPTS = 5;

/** Leases up to `limit` products of `modelId` to `workerId` for `leaseSeconds`. */
export function claimProducts(
  db: Queryable,
  options: { modelId: string; workerId: string; limit: number; leaseSeconds: number },
): Promise<ClaimedProduct[]> {
  return db.query<ClaimedProduct>(sql`
    WITH picked AS (
      SELECT model_id, product_id FROM embedding_queue
      WHERE model_id = ${options.modelId}
        AND run_at <= now()
        AND attempts < ${MAX_ATTEMPTS}
        AND (locked_until IS NULL OR locked_until < now())
        AND ${FULLY_IMPORTED}
      ORDER BY run_at, product_id
      LIMIT ${options.limit}
      FOR UPDATE OF embedding_queue SKIP LOCKED
    ), leased AS (
      UPDATE embedding_queue q
      SET locked_by = ${options.workerId},
          locked_until = now() + make_interval(secs => ${options.leaseSeconds}),
          attempts = q.attempts + 1
      FROM picked
      WHERE q.model_id = picked.model_id AND q.product_id = picked.product_id
      RETURNING q.product_id, q.attempts
    )
    SELECT leased.product_id, products.text, leased.attempts
    FROM leased JOIN products ON products.id = leased.product_id
    ORDER BY leased.product_id`);
}

/** Whether any product of `modelId` is waiting that a claim could take now or after a back-off. */
export async function hasQueuedProducts(db: Queryable, modelId: string): Promise<boolean> {
  const rows = await db.query(sql`
    SELECT 1 FROM embedding_queue
    WHERE model_id = ${modelId} AND attempts < ${MAX_ATTEMPTS} AND ${FULLY_IMPORTED}
    LIMIT 1`);
  return rows.length > 0;
}

/**
 * Writes the vectors and removes the rows from the queue, in one transaction the caller opens. Rows
 * whose lease this worker lost are still written (the upsert makes that harmless) but only rows it
 * still holds leave the queue, so a slower twin cannot delete another worker's fresh lease.
 */
export async function completeEmbeddings(
  tx: Queryable,
  options: { modelId: string; workerId: string; productIds: number[]; vectors: number[][] },
): Promise<void> {
  await tx.query(sql`
    INSERT INTO embeddings (product_id, model_id, embedding)
    SELECT item.product_id, ${options.modelId}, item.embedding::vector
    FROM unnest(${options.productIds}::int[], ${options.vectors.map(vectorLiteral)}::text[])
      AS item(product_id, embedding)
    WHERE EXISTS (SELECT 1 FROM products WHERE products.id = item.product_id)
    ON CONFLICT (product_id, model_id) DO UPDATE SET embedding = excluded.embedding, created_at = now()`);
  await tx.query(sql`
    DELETE FROM embedding_queue
    WHERE model_id = ${options.modelId}
      AND product_id = ANY(${options.productIds}::int[])
      AND (locked_by = ${options.workerId} OR locked_by IS NULL)`);
}

/** Releases a failed batch: backs off exponentially and keeps the error for ops. */
export function failEmbeddings(
  db: Queryable,
  options: { modelId: string; workerId: string; productIds: number[]; error: string },
): Promise<unknown[]> {
  return db.query(sql`
    UPDATE embedding_queue
    SET locked_by = NULL,
        locked_until = NULL,
        last_error = ${options.error.slice(0, 2000)},
        run_at = ${RETRY_AT}
    WHERE model_id = ${options.modelId}
      AND product_id = ANY(${options.productIds}::int[])
      AND locked_by = ${options.workerId}`);
}

/**
 * Queues every product of a finished import that has neither a vector of `modelId` nor a queue row (at
 * worker start, after a model change).
 */
export async function enqueueMissingEmbeddings(db: Queryable, modelId: string): Promise<number> {
  const rows = await db.query<{ count: number }>(sql`
    WITH added AS (
      INSERT INTO embedding_queue (model_id, product_id)
      SELECT ${modelId}, products.id FROM products
      JOIN imports ON imports.id = products.import_id AND imports.status = 'imported'
      WHERE NOT EXISTS (
        SELECT 1 FROM embeddings WHERE embeddings.product_id = products.id AND embeddings.model_id = ${modelId}
      )
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM added`);
  return rows[0].count;
}
