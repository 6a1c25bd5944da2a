/**
 * First suggestions: the similarity-weighted vote of a product's nearest labelled neighbours (seed
 * labels and human decisions). A product never votes for itself, so a suggestion never reads the label
 * it will be judged against.
 *
 * Confidence = (vote share of the winning value) × (similarity of its closest voter): a unanimous vote
 * of distant neighbours is still unsure, and a close neighbour outvoted by others is too.
 */
import type { Queryable } from "./database.ts";
import { sql } from "./sql.ts";

/** How many labelled neighbours vote. */
export const NEIGHBOURS_K = 10;

/**
 * Recomputes the kNN suggestion of each product in `productIds` that has a vector of `modelId`.
 * The labelled set is scanned exactly (it is small next to the catalogue and exactness keeps the vote
 * stable); products with no labelled neighbour get no suggestion. Returns how many were written.
 */
export async function refreshSuggestions(
  db: Queryable,
  options: { modelId: string; productIds: number[]; k?: number },
): Promise<number> {
  if (options.productIds.length === 0) return 0;
  const k = options.k ?? NEIGHBOURS_K;
  const rows = await db.query<{ count: number }>(sql`
    WITH targets AS (
      SELECT product_id, embedding FROM embeddings
      WHERE model_id = ${options.modelId} AND product_id = ANY(${options.productIds}::int[])
    ), neighbours AS (
      SELECT targets.product_id, nearest.value, nearest.similarity
      FROM targets
      CROSS JOIN LATERAL (
        SELECT labels.value, 1 - (labelled.embedding <=> targets.embedding) AS similarity
        FROM product_labels labels
        JOIN embeddings labelled
          ON labelled.product_id = labels.product_id AND labelled.model_id = ${options.modelId}
        WHERE labels.product_id <> targets.product_id
        ORDER BY labelled.embedding <=> targets.embedding
        LIMIT ${k}
      ) nearest
    ), votes AS (
      SELECT product_id, value,
             sum(greatest(similarity, 0)) AS weight,
             max(similarity) AS best
      FROM neighbours
      GROUP BY product_id, value
    ), ranked AS (
      SELECT votes.*,
             sum(weight) OVER (PARTITION BY product_id) AS total,
             row_number() OVER (PARTITION BY product_id ORDER BY weight DESC, best DESC, value) AS rank
      FROM votes
    ), written AS (
      INSERT INTO suggestions (product_id, value, confidence, source, model_version, updated_at)
      SELECT product_id, value,
             CASE WHEN total > 0 THEN least(1, greatest(0, weight / total * greatest(best, 0))) ELSE 0 END,
             'knn', NULL, now()
      FROM ranked WHERE rank = 1
      ON CONFLICT (product_id) DO UPDATE
        SET value = excluded.value, confidence = excluded.confidence, source = excluded.source,
            model_version = excluded.model_version, updated_at = excluded.updated_at
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM written`);
  return rows[0].count;
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
  options: { modelId: string; labelledIds: number[]; perProduct?: number },
): Promise<number> {
  const neighbours = await nearestUnlabelled(db, {
    modelId: options.modelId,
    productIds: options.labelledIds,
    perProduct: options.perProduct ?? 20,
  });
  return refreshSuggestions(db, { modelId: options.modelId, productIds: neighbours });
}

/**
 * Unlabelled embedded products that have no suggestion although labels exist: rows embedded before
 * the first label arrived. The worker sweeps them when it is otherwise idle.
 */
export async function productsMissingSuggestion(
  db: Queryable,
  options: { modelId: string; limit: number },
): Promise<number[]> {
  const rows = await db.query<{ product_id: number }>(sql`
    SELECT embeddings.product_id FROM embeddings
    WHERE embeddings.model_id = ${options.modelId}
      AND EXISTS (SELECT 1 FROM product_labels)
      AND NOT EXISTS (SELECT 1 FROM suggestions WHERE suggestions.product_id = embeddings.product_id)
      AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = embeddings.product_id)
    ORDER BY embeddings.product_id
    LIMIT ${options.limit}`);
  return rows.map((row) => row.product_id);
}
