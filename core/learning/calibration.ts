/**
 * Confidence that means something: Platt scaling of the ensemble's raw score, fitted on held-out labels,
 * and the measurements that show it (reliability bins, expected calibration error, precision at a
 * threshold).
 *
 * Platt (two parameters) rather than isotonic regression: a retrain often has only a few dozen held-out
 * rows, on which isotonic's free-form step function overfits (a step of three rows that were all right
 * becomes "100 %"); two parameters with a weak prior towards "no change" stay smooth and monotone.
 */
import type { Calibration, ReliabilityBin } from "../../contract/schemas.ts";

/** A held-out observation: the raw score of the answer and whether it was right. */
export interface ScoredAnswer {
  score: number;
  correct: boolean;
}

const EPSILON = 1e-4;

function logit(p: number): number {
  const clipped = Math.min(1 - EPSILON, Math.max(EPSILON, p));
  return Math.log(clipped / (1 - clipped));
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Leaves scores as they are: before any model is trained, or with too few held-out rows. */
export const IDENTITY_CALIBRATION: Calibration = { method: "none", a: 1, b: 0 };

/** Fewer held-out rows than this and the fit is not trusted: the identity is kept. */
export const MIN_CALIBRATION_ROWS = 10;

/** Applies `calibration` to a raw score in [0, 1]. */
export function calibrate(calibration: Calibration, score: number): number {
  if (calibration.method === "none") return Math.min(1, Math.max(0, score));
  return sigmoid(calibration.a * logit(score) + calibration.b);
}

/**
 * Fits sigmoid(a · logit(score) + b) to the answers by Newton's method on the log loss, with a Gaussian
 * prior of weight `prior` pulling (a, b) towards (1, 0), which keeps a perfectly separable or one-sided
 * held-out set (all right, all wrong) finite.
 */
export function fitPlatt(answers: ScoredAnswer[], options: { prior?: number } = {}): Calibration {
  if (answers.length < MIN_CALIBRATION_ROWS) return IDENTITY_CALIBRATION;
  const prior = options.prior ?? 1;
  let a = 1;
  let b = 0;
  const xs = answers.map((answer) => logit(answer.score));
  for (let iteration = 0; iteration < 100; iteration++) {
    // Gradient and Hessian of (log loss + prior/2 · ((a−1)² + b²)).
    let ga = prior * (a - 1);
    let gb = prior * b;
    let haa = prior;
    let hab = 0;
    let hbb = prior;
    answers.forEach((answer, index) => {
      const x = xs[index];
      const p = sigmoid(a * x + b);
      const error = p - (answer.correct ? 1 : 0);
      const weight = Math.max(p * (1 - p), 1e-12);
      ga += error * x;
      gb += error;
      haa += weight * x * x;
      hab += weight * x;
      hbb += weight;
    });
    const determinant = haa * hbb - hab * hab;
    if (!(Math.abs(determinant) > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / determinant;
    const db = (haa * gb - hab * ga) / determinant;
    a -= da;
    b -= db;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  if (!Number.isFinite(a) || !Number.isFinite(b)) return IDENTITY_CALIBRATION;
  return { method: "platt", a, b };
}

/** Splits [0, 1] into `bins` equal bins and reports count, mean confidence and accuracy of each. */
export function reliabilityBins(
  answers: { confidence: number; correct: boolean }[],
  bins = 10,
): ReliabilityBin[] {
  const table = Array.from({ length: bins }, (_, index) => ({
    lower: index / bins,
    upper: (index + 1) / bins,
    count: 0,
    sumConfidence: 0,
    correct: 0,
  }));
  for (const answer of answers) {
    const index = Math.min(bins - 1, Math.max(0, Math.floor(answer.confidence * bins)));
    table[index].count++;
    table[index].sumConfidence += answer.confidence;
    if (answer.correct) table[index].correct++;
  }
  return table.map((bin) => ({
    lower: bin.lower,
    upper: bin.upper,
    count: bin.count,
    confidence: bin.count > 0 ? bin.sumConfidence / bin.count : null,
    accuracy: bin.count > 0 ? bin.correct / bin.count : null,
  }));
}

/** Expected calibration error of `bins`; null when they are all empty. */
export function expectedCalibrationError(bins: ReliabilityBin[]): number | null {
  const total = bins.reduce((sum, bin) => sum + bin.count, 0);
  if (total === 0) return null;
  return bins.reduce(
    (sum, bin) => sum + (bin.count / total) * Math.abs((bin.accuracy ?? 0) - (bin.confidence ?? 0)),
    0,
  );
}

/** Of the held-out `[confidence, correct]` pairs at or above `threshold`: how many, and the share right. */
export function precisionAt(
  scores: [number, number][],
  threshold: number,
): { count: number; precision: number | null } {
  const above = scores.filter(([confidence]) => confidence >= threshold);
  if (above.length === 0) return { count: 0, precision: null };
  return {
    count: above.length,
    precision: above.filter(([, correct]) => correct === 1).length / above.length,
  };
}
