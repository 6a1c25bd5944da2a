/**
 * One training run, in memory: split the labelled rows (stratified) into training and held-out parts,
 * train the classifier head and the lexical channel (lexical.ts), choose the ensemble's weights and fit its calibration on the held-out part,
 * and measure it all there.
 *
 * The held-out part does two jobs (choosing weights + calibration, and measuring), so it is cross-fitted:
 * each half is scored with weights and calibration fitted on the other half, and every reported number
 * (accuracy, macro-F1, the reliability table, precision at a threshold) comes from those out-of-fold
 * scores. The weights and calibration saved with the version are then fitted on the whole held-out part.
 */
import type { Calibration, EnsembleConfig, EnsembleWeights, ModelMetrics } from "../../contract/schemas.ts";
import { expectedCalibrationError, fitPlatt, IDENTITY_CALIBRATION, reliabilityBins } from "./calibration.ts";
import { type ClassifierModel, epochsFor, trainClassifier } from "./classifier.ts";
import {
  combineEvidence,
  type Evidence,
  KNN_K,
  MEMORY_PRIOR_PRECISION,
  priorWeights,
  ZERO_SHOT_TEMPERATURE,
  ZERO_SHOT_TOP,
} from "./ensemble.ts";
import type { LabelledRow, LabelName } from "./evidence.ts";
import { gatherEvidenceInSlices } from "./evidence_in_slices.ts";
import { type LexicalModel, type LexicalTrainer, trainLexical } from "./lexical.ts";
import { linearEpochsFor } from "./linear_head.ts";
import type { Tf } from "../runtime/tf_backend.ts";
import { bestWeights, weightGrid } from "./weight_search.ts";

/** Too little to learn from; the message says what is missing. */
export class TrainingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TrainingError";
  }
}

/** Fewest labelled rows (in at least two values) a training run accepts. */
export const MIN_TRAINING_ROWS = 10;

/**
 * Below this many labels the heads a version serves are trained again on all of them (the held-out fifth
 * included) once the weights and calibration are fitted: with 50 labels of 10 categories that fifth is
 * what separates the ensemble from a logistic regression trained on all 50 (bench:learning). Above it a
 * fifth more rows changes little and the second training would double the retrain time.
 */
export const REFIT_BELOW = 2000;

/** Options for {@link trainEnsemble}. */
export interface TrainingOptions {
  /** Label names to consider for zero-shot; `taxonomy` ones count even if no training row carries them. */
  labelNames?: (LabelName & { taxonomy?: boolean })[];
  holdoutFraction?: number;
  /** Fixed epochs for every head trained (tests keep it small); default {@link epochsFor}. */
  epochs?: number;
  /**
   * Also train on ⅛, ¼ and ½ of the training rows to draw the learning curve (default true). "deferred":
   * the run returns without those points and {@link TrainedEnsemble.drawLearningCurve} draws them when
   * the caller asks — after the version is in service: at 10,000 labels they were half of a retrain
   * (bench:train on an idle machine: 90 s of 185 s).
   */
  learningCurve?: boolean | "deferred";
  seed?: number;
  /** Retrain the heads on all rows below {@link REFIT_BELOW} labels (default true). */
  refit?: boolean;
  /** Trains the lexical channel: trainLexical here by default, or lexical_thread.ts beside the classifier. */
  lexicalTrainer?: LexicalTrainer;
  /** Progress: `done` of `total` steps, with a sentence for people. A rejection aborts the run. */
  onProgress?: (done: number, total: number, message: string) => Promise<void>;
}

/** What a run produces. */
export interface TrainedEnsemble {
  classifier: ClassifierModel;
  /** The lexical channel, over the same `labels`. */
  lexical: LexicalModel;
  labels: string[];
  ensemble: EnsembleConfig;
  metrics: ModelMetrics;
  /** The rows trained on and held out; `metrics.heldout_scores` follows `holdout`'s order. */
  split: { train: LabelledRow[]; holdout: LabelledRow[] };
  /**
   * With `learningCurve: "deferred"`: trains on ⅛, ¼ and ½ of the training rows and returns the whole
   * curve (those points, then `metrics.learning_curve`'s one point for every training row).
   */
  drawLearningCurve?: (onProgress?: TrainingOptions["onProgress"]) => Promise<LearningCurvePoint[]>;
}

/** One point of a learning curve: held-out accuracy (out of fold) after training on `labels` rows. */
export interface LearningCurvePoint {
  labels: number;
  accuracy: number;
}

/** A seeded generator (mulberry32): the same labels give the same split. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A copy of `items` in a random order (Fisher–Yates, drawing from `random`). */
export function shuffled<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

/**
 * Splits rows per value: about `fraction` of each value with two or more rows is held out (at least
 * one); a value seen once stays in training, where it can at least be suggested.
 */
export function stratifiedSplit<T extends { value: string }>(
  rows: T[],
  fraction: number,
  random: () => number,
): { train: T[]; holdout: T[] } {
  const byValue = new Map<string, T[]>();
  for (const row of rows) byValue.set(row.value, [...(byValue.get(row.value) ?? []), row]);
  const train: T[] = [];
  const holdout: T[] = [];
  for (const group of byValue.values()) {
    const mixed = shuffled(group, random);
    const held = group.length < 2 ? 0 : Math.max(1, Math.round(group.length * fraction));
    holdout.push(...mixed.slice(0, held));
    train.push(...mixed.slice(held));
  }
  return { train: shuffled(train, random), holdout: shuffled(holdout, random) };
}

interface Scored {
  evidence: Evidence;
  truth: string;
}

function configWith(
  weights: EnsembleWeights,
  calibration: Calibration,
  memoryPrecision: number,
): EnsembleConfig {
  return {
    weights,
    calibration,
    memory_precision: memoryPrecision,
    knn_k: KNN_K,
    zero_shot_top: ZERO_SHOT_TOP,
    zero_shot_temperature: ZERO_SHOT_TEMPERATURE,
  };
}

/**
 * Held-out rows the prior weights are worth: fitted weights are pulled towards the prior as
 * (n · fitted + SHRINK_ROWS · prior) / (n + SHRINK_ROWS). Weights picked by a grid on ten held-out rows
 * are noise (on the learning benchmark, 50 labels of 141 categories: 0.16 accuracy against 0.36 for
 * zero-shot alone); on hundreds of rows the fit decides.
 */
const SHRINK_ROWS = 30;

/**
 * Chooses weights (most right answers; ties: more probability on the truth), shrunk towards `prior`,
 * and fits Platt on them.
 */
async function fitEnsemble(items: Scored[], prior: EnsembleWeights): Promise<EnsembleConfig> {
  const present = new Set<string>();
  for (const { evidence } of items) {
    if (evidence.knn) present.add("knn");
    if (evidence.classifier) present.add("classifier");
    if (evidence.zeroShot) present.add("zero_shot");
    if (evidence.lexical) present.add("lexical");
  }
  const mixed = items.filter((item) => !(item.evidence.memory && item.evidence.memory.length > 0));
  const memory = items.filter((item) => item.evidence.memory && item.evidence.memory.length > 0);
  const memoryRight =
    memory.filter((item) =>
      combineEvidence(item.evidence, configWith(prior, IDENTITY_CALIBRATION, 1))?.value ===
        item.truth
    ).length;
  // A prior worth ten rows at the default precision, so one lucky match does not mean "always right".
  const memoryPrecision = (memoryRight + MEMORY_PRIOR_PRECISION * 10) / (memory.length + 10);
  const best = { weights: await bestWeights(mixed, weightGrid(present), prior) };
  const n = mixed.length;
  const weights = {
    knn: (n * best.weights.knn + SHRINK_ROWS * prior.knn) / (n + SHRINK_ROWS),
    classifier: (n * best.weights.classifier + SHRINK_ROWS * prior.classifier) / (n + SHRINK_ROWS),
    zero_shot: (n * best.weights.zero_shot + SHRINK_ROWS * prior.zero_shot) / (n + SHRINK_ROWS),
    lexical: (n * (best.weights.lexical ?? 0) + SHRINK_ROWS * (prior.lexical ?? 0)) / (n + SHRINK_ROWS),
  };
  const uncalibrated = configWith(weights, IDENTITY_CALIBRATION, memoryPrecision);
  const calibration = fitPlatt(
    mixed.map((item) => {
      const answer = combineEvidence(item.evidence, uncalibrated);
      return { score: answer?.raw ?? 0, correct: answer?.value === item.truth };
    }),
  );
  return configWith(weights, calibration, memoryPrecision);
}

/** Out-of-fold answers: each half scored with the ensemble fitted on the other half. */
async function crossFitted(
  items: Scored[],
  prior: EnsembleWeights,
  random: () => number,
): Promise<{ value: string | null; confidence: number }[]> {
  const fold = shuffled(items.map((_, index) => index), random);
  const half = new Set(fold.slice(0, Math.floor(items.length / 2)));
  const answers: { value: string | null; confidence: number }[] = new Array(items.length);
  for (const inFold of [true, false]) {
    const fitted = await fitEnsemble(items.filter((_, index) => half.has(index) !== inFold), prior);
    items.forEach((item, index) => {
      if (half.has(index) !== inFold) return;
      const answer = combineEvidence(item.evidence, fitted);
      answers[index] = { value: answer?.value ?? null, confidence: answer?.confidence ?? 0 };
    });
  }
  return answers;
}

function macroF1(
  truths: string[],
  predictions: (string | null)[],
): { macro: number; f1: Map<string, number> } {
  const labels = new Set([...truths, ...predictions.filter((value): value is string => value !== null)]);
  const f1 = new Map<string, number>();
  for (const label of labels) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    truths.forEach((truth, index) => {
      const predicted = predictions[index];
      if (predicted === label && truth === label) tp++;
      else if (predicted === label) fp++;
      else if (truth === label) fn++;
    });
    f1.set(label, tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));
  }
  const values = [...f1.values()];
  return {
    macro: values.length === 0 ? 0 : values.reduce((sum, value) => sum + value, 0) / values.length,
    f1,
  };
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function vocabulary(rows: LabelledRow[]): string[] {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.value, (counts.get(row.value) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([value]) => value);
}

interface Heads {
  classifier: ClassifierModel;
  lexical: LexicalModel;
  /** Epochs each head trained (fewer than planned when its watched loss stopped falling). */
  epochs: number;
  lexicalEpochs: number;
}

/**
 * Held-out rows whose loss decides when a head stops (early_stop.ts): the first this many of the
 * (shuffled) held-out part. Scoring 2,000 rows after every epoch of the lexical channel costs about a
 * third of the epoch; 500 give the loss to within about 0.05 nats.
 */
export const WATCHED_ROWS = 500;

/**
 * Fewest watched rows that may stop a head early, i.e. from ~2,500 labels: below, a run is short anyway
 * (epochs by size keep about 800 classifier steps), and stopping on 200 held-out rows (1,000 labels of
 * bench:learning's coarse scenario, 10 categories, where the loss falls fast and flattens early) gave
 * 0.783 held-out accuracy against 0.804 for the full epochs (one run each).
 */
export const MIN_WATCHED_ROWS = 500;

/** How long heads train: epoch caps, and held-out rows whose loss may stop them sooner. */
interface HeadPlan {
  /** Default: options.epochs, else by size (epochsFor). */
  epochs?: number;
  /** Default: options.epochs capped by linearEpochsFor, else linearEpochsFor. */
  lexicalEpochs?: number;
  /** Rows not trained on; only with default epochs (options.epochs keeps a run's length fixed). */
  watch?: LabelledRow[];
}

/**
 * Trains the classifier head and the lexical channel on `rows` over `labels`, at once: with
 * `options.lexicalTrainer` on another thread the two run in parallel; here they take turns at each yield.
 */
async function trainHeads(
  tf: Tf,
  rows: LabelledRow[],
  labels: string[],
  options: TrainingOptions,
  plan: HeadPlan = {},
  onEpoch?: (epoch: number, epochs: number, loss: number) => Promise<void>,
  onLexicalEpoch?: (epoch: number, epochs: number) => Promise<void>,
): Promise<Heads> {
  const index = new Map(labels.map((label, at) => [label, at]));
  const watched = options.epochs === undefined
    ? (plan.watch ?? []).slice(0, WATCHED_ROWS).filter((row) => index.has(row.value))
    : [];
  const watch = watched.length >= MIN_WATCHED_ROWS ? watched : [];
  let epochs = 0;
  let lexicalEpochs = 0;
  const lexicalRun = (options.lexicalTrainer ?? trainLexical)(rows, rows.map((row) => row.value), labels, {
    epochs: plan.lexicalEpochs ??
      (options.epochs === undefined ? undefined : Math.min(options.epochs, linearEpochsFor(rows.length))),
    seed: options.seed,
    onEpoch: async (epoch, of) => {
      lexicalEpochs = epoch;
      await onLexicalEpoch?.(epoch, of);
    },
    watch: watch.length > 0 ? { rows: watch, values: watch.map((row) => row.value) } : undefined,
  });
  const classifierRun = trainClassifier(tf, {
    vectors: rows.map((row) => row.vector),
    classes: rows.map((row) => index.get(row.value)!),
    classCount: labels.length,
    dimensions: rows[0].vector.length,
  }, {
    epochs: plan.epochs ?? options.epochs,
    onEpoch: async (epoch, of, loss) => {
      epochs = epoch;
      await onEpoch?.(epoch, of, loss);
    },
    watch: watch.length > 0
      ? { vectors: watch.map((row) => row.vector), classes: watch.map((row) => index.get(row.value)!) }
      : undefined,
  });
  const [classifier, lexical] = await Promise.allSettled([classifierRun, lexicalRun]);
  if (classifier.status === "rejected") throw classifier.reason;
  if (lexical.status === "rejected") {
    classifier.value.dispose();
    throw lexical.reason;
  }
  return { classifier: classifier.value, lexical: lexical.value, epochs, lexicalEpochs };
}

/** Label names zero-shot may answer with, given the training rows: theirs plus the taxonomy's. */
function namesFor(train: LabelledRow[], options: TrainingOptions): LabelName[] {
  const known = new Set(train.map((row) => row.value));
  return (options.labelNames ?? []).filter((name) => name.taxonomy || known.has(name.value));
}

/** Held-out accuracy (out of fold) of an ensemble trained on `train` alone: one learning-curve point. */
async function curvePoint(
  tf: Tf,
  train: LabelledRow[],
  holdout: LabelledRow[],
  options: TrainingOptions,
  random: () => number,
): Promise<number> {
  const labels = vocabulary(train);
  const heads = await trainHeads(tf, train, labels, options, { watch: holdout });
  try {
    const names = namesFor(train, options);
    const evidence = await gatherEvidenceInSlices(tf, holdout, {
      rows: train,
      labelNames: names,
      classifier: { model: heads.classifier, labels },
      lexical: heads.lexical,
    });
    const items = holdout.map((row, index) => ({ evidence: evidence[index], truth: row.value }));
    const answers = await crossFitted(items, priorWeights(train.length, names.length, true, true), random);
    return answers.filter((answer, index) => answer.value === items[index].truth).length /
      Math.max(1, items.length);
  } finally {
    heads.classifier.dispose();
  }
}

/** Trains, fits and measures a version on `rows` (seed labels and the latest human decisions). */
export async function trainEnsemble(
  tf: Tf,
  rows: LabelledRow[],
  options: TrainingOptions = {},
): Promise<TrainedEnsemble> {
  const started = Date.now();
  const values = new Set(rows.map((row) => row.value));
  if (rows.length < MIN_TRAINING_ROWS || values.size < 2) {
    throw new TrainingError(
      `Cannot train: need at least ${MIN_TRAINING_ROWS} labelled rows in 2 or more values, have ${rows.length} in ${values.size}`,
    );
  }
  const random = seededRandom(options.seed ?? 1);
  const { train, holdout } = stratifiedSplit(rows, options.holdoutFraction ?? 0.2, random);
  const labels = vocabulary(train);
  const curveFractions = options.learningCurve === false
    ? []
    : [1 / 8, 1 / 4, 1 / 2].filter((fraction) => Math.floor(train.length * fraction) >= MIN_TRAINING_ROWS);
  const deferred = options.learningCurve === "deferred";
  const fractions = deferred ? [] : curveFractions;
  const epochs = options.epochs ?? epochsFor(train.length);
  const lexicalEpochs = options.epochs === undefined
    ? linearEpochsFor(train.length)
    : Math.min(options.epochs, linearEpochsFor(train.length));
  const total = epochs + lexicalEpochs + fractions.length + 2;
  const progress = options.onProgress ?? (() => Promise.resolve());
  await progress(0, total, `Training on ${train.length} labels, holding out ${holdout.length}`);

  // The heads train at once, so progress counts the epochs both have finished.
  let classifierDone = 0;
  let lexicalDone = 0;
  const trainedHeads = await trainHeads(
    tf,
    train,
    labels,
    options,
    { watch: holdout },
    (epoch, of, loss) => {
      classifierDone = epoch;
      return progress(
        classifierDone + lexicalDone,
        total,
        `Training: epoch ${epoch} of ${of}, loss ${loss.toFixed(3)}`,
      );
    },
    (epoch, of) => {
      lexicalDone = epoch;
      return progress(
        classifierDone + lexicalDone,
        total,
        `Training the lexical channel: epoch ${epoch} of ${of}`,
      );
    },
  );
  const { classifier, lexical } = trainedHeads;
  try {
    const trained = epochs + lexicalEpochs;
    await progress(trained, total, `Evaluating on ${holdout.length} held-out labels`);
    const names = namesFor(train, options);
    const evidence = await gatherEvidenceInSlices(tf, holdout, {
      rows: train,
      labelNames: names,
      classifier: { model: classifier, labels },
      lexical,
    });
    const items = holdout.map((row, index) => ({ evidence: evidence[index], truth: row.value }));
    const prior = priorWeights(train.length, names.length, true, true);
    const answers = await crossFitted(items, prior, random);
    const ensemble = await fitEnsemble(items, prior);
    const truths = items.map((item) => item.truth);
    const predicted = answers.map((answer) => answer.value);
    const right = predicted.map((value, index) => value === truths[index]);
    const accuracy = right.filter(Boolean).length / Math.max(1, items.length);
    const { macro, f1 } = macroF1(truths, predicted);

    const alone = (pick: (evidence: Evidence) => Map<string, number> | undefined) => {
      if (!items.some((item) => pick(item.evidence))) return null;
      const hits = items.filter((item) => {
        const scores = pick(item.evidence);
        if (!scores) return false;
        // The first of a sort by score, then value: one pass instead of sorting every distribution.
        let best: [string, number] | undefined;
        for (const entry of scores) {
          if (!best || entry[1] > best[1] || (entry[1] === best[1] && entry[0] < best[0])) best = entry;
        }
        return best?.[0] === item.truth;
      }).length;
      return round(hits / Math.max(1, items.length));
    };
    const memoryItems = items.filter((item) => item.evidence.memory && item.evidence.memory.length > 0);
    const memoryRight = memoryItems.filter((item) =>
      answers[items.indexOf(item)].value === item.truth
    ).length;

    const drawCurve = async (
      of: number[],
      onStep: (step: number, labels: number) => Promise<void>,
    ): Promise<LearningCurvePoint[]> => {
      const curve: LearningCurvePoint[] = [];
      for (const [step, fraction] of of.entries()) {
        const subset = train.slice(0, Math.floor(train.length * fraction));
        await onStep(step, subset.length);
        if (new Set(subset.map((row) => row.value)).size < 2) continue;
        curve.push({
          labels: subset.length,
          accuracy: round(await curvePoint(tf, subset, holdout, options, random)),
        });
      }
      curve.push({ labels: train.length, accuracy: round(accuracy) });
      return curve;
    };
    const curve = await drawCurve(
      fractions,
      (step, labels) => progress(trained + 1 + step, total, `Learning curve: training on ${labels} labels`),
    );
    const drawLearningCurve = deferred && curveFractions.length > 0
      ? (onProgress: TrainingOptions["onProgress"] = () => Promise.resolve()) =>
        drawCurve(
          curveFractions,
          (step, labels) =>
            onProgress(step, curveFractions.length, `Learning curve: training on ${labels} labels`),
        )
      : undefined;

    const trainCounts = new Map<string, number>();
    for (const row of train) trainCounts.set(row.value, (trainCounts.get(row.value) ?? 0) + 1);
    const holdoutCounts = new Map<string, number>();
    for (const truth of truths) holdoutCounts.set(truth, (holdoutCounts.get(truth) ?? 0) + 1);
    const majority = labels[0] ?? null;
    const bins = reliabilityBins(
      answers.map((answer, index) => ({ confidence: answer.confidence, correct: right[index] })),
    );

    const metrics: ModelMetrics = {
      accuracy: round(accuracy),
      macro_f1: round(macro),
      majority_baseline: round(
        truths.filter((truth) => truth === majority).length / Math.max(1, truths.length),
      ),
      majority_label: majority,
      components: {
        knn: alone((e) => e.knn?.shares),
        classifier: alone((e) => e.classifier),
        zero_shot: alone((e) => e.zeroShot),
        lexical: alone((e) => e.lexical),
      },
      memory: {
        matches: memoryItems.length,
        correct: memoryRight,
        precision: round(ensemble.memory_precision),
      },
      train_size: train.length,
      holdout_size: holdout.length,
      label_count: labels.length,
      per_label: [...new Set([...labels, ...holdoutCounts.keys()])].map((label) => ({
        label,
        train: trainCounts.get(label) ?? 0,
        holdout: holdoutCounts.get(label) ?? 0,
        correct: truths.filter((truth, index) => truth === label && right[index]).length,
        f1: f1.has(label) ? round(f1.get(label)!) : null,
      })),
      calibration: {
        method: ensemble.calibration.method,
        ece: expectedCalibrationError(bins) === null ? null : round(expectedCalibrationError(bins)!),
        bins: bins.map((bin) => ({
          ...bin,
          confidence: bin.confidence === null ? null : round(bin.confidence),
          accuracy: bin.accuracy === null ? null : round(bin.accuracy),
        })),
      },
      heldout_scores: answers.map((answer, index) => [round(answer.confidence), right[index] ? 1 : 0]),
      learning_curve: curve,
      weights: ensemble.weights,
      epochs: trainedHeads.epochs,
      training_ms: Date.now() - started,
      backend: tf.getBackend(),
    };
    await progress(total - 1, total, `Held-out accuracy ${(accuracy * 100).toFixed(1)}%`);
    if (rows.length >= REFIT_BELOW || options.refit === false) {
      return { classifier, lexical, labels, ensemble, metrics, split: { train, holdout }, drawLearningCurve };
    }
    // Refit: the heads served are trained on every label, the weights and calibration stay those fitted
    // out of fold (scikit-learn's CalibratedClassifierCV with ensemble=False does the same).
    await progress(total - 1, total, `Training on all ${rows.length} labels`);
    const all = vocabulary(rows);
    // As many epochs as the held-out loss allowed above (fewer, if any, for the fifth more rows).
    const refitted = await trainHeads(tf, rows, all, options, {
      epochs: Math.min(trainedHeads.epochs, options.epochs ?? epochsFor(rows.length)),
      lexicalEpochs: Math.min(
        trainedHeads.lexicalEpochs,
        options.epochs === undefined
          ? linearEpochsFor(rows.length)
          : Math.min(options.epochs, linearEpochsFor(rows.length)),
      ),
    });
    classifier.dispose();
    return {
      classifier: refitted.classifier,
      lexical: refitted.lexical,
      labels: all,
      ensemble,
      metrics,
      split: { train, holdout },
      drawLearningCurve,
    };
  } catch (error) {
    classifier.dispose();
    throw error;
  }
}
