/**
 * Scores products with the ensemble and stores the result in `suggestions`: the evidence comes from SQL
 * (labelled neighbours and label names through pgvector, the exact-match memory through the text-key
 * index) and from the active version's classifier head and lexical channel (the product's text from
 * `products`, its vector); ensemble.ts combines it. Labels accepted by
 * auto-accept never vote and never feed the memory: only seed labels and people's decisions do.
 */
import type { Queryable } from "./database.ts";
import type { ModelRuntime } from "./active_model.ts";
import { applyAutoAccept } from "./auto_accept.ts";
import { predictProbabilities } from "./classifier.ts";
import {
  classifierScores,
  combineEvidence,
  defaultEnsembleConfig,
  type Evidence,
  knnVote,
  type MemoryMatch,
  type Neighbour,
  zeroShotScores,
} from "./ensemble.ts";
import { lexicalProbabilities } from "./lexical.ts";
import { sql } from "./sql.ts";

/** Options of {@link scoreProducts}. */
export interface ScoreOptions {
  modelId: string;
  productIds: number[];
  /** Labelled neighbours that vote; the active version's (or ensemble.ts' default) when absent. */
  k?: number;
  /** The process' model runtime; without one (or with no active version) there is no classifier. */
  models?: ModelRuntime;
}

/**
 * Recomputes the suggestion of each product in `productIds` that has a vector of `modelId`; a product
 * about which nothing is known (no labels, no label names) gets none. Returns how many were written.
 */
export async function scoreProducts(db: Queryable, options: ScoreOptions): Promise<number> {
  if (options.productIds.length === 0) return 0;
  const lease = options.models?.acquire();
  try {
    const model = lease?.model;
    const config = model?.ensemble ?? await coldStartConfig(db, options.modelId);
    const k = options.k ?? config.knn_k;
    const targets = sql`
      SELECT product_id, embedding FROM embeddings
      WHERE model_id = ${options.modelId} AND product_id = ANY(${options.productIds}::int[])`;
    const vectors = await db.query<{ product_id: number; vector: number[] | null; text: string | null }>(sql`
      SELECT targets.product_id, ${model ? sql`targets.embedding::real[]` : sql`NULL::real[]`} AS vector,
             ${model?.lexical ? sql`products.text` : sql`NULL::text`} AS text
      FROM (${targets}) targets JOIN products ON products.id = targets.product_id
      ORDER BY targets.product_id`);
    if (vectors.length === 0) return 0;
    const ids = vectors.map((row) => row.product_id);

    const evidence = new Map<number, Evidence>(ids.map((id) => [id, {}]));
    const neighbours = await db.query<{ product_id: number } & Neighbour>(sql`
      WITH targets AS (${targets})
      SELECT targets.product_id, nearest.value, nearest.similarity
      FROM targets
      CROSS JOIN LATERAL (
        SELECT labels.value, 1 - (labelled.embedding <=> targets.embedding) AS similarity
        FROM product_labels labels
        JOIN embeddings labelled
          ON labelled.product_id = labels.product_id AND labelled.model_id = ${options.modelId}
        -- A 'reused' label copies a decision on the same text: counting it again would double that vote.
        WHERE labels.product_id <> targets.product_id AND labels.source IN ('seed', 'human')
        ORDER BY labelled.embedding <=> targets.embedding
        LIMIT ${k}
      ) nearest`);
    for (const [id, rows] of groupBy(neighbours)) evidence.get(id)!.knn = knnVote(rows);

    const names = await db.query<{ product_id: number } & Neighbour>(sql`
      WITH targets AS (${targets}), names AS MATERIALIZED (
        SELECT value, embedding FROM label_embeddings
        WHERE model_id = ${options.modelId}
          AND (EXISTS (SELECT 1 FROM taxonomy_labels WHERE taxonomy_labels.value = label_embeddings.value)
            OR EXISTS (SELECT 1 FROM product_labels
                       WHERE product_labels.value = label_embeddings.value AND product_labels.source <> 'auto'))
      )
      SELECT targets.product_id, nearest.value, nearest.similarity
      FROM targets
      CROSS JOIN LATERAL (
        SELECT names.value, 1 - (names.embedding <=> targets.embedding) AS similarity
        FROM names ORDER BY names.embedding <=> targets.embedding LIMIT ${config.zero_shot_top}
      ) nearest`);
    for (const [id, rows] of groupBy(names)) {
      evidence.get(id)!.zeroShot = zeroShotScores(rows, config.zero_shot_temperature);
    }

    const memory = await db.query<{ product_id: number } & MemoryMatch>(sql`
      SELECT target.id AS product_id, labels.value, count(*)::int AS count,
             bool_or(labels.source = 'human') AS human
      FROM products target
      JOIN products twin
        ON product_text_key(twin.text) = product_text_key(target.text) AND twin.id <> target.id
      JOIN product_labels labels ON labels.product_id = twin.id AND labels.source IN ('seed', 'human')
      WHERE target.id = ANY(${ids}::int[]) AND product_text_key(target.text) <> ''
      GROUP BY target.id, labels.value`);
    for (const [id, rows] of groupBy(memory)) evidence.get(id)!.memory = rows;

    if (model && lease?.tf) {
      const probabilities = predictProbabilities(
        lease.tf,
        model.classifier,
        vectors.map((row) => row.vector!),
      );
      vectors.forEach((row, index) => {
        evidence.get(row.product_id)!.classifier = classifierScores(probabilities[index], model.labels);
      });
      if (model.lexical) {
        const lexical = lexicalProbabilities(
          model.lexical,
          vectors.map((row) => ({ text: row.text ?? "", vector: row.vector! })),
        );
        vectors.forEach((row, index) => {
          evidence.get(row.product_id)!.lexical = classifierScores(lexical[index], model.labels);
        });
      }
    }

    const written: {
      id: number;
      value: string;
      confidence: number;
      raw: number;
      margin: number;
      source: string;
    }[] = [];
    for (const id of ids) {
      const answer = combineEvidence(evidence.get(id)!, config);
      if (answer) written.push({ id, ...answer });
    }
    if (written.length === 0) return 0;
    await db.query(sql`
      INSERT INTO suggestions (product_id, value, confidence, source, model_version, margin, raw_confidence,
                               updated_at)
      SELECT item.id, item.value, item.confidence, item.source, ${
      model?.version ?? null
    }, item.margin, item.raw,
             now()
      FROM unnest(${written.map((row) => row.id)}::int[], ${written.map((row) => row.value)}::text[],
                  ${written.map((row) => row.confidence)}::real[], ${
      written.map((row) => row.source)
    }::text[],
                  ${written.map((row) => row.margin)}::real[], ${written.map((row) => row.raw)}::real[])
        AS item(id, value, confidence, source, margin, raw)
      ON CONFLICT (product_id) DO UPDATE
        SET value = excluded.value, confidence = excluded.confidence, source = excluded.source,
            model_version = excluded.model_version, margin = excluded.margin,
            raw_confidence = excluded.raw_confidence, updated_at = excluded.updated_at`);
    await applyAutoAccept(db, model, written.map((row) => row.id));
    return written.length;
  } finally {
    lease?.release();
  }
}

/** The ensemble before any version: weights from how many labels (seed, human) and label names exist. */
async function coldStartConfig(db: Queryable, modelId: string) {
  const [row] = await db.query<{ labels: number; names: number }>(sql`
    SELECT (SELECT count(*)::int FROM product_labels WHERE source IN ('seed', 'human')) AS labels,
           (SELECT count(*)::int FROM label_embeddings
            WHERE model_id = ${modelId}
              AND (EXISTS (SELECT 1 FROM taxonomy_labels WHERE taxonomy_labels.value = label_embeddings.value)
                OR EXISTS (SELECT 1 FROM product_labels
                           WHERE product_labels.value = label_embeddings.value AND source <> 'auto'))) AS names`);
  return defaultEnsembleConfig(row.labels, row.names);
}

function groupBy<T extends { product_id: number }>(rows: T[]): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const row of rows) groups.set(row.product_id, [...(groups.get(row.product_id) ?? []), row]);
  return groups;
}
