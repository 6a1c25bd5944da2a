/**
 * Keeping suggestions fresh: which products to re-score when labels arrive, and the entry point the
 * worker and the feedback route call. Scoring itself is score_products.ts (the ensemble: exact-match
 * memory, kNN vote, classifier head, zero-shot); with only labelled neighbours it is the seed's kNN
 * vote, confidence = (vote share of the winning value) × (similarity of its closest voter). A product
 * never votes for itself, so a suggestion never reads the label it will be judged against.
 */
import type { Queryable } from "../db/database.ts";
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
 * Ids of the unlabelled products nearest (HNSW, cosine) to any of `productIds`, at most `perProduct` each:
 * the rows whose suggestion a new label on those products is most likely to change.
 */
export async function nearestUnlabelled(
  db: Queryable,
  options: { modelId: string; productIds: number[]; perProduct: number },
): Promise<number[]> {
  if (options.productIds.length === 0) return [];
  const rows = await db.query<{ product_id: number }>(sql`
    SELECT DISTINCT nearby.product_id
    FROM embeddings source
    CROSS JOIN LATERAL (
      SELECT candidate.product_id FROM embeddings candidate
      WHERE candidate.model_id = ${options.modelId}
        AND candidate.product_id <> source.product_id
        AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = candidate.product_id)
      ORDER BY candidate.embedding <=> source.embedding
      LIMIT ${options.perProduct}
    ) nearby
    WHERE source.model_id = ${options.modelId} AND source.product_id = ANY(${options.productIds}::int[])`);
  return rows.map((row) => row.product_id);
}

/** After `labelledIds` gained a label (or a vector), refreshes the suggestions of their neighbours. */
export async function refreshAroundLabels(
  db: Queryable,
  options: { modelId: string; labelledIds: number[]; perProduct?: number; models?: ModelRuntime },
): Promise<number> {
  const neighbours = await nearestUnlabelled(db, {
    modelId: options.modelId,
    productIds: options.labelledIds,
    perProduct: options.perProduct ?? 20,
  });
  return refreshSuggestions(db, { modelId: options.modelId, productIds: neighbours, models: options.models });
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
