/**
 * Multinomial logistic regression (softmax) over sparse features and, optionally, a dense vector next to
 * them — the lexical channel's head: hashed TF-IDF n-grams (text_features.ts), concatenated with the
 * frozen sentence embedding when `denseDimensions` > 0. Plain TypeScript: a title touches only its own
 * ~150 slots, so sparse SGD is far cheaper than a dense tfjs layer over 2^18 inputs.
 *
 * Training: per-row SGD on the cross-entropy with L2 weight decay applied lazily to the weights a row
 * touches, learning rate rate / (1 + 0.1 · epoch) over shuffled rows — the setup of the TF-IDF baseline
 * the learning benchmark's baselines use (bench/tfidf_baseline.ts), with class gradients below 1e-4 skipped
 * (classes a row already rules out contribute almost nothing).
 */
import type { SparseVector } from "./text_features.ts";
import { yieldEvery } from "../runtime/yield_to_event_loop.ts";
import { stopsAfter } from "./early_stop.ts";

/** A trained head; `slots` maps a hash slot to its weight row (slots unseen in training carry no weight). */
export interface LinearHead {
  classCount: number;
  denseDimensions: number;
  /** Hash slot → row of `sparseWeights` (row-major, classCount per row). */
  slots: Map<number, number>;
  sparseWeights: Float32Array;
  /** denseDimensions × classCount, row-major. */
  denseWeights: Float32Array;
  bias: Float32Array;
}

/** Options of {@link trainLinearHead}. */
export interface LinearHeadOptions {
  epochs?: number;
  /** Initial learning rate. */
  rate?: number;
  /** L2 penalty per update. */
  l2?: number;
  /** Scale of the dense part relative to the unit-norm sparse part. */
  denseScale?: number;
  seed?: number;
  /** Which sparse slots get weights (default all seen); the others still count in a row's norm. */
  keepSlot?: (slot: number) => boolean;
  /** Called after each epoch; a rejection stops training. */
  onEpoch?: (epoch: number, epochs: number) => Promise<void>;
  /**
   * Rows not trained on, with their class indices: training stops after the first epoch that lowers
   * their mean cross-entropy by less than MIN_LOSS_FALL (early_stop.ts, the classifier head's rule too).
   */
  watch?: { rows: LinearRow[]; classes: number[] };
}

/** One training (or scoring) row: sparse slots and, when the head has a dense part, a dense vector. */
export interface LinearRow {
  sparse: SparseVector;
  dense?: ArrayLike<number>;
}

/**
 * Epochs for `rows` training rows: about 15,000 row-updates, between 5 and 30 epochs (bench:learning's
 * fine scenario, 1,000 labels: 15 epochs 0.533 held-out accuracy, 30 epochs 0.531).
 */
export function linearEpochsFor(rows: number): number {
  return Math.min(30, Math.max(5, Math.round(15_000 / Math.max(rows, 1))));
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Trains on `rows` with class indices `classes` (0 … classCount − 1). */
export async function trainLinearHead(
  rows: LinearRow[],
  classes: number[],
  classCount: number,
  denseDimensions: number,
  options: LinearHeadOptions = {},
): Promise<LinearHead> {
  const slots = new Map<number, number>();
  const keep = options.keepSlot ?? (() => true);
  for (const row of rows) {
    for (const slot of row.sparse.indices) if (!slots.has(slot) && keep(slot)) slots.set(slot, slots.size);
  }
  const head: LinearHead = {
    classCount,
    denseDimensions,
    slots,
    sparseWeights: new Float32Array(slots.size * classCount),
    denseWeights: new Float32Array(denseDimensions * classCount),
    bias: new Float32Array(classCount),
  };
  const epochs = options.epochs ?? linearEpochsFor(rows.length);
  const rate0 = options.rate ?? 0.5;
  const l2 = options.l2 ?? 1e-5;
  const denseScale = options.denseScale ?? 1;
  const random = mulberry32(options.seed ?? 1);
  const order = rows.map((_, index) => index);
  const mapped = rows.map((row) => Int32Array.from(row.sparse.indices, (slot) => slots.get(slot) ?? -1));
  const probabilities = new Float64Array(classCount);
  const active = new Int32Array(classCount);
  const steps = new Float64Array(classCount);
  const breathe = yieldEvery();
  const watch = options.watch;
  let best = Infinity;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const rate = rate0 / (1 + 0.1 * epoch);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const at of order) {
      const row = rows[at];
      logits(head, mapped[at], row.sparse.values, row.dense, denseScale, probabilities);
      softmaxInPlace(probabilities);
      const truth = classes[at];
      const features = mapped[at];
      const values = row.sparse.values;
      const dense = row.dense;
      // Classes whose gradient matters, then weight rows outer and classes inner: contiguous memory.
      let count = 0;
      for (let c = 0; c < classCount; c++) {
        const gradient = probabilities[c] - (c === truth ? 1 : 0);
        if (gradient > -1e-4 && gradient < 1e-4) continue;
        active[count] = c;
        steps[count++] = rate * gradient;
        head.bias[c] -= rate * gradient;
      }
      const decay = rate * l2;
      const sparseWeights = head.sparseWeights;
      for (let k = 0; k < features.length; k++) {
        if (features[k] < 0) continue;
        const base = features[k] * classCount;
        const value = values[k];
        for (let a = 0; a < count; a++) {
          const w = base + active[a];
          sparseWeights[w] -= steps[a] * value + decay * sparseWeights[w];
        }
      }
      if (dense && denseDimensions > 0) {
        const denseWeights = head.denseWeights;
        for (let d = 0; d < denseDimensions; d++) {
          const base = d * classCount;
          const value = dense[d] * denseScale;
          for (let a = 0; a < count; a++) {
            const w = base + active[a];
            denseWeights[w] -= steps[a] * value + decay * denseWeights[w];
          }
        }
      }
      await breathe();
    }
    await options.onEpoch?.(epoch + 1, epochs);
    if (watch && watch.rows.length > 0) {
      const loss = await watchedLoss(head, watch, denseScale, probabilities, breathe);
      if (stopsAfter(loss, best)) break;
      best = Math.min(best, loss);
    }
  }
  // The dense scale is folded into the weights, so scoring needs no option.
  if (denseScale !== 1) {
    for (let w = 0; w < head.denseWeights.length; w++) head.denseWeights[w] *= denseScale;
  }
  return head;
}

/**
 * Sets every sparse weight smaller than `below` in magnitude to 0 and returns how many are left. Most of
 * a head's slot × class weights only ever got the first epoch's near-uniform updates (a class with
 * probability ~1/classes, times a TF-IDF value ~0.1, times the rate): a row's logits move by at most
 * `below` × the sum of its ~100 feature values (≤ 10 for a unit vector) when they are dropped.
 */
export function pruneSparseWeights(head: LinearHead, below: number): number {
  const weights = head.sparseWeights;
  let left = 0;
  for (let w = 0; w < weights.length; w++) {
    if (weights[w] > -below && weights[w] < below) weights[w] = 0;
    else left++;
  }
  return left;
}

/**
 * Mean cross-entropy of the watched rows under the head as trained so far (dense scale not folded in),
 * calling `breathe` between rows as training does.
 */
async function watchedLoss(
  head: LinearHead,
  watch: { rows: LinearRow[]; classes: number[] },
  denseScale: number,
  z: Float64Array,
  breathe: () => Promise<void>,
): Promise<number> {
  let sum = 0;
  for (const [at, row] of watch.rows.entries()) {
    const features = Int32Array.from(row.sparse.indices, (slot) => head.slots.get(slot) ?? -1);
    logits(head, features, row.sparse.values, row.dense, denseScale, z);
    softmaxInPlace(z);
    sum -= Math.log(Math.max(z[watch.classes[at]], 1e-7));
    await breathe();
  }
  return sum / watch.rows.length;
}

function logits(
  head: LinearHead,
  features: Int32Array,
  values: Float32Array,
  dense: ArrayLike<number> | undefined,
  denseScale: number,
  out: Float64Array,
): void {
  const classes = head.classCount;
  // Arrays in locals: the inner loops run ~400 × classes times per row.
  const sparseWeights = head.sparseWeights;
  const denseWeights = head.denseWeights;
  for (let c = 0; c < classes; c++) out[c] = head.bias[c];
  for (let k = 0; k < features.length; k++) {
    if (features[k] < 0) continue;
    const row = features[k] * classes;
    const value = values[k];
    for (let c = 0; c < classes; c++) out[c] += sparseWeights[row + c] * value;
  }
  if (dense && head.denseDimensions > 0) {
    for (let d = 0; d < head.denseDimensions; d++) {
      const value = dense[d] * denseScale;
      if (value === 0) continue;
      const row = d * classes;
      for (let c = 0; c < classes; c++) out[c] += denseWeights[row + c] * value;
    }
  }
}

function softmaxInPlace(z: Float64Array): void {
  let top = -Infinity;
  for (let c = 0; c < z.length; c++) if (z[c] > top) top = z[c];
  let sum = 0;
  for (let c = 0; c < z.length; c++) sum += z[c] = Math.exp(z[c] - top);
  for (let c = 0; c < z.length; c++) z[c] /= sum;
}

/** Class probabilities for each row (softmax of the logits), one Float32Array of classCount per row. */
export function predictLinear(head: LinearHead, rows: LinearRow[]): Float32Array[] {
  const z = new Float64Array(head.classCount);
  return rows.map((row) => {
    const features = Int32Array.from(row.sparse.indices, (slot) => head.slots.get(slot) ?? -1);
    logits(head, features, row.sparse.values, row.dense, 1, z);
    softmaxInPlace(z);
    return Float32Array.from(z);
  });
}
