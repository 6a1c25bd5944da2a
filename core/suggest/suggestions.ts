/**
 * Keeping suggestions fresh: which products to re-score when labels arrive, and the entry point the
 * worker and the feedback route call. Scoring itself is score_products.ts (the ensemble: exact-match
 * memory, kNN vote, classifier head, zero-shot); with only labelled neighbours it is the seed's kNN
 * vote, confidence = (vote share of the winning value) × (similarity of its closest voter). A product
 * never votes for itself, so a suggestion never reads the label it will be judged against.
 */
import type { Database, Queryable } from "../db/database.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import { KNN_K } from "../learning/ensemble.ts";
import { scoreProducts } from "./score_products.ts";
import { sql } from "../db/sql.ts";

/** How many labelled neighbours vote. */
export const NEIGHBOURS_K = KNN_K;

/**
 * Recomputes the suggestion of each product in `productIds` that has a vector of `modelId`, with the
 * active version of `models` when there is one. The labelled set is scanned exactly (it is small next to
 * the catalogue and exactness keeps the vote stable); products about which nothing is known get no
 * suggestion. Returns how many were written.
 */
export function refreshSuggestions(
  db: Queryable,
  options: { modelId: string; productIds: number[]; k?: number; models?: ModelRuntime },
): Promise<number> {
  return scoreProducts(db, options);
}

/**
 * The unlabelled products nearest (HNSW, cosine) to any of `productIds`, at most `perProduct` each, as a
 * query of one column `product_id` (duplicates possible): the rows whose suggestion a new label on those
 * products is most likely to change.
 */
function nearestUnlabelledQuery(options: { modelId: string; productIds: number[]; perProduct: number }) {
  return sql`
    SELECT nearby.product_id
    FROM embeddings source
    CROSS JOIN LATERAL (
      SELECT candidate.product_id FROM embeddings candidate
      WHERE candidate.model_id = ${options.modelId}
        AND candidate.product_id <> source.product_id
        AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = candidate.product_id)
      ORDER BY candidate.embedding <=> source.embedding
      LIMIT ${options.perProduct}
    ) nearby
    WHERE source.model_id = ${options.modelId} AND source.product_id = ANY(${options.productIds}::int[])`;
}

/** Ids of the unlabelled products nearest to any of `productIds`, at most `perProduct` each, once each. */
export async function nearestUnlabelled(
  db: Queryable,
  options: { modelId: string; productIds: number[]; perProduct: number },
): Promise<number[]> {
  if (options.productIds.length === 0) return [];
  const rows = await db.query<{ product_id: number }>(sql`
    SELECT DISTINCT product_id FROM (${nearestUnlabelledQuery(options)}) nearby`);
  return rows.map((row) => row.product_id);
}

/** How many unlabelled neighbours of each newly labelled product are re-scored. */
export const NEIGHBOURS_REFRESHED = 20;

/**
 * After `labelledIds` gained a label (or a vector), refreshes the suggestions of their neighbours now:
 * for a person's decisions, whose effect on the queue should show on the next page.
 */
export async function refreshAroundLabels(
  db: Queryable,
  options: { modelId: string; labelledIds: number[]; perProduct?: number; models?: ModelRuntime },
): Promise<number> {
  const neighbours = await nearestUnlabelled(db, {
    modelId: options.modelId,
    productIds: options.labelledIds,
    perProduct: options.perProduct ?? NEIGHBOURS_REFRESHED,
  });
  return refreshSuggestions(db, { modelId: options.modelId, productIds: neighbours, models: options.models });
}

/**
 * After `labelledIds` gained a vector, queues the same neighbours as {@link refreshAroundLabels} in
 * `suggestion_refresh` instead of re-scoring them: what the worker does for seed labels, so a file whose
 * every row is labelled embeds as fast as an unlabelled one, and a row near many new labels is re-scored
 * once, later ({@link refreshQueuedSuggestions}), not once per batch. Returns how many rows were queued.
 */
export async function queueRefreshAroundLabels(
  db: Queryable,
  options: { modelId: string; labelledIds: number[]; perProduct?: number },
): Promise<number> {
  if (options.labelledIds.length === 0) return 0;
  const [row] = await db.query<{ count: number }>(sql`
    WITH queued AS (
      INSERT INTO suggestion_refresh (model_id, product_id)
      SELECT DISTINCT ${options.modelId}, product_id FROM (${
    nearestUnlabelledQuery({
      modelId: options.modelId,
      productIds: options.labelledIds,
      perProduct: options.perProduct ?? NEIGHBOURS_REFRESHED,
    })
  }) nearby
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM queued`);
  return row.count;
}

/**
 * Re-scores up to `limit` rows queued by {@link queueRefreshAroundLabels} (oldest first) and removes them
 * from the queue, in one transaction: a worker that dies meanwhile leaves them queued, and concurrent
 * workers skip each other's rows. Rows labelled meanwhile are only removed. Returns how many rows left
 * the queue (0 when it is empty).
 */
export async function refreshQueuedSuggestions(
  db: Database,
  options: { modelId: string; limit: number; models?: ModelRuntime },
): Promise<number> {
  return await db.transaction(async (tx) => {
    const taken = await tx.query<{ product_id: number }>(sql`
      DELETE FROM suggestion_refresh
      WHERE model_id = ${options.modelId} AND product_id IN (
        SELECT product_id FROM suggestion_refresh WHERE model_id = ${options.modelId}
        ORDER BY queued_at, product_id
        LIMIT ${options.limit}
        FOR UPDATE SKIP LOCKED)
      RETURNING product_id`);
    if (taken.length === 0) return 0;
    const unlabelled = await tx.query<{ id: number }>(sql`
      SELECT id FROM unnest(${taken.map((row) => row.product_id)}::int[]) AS id
      WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = id)
      ORDER BY id`);
    await refreshSuggestions(tx, {
      modelId: options.modelId,
      productIds: unlabelled.map((row) => row.id),
      models: options.models,
    });
    return taken.length;
  });
}

/**
 * Unlabelled embedded products that have no suggestion although labels (or label names) exist: rows
 * embedded before the first label arrived. The worker sweeps them when it is otherwise idle.
 */
export async function productsMissingSuggestion(
  db: Queryable,
  options: { modelId: string; limit: number },
): Promise<number[]> {
  const rows = await db.query<{ product_id: number }>(sql`
    SELECT embeddings.product_id FROM embeddings
    WHERE embeddings.model_id = ${options.modelId}
      AND (EXISTS (SELECT 1 FROM product_labels WHERE source <> 'auto')
        OR EXISTS (SELECT 1 FROM label_embeddings WHERE label_embeddings.model_id = ${options.modelId}))
      AND NOT EXISTS (SELECT 1 FROM suggestions WHERE suggestions.product_id = embeddings.product_id)
      AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = embeddings.product_id)
    ORDER BY embeddings.product_id
    LIMIT ${options.limit}`);
  return rows.map((row) => row.product_id);
}
