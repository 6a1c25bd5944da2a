/**
 * Scores products with the ensemble and stores the result in `suggestions`: the evidence comes from SQL
 * (stored_evidence.ts: labelled neighbours and label names through pgvector, the exact-match memory
 * through the text-key index) and from the active version's classifier head and lexical channel (the product's text from
 * `products`, its vector); ensemble.ts combines it. Labels accepted by
 * auto-accept never vote and never feed the memory: only seed labels and people's decisions do.
 */
import type { Queryable } from "../db/database.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import { applyAutoAccept } from "./auto_accept.ts";
import { predictProbabilities } from "../learning/classifier.ts";
import {
  classifierScores,
  combineEvidence,
  defaultEnsembleConfig,
  type Evidence,
} from "../learning/ensemble.ts";
import { lexicalProbabilities } from "../learning/lexical.ts";
import { sql } from "../db/sql.ts";
import { storeCoverage } from "./review_rank.ts";
import { gatherStoredEvidence } from "./stored_evidence.ts";

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

    const evidence = await gatherStoredEvidence(db, {
      modelId: options.modelId,
      productIds: ids,
      k,
      zeroShotTop: config.zero_shot_top,
      zeroShotTemperature: config.zero_shot_temperature,
    });

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

    // A version keeps the values it was trained on; one no row has any more (its labels were deleted
    // with their import) is never suggested again.
    if (model && lease?.tf) await dropGoneValues(db, model.labels, ids.map((id) => evidence.get(id)!));

    // The closest labelled row the kNN vote found is the row's coverage in the review queue's order.
    await storeCoverage(
      db,
      options.modelId,
      new Map(ids.map((id) => [id, Math.max(0, ...(evidence.get(id)!.knn?.best.values() ?? []))])),
    );

    const written: {
      id: number;
      value: string;
      confidence: number;
      raw: number;
      margin: number;
      source: string;
    }[] = [];
    const unanswered: number[] = [];
    for (const id of ids) {
      const answer = combineEvidence(evidence.get(id)!, config);
      if (answer) written.push({ id, ...answer });
      else unanswered.push(id);
    }
    // Nothing is known about them any more (the labels their suggestion came from were deleted): an
    // earlier suggestion would keep offering a value that no longer exists.
    if (unanswered.length > 0) {
      await db.query(sql`DELETE FROM suggestions WHERE product_id = ANY(${unanswered}::int[])`);
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

/**
 * Removes from the classifier and lexical parts of `evidence` the values of `labels` (a version's
 * trained values) that no row is labelled with any more by a person, a seed or a reuse, and that the
 * taxonomy does not name — the same rule that picks zero-shot's label names (stored_evidence.ts).
 */
async function dropGoneValues(db: Queryable, labels: string[], evidence: Evidence[]): Promise<void> {
  if (labels.length === 0) return;
  const rows = await db.query<{ value: string }>(sql`
    SELECT label.value FROM unnest(${labels}::text[]) AS label(value)
    WHERE EXISTS (SELECT 1 FROM product_labels
                  WHERE product_labels.value = label.value AND product_labels.source <> 'auto')
       OR EXISTS (SELECT 1 FROM taxonomy_labels WHERE taxonomy_labels.value = label.value)`);
  if (rows.length === labels.length) return;
  const live = new Set(rows.map((row) => row.value));
  const keep = (scores: Map<string, number> | undefined) => {
    if (!scores) return undefined;
    const kept = new Map([...scores].filter(([value]) => live.has(value)));
    return kept.size > 0 ? kept : undefined;
  };
  for (const item of evidence) {
    item.classifier = keep(item.classifier);
    item.lexical = keep(item.lexical);
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
