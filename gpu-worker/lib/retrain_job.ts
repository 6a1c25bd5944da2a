/**
 * The `retrain` job: train a new model version on the consolidated labels (seed labels and each
 * product's latest human decision; never auto-accepted rows), write it to MODELS_DIR and mark it ready.
 * It is not activated: a person looks at its metrics and loads it (POST /load-model).
 *
 * A version is marked ready only after its folder is complete and loads back with identical
 * predictions; anything less leaves it 'failed' with the reason, and it can never be activated.
 */
import { type JobKind, RetrainPayload } from "../../contract/schemas.ts";
import type { Queryable } from "./database.ts";
import { predictProbabilities } from "./classifier.ts";
import { lexicalProbabilities } from "./lexical.ts";
import type { LabelledRow } from "./evidence.ts";
import { type ClaimedJob, enqueueJob } from "./jobs.ts";
import { embedMissingLabelNames, readLabelNames } from "./label_names.ts";
import { loadModelVersion, saveModelVersion } from "./model_store.ts";
import { createModelVersion, markModelFailed, markModelReady } from "./model_versions.ts";
import { sql } from "./sql.ts";
import { loadTf } from "./tf_backend.ts";
import { trainEnsemble, type TrainingOptions } from "./training.ts";
import type { JobContext, JobHandler } from "./worker_loop.ts";

/** Options of {@link retrainHandler}. */
export interface RetrainOptions {
  modelsDir: string;
  /** Smaller runs for tests: fixed epochs, no learning curve. */
  training?: Pick<TrainingOptions, "epochs" | "learningCurve" | "holdoutFraction">;
}

/** What a finished retrain job stores as its result. */
export interface RetrainResult {
  version: string;
  accuracy: number;
  macro_f1: number;
  majority_baseline: number;
  train_size: number;
  holdout_size: number;
}

/** Seed labels and the latest human decision per product, with their vectors of `modelId`. */
export function readTrainingRows(db: Queryable, modelId: string): Promise<LabelledRow[]> {
  return db.query<LabelledRow>(sql`
    SELECT products.text, labels.value, labels.source = 'human' AS human,
           embeddings.embedding::real[] AS vector
    FROM product_labels labels
    JOIN products ON products.id = labels.product_id
    JOIN embeddings ON embeddings.product_id = labels.product_id AND embeddings.model_id = ${modelId}
    WHERE labels.source IN ('seed', 'human')
    ORDER BY labels.product_id`);
}

/**
 * Queues a retrain unless one is already waiting (pressing the button twice trains once). Two attempts:
 * a worker that dies mid-training hands it to another once its lease ends.
 */
export async function enqueueRetrain(
  db: Queryable,
  payload: RetrainPayload = {},
): Promise<{ job_id: number; already_queued: boolean }> {
  const [waiting] = await db.query<{ id: number }>(sql`
    SELECT id FROM jobs WHERE kind = ${"retrain" satisfies JobKind} AND status = 'queued'
    ORDER BY id LIMIT 1`);
  if (waiting) return { job_id: waiting.id, already_queued: true };
  return { job_id: await enqueueJob(db, "retrain", payload, { maxAttempts: 2 }), already_queued: false };
}

async function retrain(
  job: ClaimedJob,
  context: JobContext,
  options: RetrainOptions,
): Promise<RetrainResult> {
  const payload = RetrainPayload.parse(job.payload);
  const { db, embedder } = context;
  const tf = await loadTf();
  const version = await createModelVersion(db, {
    embeddingModelId: embedder.modelId,
    dimensions: embedder.dimensions,
    jobId: job.id,
  });
  try {
    await context.progress(
      0,
      1,
      `${version}: reading labels${payload.requested_by ? ` (${payload.requested_by})` : ""}`,
    );
    await embedMissingLabelNames(db, embedder);
    const [{ feedback }] = await db.query<{ feedback: number }>(sql`
      SELECT count(*)::int AS feedback FROM feedback`);
    const rows = await readTrainingRows(db, embedder.modelId);
    const labelNames = await readLabelNames(db, embedder.modelId);
    // One step more than training reports: saving and verifying the files.
    let steps = 1;
    const trained = await trainEnsemble(tf, rows, {
      ...options.training,
      labelNames,
      seed: job.id,
      onProgress: (done, total, message) => {
        steps = total + 1;
        return context.progress(done, steps, `${version}: ${message}`);
      },
    });
    try {
      await context.progress(steps - 1, steps, `${version}: saving`);
      await saveModelVersion(tf, options.modelsDir, {
        version,
        classifier: trained.classifier,
        lexical: trained.lexical,
        labels: trained.labels,
        ensemble: trained.ensemble,
        metrics: trained.metrics,
        embeddingModelId: embedder.modelId,
        dimensions: embedder.dimensions,
        feedbackSnapshot: feedback,
        tfjsVersion: tf.version.tfjs,
        backend: tf.getBackend(),
      });
      // Read back what was written and check it predicts exactly what was trained.
      const stored = await loadModelVersion(tf, options.modelsDir, version, {
        embeddingModelId: embedder.modelId,
        dimensions: embedder.dimensions,
      });
      try {
        const probe = rows.slice(0, 16);
        const vectors = probe.map((row) => row.vector);
        const before = [
          ...predictProbabilities(tf, trained.classifier, vectors),
          ...lexicalProbabilities(trained.lexical, probe),
        ];
        const after = [
          ...predictProbabilities(tf, stored.classifier, vectors),
          ...(stored.lexical ? lexicalProbabilities(stored.lexical, probe) : []),
        ];
        if (after.length !== before.length) {
          throw new Error(`Cannot save model "${version}": its lexical channel did not load back`);
        }
        const drift = Math.max(
          ...before.flatMap((row, i) => Array.from(row, (p, j) => Math.abs(p - after[i][j]))),
        );
        if (!(drift < 1e-5)) {
          throw new Error(`Cannot save model "${version}": reloaded predictions differ by ${drift}`);
        }
      } finally {
        stored.classifier.dispose();
      }
      await markModelReady(db, version, { metrics: trained.metrics, feedbackSnapshot: feedback });
      await context.progress(
        steps,
        steps,
        `${version}: ready, held-out accuracy ${(trained.metrics.accuracy * 100).toFixed(1)}%`,
      );
    } finally {
      trained.classifier.dispose();
    }
    const { metrics } = trained;
    return {
      version,
      accuracy: metrics.accuracy,
      macro_f1: metrics.macro_f1,
      majority_baseline: metrics.majority_baseline,
      train_size: metrics.train_size,
      holdout_size: metrics.holdout_size,
    };
  } catch (error) {
    await markModelFailed(db, version, (error as Error).message).catch(() => {});
    throw error;
  }
}

/** The `retrain` job handler. */
export function retrainHandler(options: RetrainOptions): JobHandler {
  return (job, context) => retrain(job, context, options);
}
