/**
 * Training one model version and writing it to MODELS_DIR: train the ensemble (training.ts), save its
 * folder, and read it back to check it predicts exactly what was trained. The retrain job
 * (retrain_job.ts) does everything around it that needs the database; this part needs none, so it can
 * run on a thread of its own (training_thread.ts) as well as here.
 */
import type { EnsembleConfig, ModelMetrics } from "../../contract/schemas.ts";
import { predictProbabilities } from "../learning/classifier.ts";
import type { LabelledRow, LabelName } from "../learning/evidence.ts";
import { lexicalProbabilities } from "../learning/lexical.ts";
import { type LearningCurvePoint, trainEnsemble, type TrainingOptions } from "../learning/training.ts";
import { loadModelVersion, saveModelVersion } from "../models/model_store.ts";
import type { Tf } from "../runtime/tf_backend.ts";
import { yieldToEventLoop } from "../runtime/yield_to_event_loop.ts";

/** Progress: `done` of `total` steps, with a sentence for people. A rejection aborts the run. */
export type TrainingProgress = (done: number, total: number, message: string) => Promise<void>;

/** What a version is trained from, and where it goes. Plain data: it crosses to a thread as it is. */
export interface VersionTrainingInput {
  version: string;
  rows: LabelledRow[];
  labelNames: (LabelName & { taxonomy?: boolean })[];
  seed: number;
  training?: Pick<TrainingOptions, "epochs" | "learningCurve" | "holdoutFraction">;
  modelsDir: string;
  embeddingModelId: string;
  dimensions: number;
  /** Decisions stored when training began (the Models page's "new decisions since"). */
  feedbackSnapshot: number;
}

/** A version trained, saved and checked. */
export interface TrainedVersion {
  labels: string[];
  ensemble: EnsembleConfig;
  metrics: ModelMetrics;
  /** Rows of the input trained on and held out; `metrics.heldout_scores` follows `holdout`'s order. */
  split: { train: LabelledRow[]; holdout: LabelledRow[] };
  /** Present when the curve was deferred: draws it (training.ts TrainedEnsemble.drawLearningCurve). */
  drawLearningCurve?: (onProgress?: TrainingProgress) => Promise<LearningCurvePoint[]>;
  /** Frees what the run holds (tensors, a thread); call once the curve is drawn or not wanted. */
  dispose(): void;
}

/** Trains and saves a version of one of the training algorithms ({@link trainVersion} is the one here). */
export type VersionTrainer = (
  input: VersionTrainingInput,
  onProgress: TrainingProgress,
) => Promise<TrainedVersion>;

/**
 * Trains `input.rows` into version `input.version`, saves its folder under `input.modelsDir` and reloads
 * it. Progress counts training's steps plus one for saving and checking. The learning curve is deferred
 * unless `input.training.learningCurve` is false: the version serves as soon as it is ready. `run` says how
 * to train what does not cross threads (the lexical channel's trainer).
 *
 * Errors: training.ts' TrainingError (too few labels), and an Error when the saved folder does not load
 * back with predictions within 1e-5 of the trained ones (nothing is marked ready then).
 */
export async function trainVersion(
  tf: Tf,
  input: VersionTrainingInput,
  onProgress: TrainingProgress,
  run: Pick<TrainingOptions, "lexicalTrainer"> = {},
): Promise<TrainedVersion> {
  const { version, rows } = input;
  // One step more than training reports: saving and verifying the files.
  let steps = 1;
  const trained = await trainEnsemble(tf, rows, {
    ...input.training,
    ...run,
    learningCurve: input.training?.learningCurve === false ? false : "deferred",
    labelNames: input.labelNames,
    seed: input.seed,
    onProgress: (done, total, message) => {
      steps = total + 1;
      return onProgress(done, steps, message);
    },
  });
  try {
    await onProgress(steps - 1, steps, "saving");
    await saveModelVersion(tf, input.modelsDir, {
      version,
      classifier: trained.classifier,
      lexical: trained.lexical,
      labels: trained.labels,
      ensemble: trained.ensemble,
      metrics: trained.metrics,
      embeddingModelId: input.embeddingModelId,
      dimensions: input.dimensions,
      feedbackSnapshot: input.feedbackSnapshot,
      tfjsVersion: tf.version.tfjs,
      backend: tf.getBackend(),
    });
    // Each step is one synchronous stretch; a yield between them keeps a thread that also answers
    // requests answering.
    await yieldToEventLoop();
    await onProgress(steps - 1, steps, "checking the saved files");
    await checkReload(tf, input, trained);
  } finally {
    trained.classifier.dispose();
  }
  return {
    labels: trained.labels,
    ensemble: trained.ensemble,
    metrics: trained.metrics,
    split: trained.split,
    drawLearningCurve: trained.drawLearningCurve,
    dispose: () => {},
  };
}

/** Reads the saved version back and checks it predicts what was trained, on the first 16 rows. */
async function checkReload(
  tf: Tf,
  input: VersionTrainingInput,
  trained: Awaited<ReturnType<typeof trainEnsemble>>,
): Promise<void> {
  const { version } = input;
  const stored = await loadModelVersion(tf, input.modelsDir, version, {
    embeddingModelId: input.embeddingModelId,
    dimensions: input.dimensions,
  });
  try {
    const probe = input.rows.slice(0, 16);
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
}
