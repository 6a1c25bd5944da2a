/**
 * The ensemble that turns a product's evidence into one suggestion: the exact-match memory first (a text
 * a person already normalised gets that value), else a weighted mixture of the kNN vote, the classifier
 * head, zero-shot similarity to label names and the lexical channel (lexical.ts). Pure functions: the worker (evidence from SQL), the
 * retrain job's evaluation and the learning benchmark (evidence from memory) all combine through here,
 * so what is measured is what is served.
 */
import type { EnsembleConfig, EnsembleWeights, SuggestionSource } from "../../contract/schemas.ts";
import { calibrate, IDENTITY_CALIBRATION } from "./calibration.ts";

/** A labelled neighbour, or a label name, with its cosine similarity to the product. */
export interface Neighbour {
  value: string;
  similarity: number;
}

/** Labelled rows whose text equals the product's (by its text key: core/text_key.ts), grouped by value. */
export interface MemoryMatch {
  value: string;
  count: number;
  /** Whether a person decided it (feedback) rather than the file (seed label). */
  human: boolean;
}

/** The kNN vote: each value's share of the similarity-weighted vote and its closest voter. */
export interface KnnVote {
  shares: Map<string, number>;
  best: Map<string, number>;
}

/** The evidence about one product; a missing part has nothing to say. */
export interface Evidence {
  memory?: MemoryMatch[];
  knn?: KnnVote;
  classifier?: Map<string, number>;
  zeroShot?: Map<string, number>;
  /** The lexical channel's softmax output (TF-IDF n-grams + embedding). */
  lexical?: Map<string, number>;
}

/** The ensemble's answer for one product. */
export interface ScoredSuggestion {
  value: string;
  /** Calibrated probability of being right (the raw score when no version is active). */
  confidence: number;
  raw: number;
  margin: number;
  source: SuggestionSource;
}

/** How many labelled neighbours vote. */
export const KNN_K = 10;
/** Zero-shot compares a product with its this-many most similar label names. */
export const ZERO_SHOT_TOP = 20;
/** Softmax temperature over cosine similarities: MiniLM's title-to-label cosines differ by a few 0.01s. */
export const ZERO_SHOT_TEMPERATURE = 0.05;
/** Before any version measured it: how often a text a person already normalised keeps its value. */
export const MEMORY_PRIOR_PRECISION = 0.95;

/**
 * Prior weights: zero-shot counts as much as one labelled row per label name, so its weight is
 * names / (names + labels) — with 141 category names it still carries 0.74 of the vote at 50 labels (most
 * names have no labelled row yet) and 0.12 at 1,000; with 16 names, 0.29 at 40 labels. The rest is split
 * evenly between the kNN vote and, once trained, the classifier head and the lexical channel.
 */
export function priorWeights(
  labelCount: number,
  nameCount: number,
  classifier: boolean,
  lexical = false,
): EnsembleWeights {
  const zeroShot = nameCount > 0 ? nameCount / (nameCount + Math.max(0, labelCount)) : 0;
  const rest = 1 - zeroShot;
  if (classifier && lexical) {
    return { knn: rest / 3, classifier: rest / 3, zero_shot: zeroShot, lexical: rest / 3 };
  }
  if (lexical) return { knn: rest / 2, classifier: 0, zero_shot: zeroShot, lexical: rest / 2 };
  return classifier
    ? { knn: rest / 2, classifier: rest / 2, zero_shot: zeroShot }
    : { knn: rest, classifier: 0, zero_shot: zeroShot };
}

/**
 * The settings before any version is active: the prior weights, and scores left uncalibrated — with only
 * kNN they equal the vote share × the closest voter's similarity, the seed's definition.
 */
export function defaultEnsembleConfig(labelCount: number, nameCount = 0): EnsembleConfig {
  return {
    weights: priorWeights(labelCount, nameCount, false),
    calibration: IDENTITY_CALIBRATION,
    memory_precision: MEMORY_PRIOR_PRECISION,
    knn_k: KNN_K,
    zero_shot_top: ZERO_SHOT_TOP,
    zero_shot_temperature: ZERO_SHOT_TEMPERATURE,
  };
}

/** Tallies the similarity-weighted vote of `neighbours`; undefined when there are none. */
export function knnVote(neighbours: Neighbour[]): KnnVote | undefined {
  if (neighbours.length === 0) return undefined;
  const weights = new Map<string, number>();
  const best = new Map<string, number>();
  for (const { value, similarity } of neighbours) {
    weights.set(value, (weights.get(value) ?? 0) + Math.max(similarity, 0));
    best.set(value, Math.max(best.get(value) ?? -1, similarity));
  }
  const total = [...weights.values()].reduce((sum, weight) => sum + weight, 0);
  const shares = new Map([...weights].map(([value, weight]) => [value, total > 0 ? weight / total : 0]));
  return { shares, best };
}

/** Softmax of label-name similarities at `temperature`; undefined when there are none. */
export function zeroShotScores(names: Neighbour[], temperature: number): Map<string, number> | undefined {
  if (names.length === 0) return undefined;
  const top = Math.max(...names.map((name) => name.similarity));
  const exps = names.map((name) => Math.exp((name.similarity - top) / temperature));
  const sum = exps.reduce((total, value) => total + value, 0);
  return new Map(names.map((name, index) => [name.value, exps[index] / sum]));
}

/** The classifier's softmax output as value → probability. */
export function classifierScores(probabilities: ArrayLike<number>, labels: string[]): Map<string, number> {
  return new Map(labels.map((label, index) => [label, probabilities[index]]));
}

function fromMemory(matches: MemoryMatch[], config: EnsembleConfig): ScoredSuggestion {
  const total = matches.reduce((sum, match) => sum + match.count, 0);
  // A person's decision outranks a seed label of the same text; then the most frequent value.
  const ranked = [...matches].sort((x, y) =>
    Number(y.human) - Number(x.human) || y.count - x.count || (x.value < y.value ? -1 : 1)
  );
  const share = ranked[0].count / total;
  const second = ranked.length > 1 ? ranked[1].count / total : 0;
  return {
    value: ranked[0].value,
    confidence: config.memory_precision * share,
    raw: share,
    margin: Math.max(0, share - second),
    source: "memory",
  };
}

type Part = { source: Exclude<SuggestionSource, "memory">; weight: number; scores: Map<string, number> };

/**
 * Combines `evidence` under `config`; null when nothing has anything to say. Values are ranked by the
 * weighted mixture of the parts' distributions (the kNN part's: its squared vote shares); the raw
 * score of the winner counts the kNN part as share × closest similarity, so a unanimous vote of distant
 * neighbours stays unsure. The source is the part that contributed most to the winner.
 */
export function combineEvidence(evidence: Evidence, config: EnsembleConfig): ScoredSuggestion | null {
  if (evidence.memory && evidence.memory.length > 0) return fromMemory(evidence.memory, config);
  const parts: Part[] = [];
  if (evidence.knn) {
    parts.push({ source: "knn", weight: config.weights.knn, scores: squared(evidence.knn.shares) });
  }
  if (evidence.classifier) {
    parts.push({ source: "classifier", weight: config.weights.classifier, scores: evidence.classifier });
  }
  if (evidence.zeroShot) {
    parts.push({ source: "zero_shot", weight: config.weights.zero_shot, scores: evidence.zeroShot });
  }
  if (evidence.lexical) {
    parts.push({ source: "lexical", weight: config.weights.lexical ?? 0, scores: evidence.lexical });
  }
  if (parts.length === 0) return null;
  let total = parts.reduce((sum, part) => sum + part.weight, 0);
  // Weights fitted when a part was absent can all be zero for the parts present now: count them equally.
  if (total <= 0) {
    for (const part of parts) part.weight = 1;
    total = parts.length;
  }
  const mixture = new Map<string, number>();
  for (const part of parts) {
    for (const [value, score] of part.scores) {
      mixture.set(value, (mixture.get(value) ?? 0) + (part.weight / total) * score);
    }
  }
  const best = evidence.knn?.best;
  // The first two in the order: score, then closest kNN voter, then value. One pass: sorting every
  // value (707 at 10,000 labels of tableB) per row was most of a fit's time on thousands of rows.
  const before = ([x, sx]: [string, number], [y, sy]: [string, number]) =>
    sy - sx || (best?.get(y) ?? -1) - (best?.get(x) ?? -1) || (x < y ? -1 : 1);
  let first: [string, number] | undefined;
  let second: [string, number] | undefined;
  for (const entry of mixture) {
    if (!first || before(entry, first) < 0) {
      second = first;
      first = entry;
    } else if (!second || before(entry, second) < 0) second = entry;
  }
  const [value, top] = first!;
  let raw = 0;
  let source: Part["source"] = parts[0].source;
  let largest = -1;
  for (const part of parts) {
    const contribution = (part.weight / total) * (part.scores.get(value) ?? 0);
    // The kNN part's confidence is its plain vote share × the closest voter's similarity (the seed's).
    const confidence = part.source === "knn"
      ? (evidence.knn!.shares.get(value) ?? 0) * Math.max(best?.get(value) ?? 0, 0)
      : part.scores.get(value) ?? 0;
    raw += (part.weight / total) * confidence;
    if (contribution > largest) {
      largest = contribution;
      source = part.source;
    }
  }
  raw = Math.min(1, Math.max(0, raw));
  return {
    value,
    confidence: calibrate(config.calibration, raw),
    raw,
    margin: Math.max(0, top - (second?.[1] ?? 0)),
    source,
  };
}

/**
 * The kNN part's distribution in the mixture: vote shares squared and renormalised. With ten voters and
 * few labels the plain share of even a near-duplicate is small (one camera among ten labelled rows of
 * other categories: 0.3), so zero-shot's prior would outvote a decision a person just made; squaring
 * keeps the ranking of kNN alone (its suggestion and confidence are unchanged) but lets a clear kNN winner
 * count. On the learning benchmark it changed held-out accuracy by less than the run-to-run noise.
 */
export function squared(shares: Map<string, number>): Map<string, number> {
  const sum = [...shares.values()].reduce((total, share) => total + share * share, 0);
  return new Map([...shares].map(([value, share]) => [value, sum > 0 ? (share * share) / sum : 0]));
}
