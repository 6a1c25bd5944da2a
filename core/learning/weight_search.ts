/**
 * The ensemble's weight search: every weighting of the parts present on a 0.1 grid (286 with four
 * parts), each scored on held-out rows by how many it gets right (ties: more raw score on the right
 * answers). Calling combineEvidence for each weighting and row sorted ~140 values per part each time —
 * seconds per fit at thousands of held-out rows — so each row is first reduced to its candidates (the
 * union of every part's 10 best values, all of kNN's and zero-shot's) with their per-part scores, in the
 * order combineEvidence breaks ties (closest kNN voter, then the value), and each weighting is then a
 * few multiply-adds per candidate. The mixture, raw score and tie-breaks are combineEvidence's.
 */
import type { EnsembleWeights } from "../../contract/schemas.ts";
import { type Evidence, squared } from "./ensemble.ts";
import { yieldEvery } from "../runtime/yield_to_event_loop.ts";

/** The parts, in combineEvidence's order. */
export const PARTS = ["knn", "classifier", "zero_shot", "lexical"] as const;
type PartName = (typeof PARTS)[number];

/** Candidates kept per part with a distribution over every label. */
const TOP_PER_PART = 10;

/** Weights on a 0.1 grid over `present` parts, summing to 1; parts absent get 0. */
export function weightGrid(present: Set<string>): EnsembleWeights[] {
  const grid: EnsembleWeights[] = [];
  for (let knn = 0; knn <= 10; knn++) {
    for (let classifier = 0; classifier <= 10 - knn; classifier++) {
      for (let lexical = 0; lexical <= 10 - knn - classifier; lexical++) {
        const weights = {
          knn: knn / 10,
          classifier: classifier / 10,
          zero_shot: (10 - knn - classifier - lexical) / 10,
          lexical: lexical / 10,
        };
        if (PARTS.every((part) => present.has(part) || weights[part] === 0)) grid.push(weights);
      }
    }
  }
  return grid;
}

interface Candidates {
  /** Per part present in the row: its index in PARTS, mixture scores and raw-score terms per candidate. */
  parts: { part: number; mixture: Float64Array; raw: Float64Array }[];
  /** Index of the true value among the candidates, or -1. */
  truth: number;
  count: number;
}

/**
 * The `n` highest-scoring values, best first, ties in the map's order: what a stable sort by score and
 * the first `n` give, by one pass with insertion into the `n` kept (a full sort of a 707-label
 * distribution per part, row and fit was a second per fit at 2,000 held-out rows).
 */
export function top(scores: Map<string, number>, n: number): string[] {
  const values: string[] = [];
  const kept: number[] = [];
  for (const [value, score] of scores) {
    if (values.length === n && !(score > kept[n - 1])) continue;
    let at = values.length < n ? values.length : n - 1;
    while (at > 0 && score > kept[at - 1]) at--;
    if (values.length === n) {
      values.pop();
      kept.pop();
    }
    values.splice(at, 0, value);
    kept.splice(at, 0, score);
  }
  return values;
}

function reduce(evidence: Evidence, truth: string): Candidates {
  const sources: [number, Map<string, number> | undefined][] = [
    [0, evidence.knn ? squared(evidence.knn.shares) : undefined],
    [1, evidence.classifier],
    [2, evidence.zeroShot],
    [3, evidence.lexical],
  ];
  const values = new Set<string>();
  for (const [part, scores] of sources) {
    if (!scores) continue;
    for (const value of part === 1 || part === 3 ? top(scores, TOP_PER_PART) : scores.keys()) {
      values.add(value);
    }
  }
  const best = evidence.knn?.best;
  // combineEvidence's tie order: closer kNN voter first, then the value.
  const ordered = [...values].sort((x, y) => (best?.get(y) ?? -1) - (best?.get(x) ?? -1) || (x < y ? -1 : 1));
  const parts = sources.filter(([, scores]) => scores).map(([part, scores]) => ({
    part,
    mixture: Float64Array.from(ordered, (value) => scores!.get(value) ?? 0),
    raw: Float64Array.from(
      ordered,
      (value) =>
        part === 0
          ? (evidence.knn!.shares.get(value) ?? 0) * Math.max(best?.get(value) ?? 0, 0)
          : scores!.get(value) ?? 0,
    ),
  }));
  return { parts, truth: ordered.indexOf(truth), count: ordered.length };
}

/**
 * The weighting of `grid` with most right answers on `items` (rows without an exact-match memory);
 * `fallback` when there are no items.
 */
export async function bestWeights(
  items: { evidence: Evidence; truth: string }[],
  grid: EnsembleWeights[],
  fallback: EnsembleWeights,
): Promise<EnsembleWeights> {
  const breathe = yieldEvery();
  const reduced = items.map((item) => reduce(item.evidence, item.truth)).filter((item) =>
    item.parts.length > 0
  );
  if (reduced.length === 0) return fallback;
  let best = { weights: fallback, right: -1, soft: -1 };
  const w = new Float64Array(PARTS.length);
  const shares = new Float64Array(PARTS.length);
  for (const weights of grid) {
    await breathe();
    PARTS.forEach((part: PartName, at) => (w[at] = weights[part] ?? 0));
    let right = 0;
    let soft = 0;
    for (const item of reduced) {
      if (item.truth < 0) continue;
      const parts = item.parts;
      let total = 0;
      for (let p = 0; p < parts.length; p++) total += w[parts[p].part];
      for (let p = 0; p < parts.length; p++) {
        shares[p] = total > 0 ? w[parts[p].part] / total : 1 / parts.length;
      }
      let winner = 0;
      let top = -Infinity;
      for (let c = 0; c < item.count; c++) {
        let mixture = 0;
        for (let p = 0; p < parts.length; p++) mixture += shares[p] * parts[p].mixture[c];
        if (mixture > top) {
          top = mixture;
          winner = c;
        }
      }
      if (winner !== item.truth) continue;
      right++;
      let raw = 0;
      for (let p = 0; p < parts.length; p++) raw += shares[p] * parts[p].raw[winner];
      soft += Math.min(1, Math.max(0, raw));
    }
    if (right > best.right || (right === best.right && soft > best.soft)) best = { weights, right, soft };
  }
  return best.weights;
}
