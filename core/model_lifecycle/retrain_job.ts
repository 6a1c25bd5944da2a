/**
 * The `retrain` job: train a new model version on the consolidated labels (seed labels and each
 * product's latest human decision; never auto-accepted rows), write it to MODELS_DIR and mark it ready.
 * Queued by a person (POST /trigger-retrain) or by the auto-retrain scheduler (auto_retrain.ts). Once
 * ready, the auto-activation policy (auto_activation.ts) activates it when it is at least as good as the
 * active version; otherwise, or with the policy off, a person loads it (POST /load-model). The job ends
 * there; the version's learning curve follows it (JobContext.followUp), so the re-score an activation
 * queues need not wait for a report.
 *
 * Too few labelled rows is not an error worth retrying: the job fails at once, before any version is
 * created, with a message that says what is there and what is missing.
 *
 * A version is marked ready only after its folder is complete and loads back with identical
 * predictions; anything less leaves it 'failed' with the reason, and it can never be activated.
 */
import {
  type ActivationDecision,
  type JobKind,
  RetrainPayload,
  WORK_CHANNEL,
} from "../../contract/schemas.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import { autoActivate } from "./auto_activation.ts";
import type { Database, Queryable } from "../db/database.ts";
import type { LabelledRow } from "../learning/evidence.ts";
import type { ClaimedJob } from "../jobs/jobs.ts";
import { embedMissingLabelNames, readLabelNames } from "../suggest/label_names.ts";
import { storeModelFiles } from "../models/model_files.ts";
import { createModelVersion, markModelFailed, markModelReady } from "../models/model_versions.ts";
import { sql } from "../db/sql.ts";
import { loadTf, type Tf } from "../runtime/tf_backend.ts";
import { MIN_TRAINING_ROWS, TrainingError, type TrainingOptions } from "../learning/training.ts";
import { type TrainedVersion, trainVersion, type VersionTrainer } from "./version_training.ts";
import { trainLexicalOnThread } from "../learning/lexical_thread.ts";
import type { JobContext, JobHandler } from "../jobs/job_handler.ts";
import { yieldToEventLoop } from "../runtime/yield_to_event_loop.ts";

/** Options of {@link retrainHandler}. */
export interface RetrainOptions {
  modelsDir: string;
  /** The worker's runtime: a version auto-activated here is served at once. */
  models?: ModelRuntime;
  /** Smaller runs for tests: fixed epochs, no learning curve. */
  training?: Pick<TrainingOptions, "epochs" | "learningCurve" | "holdoutFraction">;
  /**
   * Trains and saves the version: {@link trainVersion} on this thread by default, or on a thread of its
   * own (training_thread.ts) where this thread also answers requests.
   */
  trainer?: VersionTrainer;
}

/** What a finished retrain job stores as its result. */
export interface RetrainResult {
  version: string;
  accuracy: number;
  macro_f1: number;
  majority_baseline: number;
  train_size: number;
  holdout_size: number;
  /** What the auto-activation policy decided, and why. */
  activation: { decision: ActivationDecision; reason: string; previous: string | null };
}

/** Training rows read per query: one query reading them all would hold the embedded process' event loop. */
const TRAINING_PAGE = 250;

/**
 * Seed labels and the latest human decision per product, with their vectors of `modelId`, in product
 * order. Read in pages of TRAINING_PAGE with a yield between them: on embedded PGlite a query runs on
 * this thread, and one reading 1,500 vectors held every request of the web server for about a second.
 */
export async function readTrainingRows(db: Queryable, modelId: string): Promise<LabelledRow[]> {
  const rows: LabelledRow[] = [];
  let after = 0;
  for (;;) {
    const page = await db.query<LabelledRow & { product_id: number }>(sql`
      SELECT labels.product_id, products.text, labels.value, labels.source = 'human' AS human,
             embeddings.embedding::real[] AS vector
      FROM product_labels labels
      JOIN products ON products.id = labels.product_id
      JOIN embeddings ON embeddings.product_id = labels.product_id AND embeddings.model_id = ${modelId}
      WHERE labels.source IN ('seed', 'human') AND labels.product_id > ${after}
      ORDER BY labels.product_id
      LIMIT ${TRAINING_PAGE}`);
    for (const { product_id, ...row } of page) rows.push({ ...row, productId: product_id });
    if (page.length < TRAINING_PAGE) return rows;
    after = page[page.length - 1].product_id;
    await yieldToEventLoop();
  }
}

/**
 * Queues a retrain unless one is already queued or running (pressing the button twice, or the scheduler
 * in several workers, trains once): the partial unique index jobs_one_retrain refuses a second row, and
 * the one there is returned instead. Two attempts: a worker that dies mid-training hands it to another
 * once its lease ends.
 */
export async function enqueueRetrain(
  db: Queryable,
  payload: RetrainPayload = {},
): Promise<{ job_id: number; already_queued: boolean }> {
  // A run whose worker died on its last attempt is never claimed again; left 'running' it would hold
  // the index's one place for good.
  await db.query(sql`
    UPDATE jobs SET status = 'failed', finished_at = now(), updated_at = now(), locked_by = NULL,
      last_error = coalesce(last_error, 'The worker running it stopped before it finished')
    WHERE kind = ${"retrain" satisfies JobKind} AND status = 'running' AND locked_until < now()
      AND attempts >= max_attempts`);
  for (let attempt = 0; attempt < 3; attempt++) {
    const [created] = await db.query<{ id: number }>(sql`
      INSERT INTO jobs (kind, payload, max_attempts)
      VALUES (${"retrain" satisfies JobKind}, ${JSON.stringify(payload)}::text::jsonb, 2)
      ON CONFLICT (kind) WHERE kind = 'retrain' AND status IN ('queued', 'running') DO NOTHING
      RETURNING id`);
    if (created) {
      await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, ${`job:${created.id}`})`);
      return { job_id: created.id, already_queued: false };
    }
    const [waiting] = await db.query<{ id: number }>(sql`
      SELECT id FROM jobs WHERE kind = ${"retrain" satisfies JobKind} AND status IN ('queued', 'running')`);
    // Otherwise it finished between the two statements: try again.
    if (waiting) return { job_id: waiting.id, already_queued: true };
  }
  throw new Error("Cannot queue a retrain: the retrain queue changed three times in a row");
}

/**
 * Refuses before training when the labels cannot make a version, saying how many labelled rows there
 * are, how many have vectors yet, and how many values they carry.
 */
async function checkEnoughLabels(db: Queryable, rows: LabelledRow[]): Promise<void> {
  const values = new Set(rows.map((row) => row.value)).size;
  if (rows.length >= MIN_TRAINING_ROWS && values >= 2) return;
  const [{ labelled }] = await db.query<{ labelled: number }>(sql`
    SELECT count(*)::int AS labelled FROM product_labels WHERE source IN ('seed', 'human')`);
  const waiting = labelled - rows.length;
  const vectors = waiting > 0 ? `, ${waiting} of them still waiting for their vectors` : "";
  if (rows.length < MIN_TRAINING_ROWS) {
    throw new TrainingError(
      `Cannot train: ${labelled} labelled rows${vectors}, need at least ${MIN_TRAINING_ROWS} with vectors`,
    );
  }
  throw new TrainingError(
    `Cannot train: all ${rows.length} labelled rows carry the same value, need at least 2 values`,
  );
}

async function retrain(
  job: ClaimedJob,
  context: JobContext,
  options: RetrainOptions,
  superseded: AbortSignal,
): Promise<RetrainResult> {
  const payload = RetrainPayload.parse(job.payload);
  const { db, embedder } = context;
  await embedMissingLabelNames(db, embedder);
  const rows = await readTrainingRows(db, embedder.modelId);
  try {
    await checkEnoughLabels(db, rows);
  } catch (error) {
    // A second attempt would find the same labels.
    await db.query(sql`UPDATE jobs SET max_attempts = attempts WHERE id = ${job.id}`);
    throw error;
  }
  const tf = await loadTf();
  const version = await createModelVersion(db, {
    embeddingModelId: embedder.modelId,
    dimensions: embedder.dimensions,
    jobId: job.id,
  });
  try {
    const by = payload.requested_by ?? (payload.trigger === "schedule" ? "auto-retrain" : undefined);
    await context.progress(0, 1, `${version}: reading labels${by ? ` (${by})` : ""}`);
    const [{ feedback }] = await db.query<{ feedback: number }>(sql`
      SELECT count(*)::int AS feedback FROM feedback`);
    const labelNames = await readLabelNames(db, embedder.modelId);
    // The last step (saving) stays open until the version is stored and its activation decided.
    let steps = 1;
    // Here, the lexical channel still trains on a thread of its own, beside the classifier.
    const train = options.trainer ??
      ((input, onProgress) => trainVersion(tf, input, onProgress, { lexicalTrainer: trainLexicalOnThread }));
    const trained = await train({
      version,
      rows,
      labelNames,
      seed: job.id,
      training: options.training,
      modelsDir: options.modelsDir,
      embeddingModelId: embedder.modelId,
      dimensions: embedder.dimensions,
      feedbackSnapshot: feedback,
    }, (done, total, message) => {
      steps = total;
      return context.progress(done, total, `${version}: ${message}`);
    });
    let handedOver = false;
    try {
      const result = await storeAndActivate(db, tf, {
        version,
        trained,
        labelNames,
        feedback,
        steps,
        options,
        context,
      });
      if (trained.drawLearningCurve) {
        context.followUp(
          `${version}: the learning curve was not drawn`,
          (stopped) => drawLearningCurve(db, version, trained, AbortSignal.any([stopped, superseded])),
        );
        handedOver = true;
      }
      return result;
    } finally {
      if (!handedOver) trained.dispose();
    }
  } catch (error) {
    await markModelFailed(db, version, (error as Error).message).catch(() => {});
    throw error;
  }
}

/**
 * Stores a trained version's files with its ready status and lets the auto-activation policy decide.
 * `steps` is the run's last progress step (saving), kept open until the end.
 */
async function storeAndActivate(
  db: Database,
  tf: Tf,
  { version, trained, labelNames, feedback, steps, options, context }: {
    version: string;
    trained: TrainedVersion;
    labelNames: Awaited<ReturnType<typeof readLabelNames>>;
    feedback: number;
    steps: number;
    options: RetrainOptions;
    context: JobContext;
  },
): Promise<RetrainResult> {
  const { embedder } = context;
  // Ready means loadable from any machine: the files go into the database with the status. A yield
  // first: storing is one long statement on embedded PGlite.
  await yieldToEventLoop();
  await context.progress(steps - 1, steps, `${version}: storing the files in the database`);
  await db.transaction(async (tx) => {
    await storeModelFiles(tx, options.modelsDir, version);
    await markModelReady(tx, version, { metrics: trained.metrics, feedbackSnapshot: feedback });
  });
  const known = new Set(trained.split.train.map((row) => row.value));
  await yieldToEventLoop();
  await context.progress(steps - 1, steps, `${version}: deciding whether to activate it`);
  const activation = await autoActivate(db, tf, {
    version,
    split: trained.split,
    heldoutScores: trained.metrics.heldout_scores,
    labelNames: labelNames.filter((name) => name.taxonomy || known.has(name.value)),
    modelsDir: options.modelsDir,
    embeddingModelId: embedder.modelId,
    dimensions: embedder.dimensions,
    models: options.models,
  });
  const accuracy = `held-out accuracy ${(trained.metrics.accuracy * 100).toFixed(1)}%`;
  const outcome = `${version}: ready, ${accuracy}; ${
    activation.decision === "activated" ? "activated" : `not activated (${activation.decision})`
  }${trained.drawLearningCurve ? "; its learning curve follows" : ""}`;
  await context.progress(steps, steps, outcome);
  const { metrics } = trained;
  return {
    version,
    accuracy: metrics.accuracy,
    macro_f1: metrics.macro_f1,
    majority_baseline: metrics.majority_baseline,
    train_size: metrics.train_size,
    holdout_size: metrics.holdout_size,
    activation: { decision: activation.decision, reason: activation.reason, previous: activation.previous },
  };
}

/**
 * Draws `version`'s learning curve after its job (the version ready, maybe serving), stores it in its
 * metrics and disposes of `trained`; the Models page shows the one-point curve until then. The version is
 * complete without it: an abort (`stop`: the worker stops, or a newer retrain starts here) disposes of the
 * run at once (a training thread ends) and stores nothing.
 *
 * Errors: the abort's reason, training's errors, the database's.
 */
async function drawLearningCurve(
  db: Queryable,
  version: string,
  trained: TrainedVersion,
  stop: AbortSignal,
): Promise<void> {
  const aborted = () => trained.dispose();
  stop.addEventListener("abort", aborted, { once: true });
  try {
    stop.throwIfAborted();
    // Training on this thread sees the abort at its next step; a thread is ended at once.
    const curve = await trained.drawLearningCurve!(() =>
      stop.aborted ? Promise.reject(stop.reason) : Promise.resolve()
    );
    stop.throwIfAborted();
    await db.query(sql`
      UPDATE model_versions
      SET metrics = jsonb_set(metrics, '{learning_curve}', ${JSON.stringify(curve)}::text::jsonb)
      WHERE version = ${version} AND metrics IS NOT NULL`);
  } finally {
    stop.removeEventListener("abort", aborted);
    trained.dispose();
  }
}

/**
 * The `retrain` job handler. A retrain starting here aborts the learning curve the one before is still
 * drawing: a newer version's training matters more than an older one's report.
 */
export function retrainHandler(options: RetrainOptions): JobHandler {
  let drawing = new AbortController();
  return (job, context) => {
    drawing.abort(new Error("a newer retrain started"));
    drawing = new AbortController();
    return retrain(job, context, options, drawing.signal);
  };
}
