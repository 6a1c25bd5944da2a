/**
 * The evidence the database holds about stored products, gathered in SQL: the kNN vote of the nearest
 * labelled rows and zero-shot similarity to the label names (pgvector, cosine distance `<=>`), and the
 * exact-match memory (products.text_key: core/text_key.ts). It is what evidence.ts gathers in memory for training
 * and evaluation, computed where the rows live; stored_evidence_test.ts checks the two agree. Labels
 * accepted by auto-accept never vote and never feed the memory, and a 'reused' label (a copy of a decision
 * on the same text) is not counted twice: only seed labels and people's decisions count.
 */
import type { Database, Queryable } from "../db/database.ts";
import {
  type Evidence,
  knnVote,
  type MemoryMatch,
  type Neighbour,
  zeroShotScores,
} from "../learning/ensemble.ts";
import { sql, type SqlQuery } from "../db/sql.ts";
import { fillTextKeys } from "../db/text_key_fill.ts";

/** What to gather evidence for, and how much. */
export interface StoredEvidenceOptions {
  /** Embedding model whose vectors are compared. */
  modelId: string;
  /** Products with a vector of `modelId`; others get empty evidence. */
  productIds: number[];
  /** Labelled neighbours that vote. */
  k: number;
  /** Label names compared (the nearest this many). */
  zeroShotTop: number;
  /** Softmax temperature of zero-shot similarities (ensemble.ts zeroShotScores). */
  zeroShotTemperature: number;
}

/**
 * Evidence per product id (every id of `productIds`, `{}` when nothing is known): `knn` from the `k`
 * nearest labelled rows other than the product itself, `zeroShot` from the `zeroShotTop` nearest label
 * names (taxonomy or labelled values), `memory` from labelled rows with the same text key.
 */
export async function gatherStoredEvidence(
  db: Queryable,
  options: StoredEvidenceOptions,
): Promise<Map<number, Evidence>> {
  const ids = options.productIds;
  const evidence = new Map<number, Evidence>(ids.map((id) => [id, {}]));
  if (ids.length === 0) return evidence;
  const targets = sql`
    SELECT product_id, embedding FROM embeddings
    WHERE model_id = ${options.modelId} AND product_id = ANY(${ids}::int[])`;
  const neighbours = await nearestLabelled(db, options);
  for (const [id, rows] of groupBy(neighbours)) evidence.get(id)!.knn = knnVote(rows);

  const names = await db.query<{ product_id: number } & Neighbour>(sql`
    WITH targets AS (${targets}), names AS MATERIALIZED (
      SELECT value, embedding FROM label_embeddings
      WHERE model_id = ${options.modelId}
        AND (EXISTS (SELECT 1 FROM taxonomy_labels WHERE taxonomy_labels.value = label_embeddings.value)
          OR EXISTS (SELECT 1 FROM product_labels
                     WHERE product_labels.value = label_embeddings.value AND product_labels.source <> 'auto'))
    )
    SELECT targets.product_id, nearest.value, 1 - nearest.distance AS similarity
    FROM targets
    -- The distance is computed once per name and target and sorted on; ordering by the expression
    -- while selecting 1 - (the same expression) computed it twice (a quarter of the statement's time).
    CROSS JOIN LATERAL (
      SELECT names.value, names.embedding <=> targets.embedding AS distance
      FROM names ORDER BY distance LIMIT ${options.zeroShotTop}
    ) nearest`);
  for (const [id, rows] of groupBy(names)) {
    evidence.get(id)!.zeroShot = zeroShotScores(rows, options.zeroShotTemperature);
  }

  // Rows written without keys (by tools other than the importer) are keyed before they are compared.
  await fillTextKeys(db);
  const memory = await db.query<{ product_id: number } & MemoryMatch>(memoryQuery(ids));
  for (const [id, rows] of groupBy(memory)) evidence.get(id)!.memory = rows;

  return evidence;
}

/**
 * The exact-match memory of the products `ids` as one statement: per target with a text key, one row per
 * label value (seed and human labels only) among its other rows of the same key, with how many and
 * whether a person gave it (MemoryMatch).
 *
 * Driven from the targets: each target's twins through the text-key index, each twin's label through its
 * primary key. Written as one plain join, the planner of embedded PGlite (no statistics: nothing runs
 * ANALYZE there; a server has them once autovacuum got to the tables) started from every seed and human
 * label and looked for the targets' twins among them: a scan of all labels per batch of 8 rows (12 ms of
 * each scoring call at 2,000 labels in bench:embed, growing with them). OFFSET 0 keeps the twins'
 * subquery from being flattened back into that join; LIMIT 1 does the same for the label and changes
 * nothing else, a product having at most one label (product_labels' primary key).
 */
export function memoryQuery(ids: number[]): SqlQuery {
  return sql`
    SELECT target.id AS product_id, label.value, count(*)::int AS count,
           bool_or(label.source = 'human') AS human
    FROM products target
    CROSS JOIN LATERAL (
      SELECT twin.id FROM products twin
      WHERE twin.text_key = target.text_key AND twin.id <> target.id
      OFFSET 0
    ) twin
    CROSS JOIN LATERAL (
      SELECT labels.value, labels.source FROM product_labels labels
      WHERE labels.product_id = twin.id AND labels.source IN ('seed', 'human')
      LIMIT 1
    ) label
    WHERE target.id = ANY(${ids}::int[]) AND target.text_key <> ''
    GROUP BY target.id, label.value`;
}

/** A labelled row near a target: its product id, its label and its cosine similarity in [-1, 1]. */
export interface LabelledNeighbour extends Neighbour {
  /** The target row. */
  product_id: number;
  /** The labelled row. */
  neighbour_id: number;
}

/**
 * The `k` nearest voting rows (seed labels and people's decisions) of each target in `productIds`, other
 * than the target itself, nearest first. Searched in labelled_embeddings (migration 0023), whose HNSW index
 * holds the voters alone, at pgvector's default ef_search (40): bench/knn_recall.ts measured recall@10
 * against an exact scan of 0.995–1.000 with 300 and 3,000 labels at 20,000 and 100,000 products, on PGlite
 * and PostgreSQL 16, in 10–46 ms per batch of 64 targets. `efSearch` sets another, for that benchmark, in a transaction of its own (or the caller's).
 */
export async function nearestLabelled(
  db: Queryable,
  options: { modelId: string; productIds: number[]; k: number; efSearch?: number },
): Promise<LabelledNeighbour[]> {
  const search = (tx: Queryable) =>
    tx.query<LabelledNeighbour>(sql`
    WITH targets AS (
      SELECT product_id, embedding FROM embeddings
      WHERE model_id = ${options.modelId} AND product_id = ANY(${options.productIds}::int[])
    )
    SELECT targets.product_id, nearest.neighbour_id, nearest.value, nearest.similarity
    FROM targets
    CROSS JOIN LATERAL (
      SELECT voters.product_id AS neighbour_id, voters.value,
             1 - (voters.embedding <=> targets.embedding) AS similarity
      FROM labelled_embeddings voters
      WHERE voters.model_id = ${options.modelId} AND voters.product_id <> targets.product_id
      ORDER BY voters.embedding <=> targets.embedding
      LIMIT ${options.k}
    ) nearest
    ORDER BY targets.product_id, nearest.similarity DESC`);
  if (options.efSearch === undefined) return await search(db);
  const withSetting = async (tx: Queryable) => {
    await tx.query(sql`SELECT set_config('hnsw.ef_search', ${String(options.efSearch)}, true)`);
    return await search(tx);
  };
  return "transaction" in db ? await (db as Database).transaction(withSetting) : await withSetting(db);
}

function groupBy<T extends { product_id: number }>(rows: T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const row of rows) groups.set(row.product_id, [...(groups.get(row.product_id) ?? []), row]);
  return groups;
}
