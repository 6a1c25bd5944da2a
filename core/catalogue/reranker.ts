/**
 * The re-ranker: a linear score w · f over a candidate's pairwise features (pair_features.ts), turned into
 * a distribution over the row's candidate list by a softmax — the conditional logit model (McFadden 1974;
 * the listwise "ListNet top-one" loss of Cao et al. 2007 with a linear scorer). Listwise rather than a
 * pointwise logistic regression on (pair, match?) because what matters is the order within one row's
 * list, and because the softmax's probability of the top candidate is the suggestion's confidence: the
 * model is fitted by maximum likelihood of the decided entry among its retrieved candidates, so that
 * probability is calibrated on the kind of lists it was trained on (bench:catalogue-match reports the
 * expected calibration error on held-out rows).
 *
 * Not linear_head.ts: that head is a softmax over a fixed set of classes with sparse inputs; here the
 * "classes" are a different, variable candidate list per row sharing one small dense weight vector, and its
 * 15 weights are fitted exactly by Newton's method in milliseconds.
 *
 * Fitting pulls the weights towards a prior (Gaussian, weight `l2`): the default weights when decided
 * matches are few, so 50 decisions adjust the defaults rather than replace them.
 */
import { FEATURE_COUNT, FEATURE_NAMES } from "./pair_features.ts";

/** Weights of the linear score, one per feature of FEATURE_NAMES. */
export type RerankerWeights = Float32Array;

/**
 * Weights used before a catalogue has enough decided matches (and the prior of every fit): maximum
 * likelihood on the training side of the Walmart-Amazon benchmark (train.csv's matches, one per Walmart
 * row: 540 titles against the 22,074-entry catalogue, prior weight 0.1 towards 0), `npm run
 * bench:catalogue-match -- --fit-defaults`, rounded. Never fitted on the rows the benchmark evaluates.
 */
export const DEFAULT_WEIGHTS: RerankerWeights = Float32Array.from([
  // cosine, tfidf, cosineRank, tfidfRank, decidedCosine, decidedTfidf
  5.9,
  7,
  0.15,
  1.55,
  -3.4,
  -1.3,
  // codeMatch, codeLength, codeConflict, quantityMatch, quantityConflict, colourMatch, colourConflict
  0.3,
  1.3,
  -0.9,
  1.25,
  -1.45,
  0.8,
  -3.75,
  // numberConflict, nameCoverage
  -1,
  -0.2,
]);

/** Fewer decided matches usable for training than this and {@link DEFAULT_WEIGHTS} are kept. */
export const MIN_TRAINING_EXAMPLES = 20;

/** One row's candidate list with the position of its decided entry. */
export interface RankingExample {
  features: Float32Array[];
  positive: number;
}

/** Linear scores of the candidates. */
export function scoreCandidates(weights: RerankerWeights, features: Float32Array[]): Float64Array {
  const scores = new Float64Array(features.length);
  features.forEach((row, at) => {
    let score = 0;
    for (let f = 0; f < FEATURE_COUNT; f++) score += weights[f] * row[f];
    scores[at] = score;
  });
  return scores;
}

/** Softmax of `scores` (stable: shifted by the maximum). */
export function softmax(scores: ArrayLike<number>): Float64Array {
  let top = -Infinity;
  for (let i = 0; i < scores.length; i++) top = Math.max(top, scores[i]);
  const out = new Float64Array(scores.length);
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += out[i] = Math.exp(scores[i] - top);
  for (let i = 0; i < scores.length; i++) out[i] /= sum;
  return out;
}

/** Options of {@link trainReranker}. */
export interface RerankerOptions {
  /** The weights the fit is pulled towards (default {@link DEFAULT_WEIGHTS}). */
  prior?: RerankerWeights;
  /** Weight of the Gaussian prior, in units of one example's log-likelihood (default 1). */
  l2?: number;
}

/** Mean negative log-likelihood of the positives plus the prior term, at `weights`. */
export function rankingLoss(
  weights: RerankerWeights | Float64Array,
  examples: RankingExample[],
  prior: RerankerWeights,
  l2: number,
): number {
  let loss = 0;
  for (const example of examples) {
    const p = softmax(scoreCandidates(Float32Array.from(weights), example.features));
    loss -= Math.log(Math.max(p[example.positive], 1e-300));
  }
  for (let f = 0; f < FEATURE_COUNT; f++) loss += 0.5 * l2 * (weights[f] - prior[f]) ** 2;
  return loss;
}

/**
 * Fits the weights by Newton's method on the penalised conditional log-likelihood (gradient Σ (E_p[f] −
 * f_positive) + l2 (w − prior), Hessian Σ Cov_p[f] + l2 I), halving a step that does not lower the loss.
 * Below {@link MIN_TRAINING_EXAMPLES} examples returns the prior unchanged.
 */
export function trainReranker(examples: RankingExample[], options: RerankerOptions = {}): RerankerWeights {
  const prior = options.prior ?? DEFAULT_WEIGHTS;
  const l2 = options.l2 ?? 1;
  if (examples.length < MIN_TRAINING_EXAMPLES) return Float32Array.from(prior);
  const n = FEATURE_COUNT;
  let weights = Float64Array.from(prior);
  let loss = rankingLoss(weights, examples, prior, l2);
  for (let iteration = 0; iteration < 50; iteration++) {
    const gradient = new Float64Array(n);
    const hessian = new Float64Array(n * n);
    for (let f = 0; f < n; f++) {
      gradient[f] = l2 * (weights[f] - prior[f]);
      hessian[f * n + f] = l2;
    }
    for (const example of examples) {
      const p = softmax(scoreCandidates(Float32Array.from(weights), example.features));
      const mean = new Float64Array(n);
      example.features.forEach((row, at) => {
        for (let f = 0; f < n; f++) mean[f] += p[at] * row[f];
      });
      const positive = example.features[example.positive];
      for (let f = 0; f < n; f++) gradient[f] += mean[f] - positive[f];
      example.features.forEach((row, at) => {
        for (let f = 0; f < n; f++) {
          const df = row[f] - mean[f];
          if (df === 0) continue;
          for (let g = 0; g < n; g++) hessian[f * n + g] += p[at] * df * (row[g] - mean[g]);
        }
      });
    }
    const step = solve(hessian, gradient, n);
    let scale = 1;
    let next = weights;
    let nextLoss = loss;
    for (let halving = 0; halving < 20; halving++, scale /= 2) {
      next = weights.map((w, f) => w - scale * step[f]);
      nextLoss = rankingLoss(next, examples, prior, l2);
      if (nextLoss <= loss) break;
    }
    if (!(nextLoss <= loss)) break;
    const moved = loss - nextLoss;
    weights = next;
    loss = nextLoss;
    if (moved < 1e-7 * Math.max(1, loss)) break;
  }
  return Float32Array.from(weights);
}

/** Solves the symmetric positive definite system H x = g (Gaussian elimination with partial pivoting). */
function solve(hessian: Float64Array, gradient: Float64Array, n: number): Float64Array {
  const a = Float64Array.from(hessian);
  const b = Float64Array.from(gradient);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) {
      if (Math.abs(a[row * n + col]) > Math.abs(a[pivot * n + col])) pivot = row;
    }
    if (pivot !== col) {
      for (let k = 0; k < n; k++) [a[col * n + k], a[pivot * n + k]] = [a[pivot * n + k], a[col * n + k]];
      [b[col], b[pivot]] = [b[pivot], b[col]];
    }
    const diagonal = a[col * n + col];
    if (Math.abs(diagonal) < 1e-12) continue;
    for (let row = col + 1; row < n; row++) {
      const factor = a[row * n + col] / diagonal;
      if (factor === 0) continue;
      for (let k = col; k < n; k++) a[row * n + k] -= factor * a[col * n + k];
      b[row] -= factor * b[col];
    }
  }
  const x = new Float64Array(n);
  for (let row = n - 1; row >= 0; row--) {
    let sum = b[row];
    for (let k = row + 1; k < n; k++) sum -= a[row * n + k] * x[k];
    const diagonal = a[row * n + row];
    x[row] = Math.abs(diagonal) < 1e-12 ? 0 : sum / diagonal;
  }
  return x;
}

/** The weights as `name=value` pairs, for logs and benchmark reports. */
export function describeWeights(weights: RerankerWeights): string {
  return FEATURE_NAMES.map((name, f) => `${name}=${weights[f].toFixed(2)}`).join(" ");
}
