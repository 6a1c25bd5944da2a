/**
 * Evidence for the ensemble computed in memory (TensorFlow.js matrix products instead of pgvector), for
 * the retrain job's held-out evaluation and the learning benchmark. It follows the SQL path of
 * score_products.ts exactly: the same k, the same zero-shot top list, the same text key for the memory.
 */
import type * as tfTypes from "@tensorflow/tfjs";
import type { ClassifierModel } from "./classifier.ts";
import { predictProbabilities, toMatrix } from "./classifier.ts";
import {
  classifierScores,
  type Evidence,
  KNN_K,
  knnVote,
  type MemoryMatch,
  type Neighbour,
  ZERO_SHOT_TEMPERATURE,
  ZERO_SHOT_TOP,
  zeroShotScores,
} from "./ensemble.ts";
import { type LexicalModel, lexicalProbabilities } from "./lexical.ts";
import type { Tf } from "../runtime/tf_backend.ts";
import { textKey } from "../text_key.ts";

/** A labelled row: its text, its value and its unit-length embedding. */
export interface LabelledRow {
  text: string;
  value: string;
  vector: ArrayLike<number>;
  /** A person's decision (feedback) rather than a seed label from the file. */
  human?: boolean;
  /** The product the label is on, when it came from the database. */
  productId?: number;
}

/** A label name and the embedding of the name itself. */
export interface LabelName {
  value: string;
  vector: ArrayLike<number>;
}

/** A row to score. */
export interface Target {
  text: string;
  vector: ArrayLike<number>;
}

/** The exact-match memory's key, the one stored as products.text_key (core/text_key.ts). */
export { textKey };

const CHUNK = 256;

/**
 * For each target, the `k` most similar reference vectors (cosine = dot product of unit vectors) as
 * [index, similarity] pairs, best first.
 */
export function nearestByCosine(
  tf: Tf,
  targets: ArrayLike<number>[],
  reference: ArrayLike<number>[],
  k: number,
): [number, number][][] {
  if (targets.length === 0) return [];
  if (reference.length === 0) return targets.map(() => []);
  const referenceMatrix = uploadTransposed(tf, reference);
  try {
    return nearestInMatrix(tf, targets, referenceMatrix, k);
  } finally {
    referenceMatrix.dispose();
  }
}

/**
 * `vectors` as one [dimensions, rows] matrix: the similarities are then a plain product, which the wasm
 * backend runs through XNNPACK (a transposed operand takes its slow path or a copy per product:
 * core/runtime/wasm_matmul.ts).
 */
function uploadTransposed(tf: Tf, vectors: ArrayLike<number>[]): tfTypes.Tensor2D {
  return tf.tidy(() => toMatrix(tf, vectors, vectors[0].length).transpose());
}

/** {@link nearestByCosine} against reference vectors already uploaded as a [dimensions, rows] matrix. */
function nearestInMatrix(
  tf: Tf,
  targets: ArrayLike<number>[],
  referenceMatrix: tfTypes.Tensor2D,
  k: number,
): [number, number][][] {
  const [dimensions, rows] = referenceMatrix.shape;
  if (targets.length === 0) return [];
  if (rows === 0) return targets.map(() => []);
  const kept = Math.min(k, rows);
  const results: [number, number][][] = [];
  for (let start = 0; start < targets.length; start += CHUNK) {
    const chunk = targets.slice(start, start + CHUNK);
    const [values, indices] = tf.tidy(() => {
      const similarities = tf.matMul(toMatrix(tf, chunk, dimensions), referenceMatrix);
      const top = tf.topk(similarities, kept);
      return [top.values.dataSync() as Float32Array, top.indices.dataSync() as Int32Array];
    });
    chunk.forEach((_, row) => {
      const pairs: [number, number][] = [];
      for (let j = 0; j < kept; j++) pairs.push([indices[row * kept + j], values[row * kept + j]]);
      results.push(pairs);
    });
  }
  return results;
}

/** What the evidence is gathered against: labelled rows, label names, and optionally a trained head. */
export interface EvidenceSources {
  rows: LabelledRow[];
  labelNames: LabelName[];
  classifier?: { model: ClassifierModel; labels: string[] };
  /** The lexical channel; scores the targets' texts with their vectors. */
  lexical?: LexicalModel;
  k?: number;
  zeroShotTop?: number;
  zeroShotTemperature?: number;
}

/**
 * Sources made ready for gathering evidence many times: the labelled rows' and the label names' vectors
 * uploaded once, the exact-match memory indexed once. Holds tensors until {@link PreparedSources.dispose}.
 */
export interface PreparedSources {
  sources: EvidenceSources;
  dispose(): void;
  /** [dimensions, rows]; null when there are no rows. */
  rows: tfTypes.Tensor2D | null;
  /** [dimensions, names]; null when there are no names. */
  names: tfTypes.Tensor2D | null;
  /** Text key → value → match. */
  memory: Map<string, Map<string, MemoryMatch>>;
}

/** Uploads and indexes `sources` for {@link gatherPreparedEvidence}; the caller disposes the result. */
export function prepareSources(tf: Tf, sources: EvidenceSources): PreparedSources {
  const upload = (vectors: ArrayLike<number>[]) =>
    vectors.length === 0 ? null : uploadTransposed(tf, vectors);
  const rows = upload(sources.rows.map((row) => row.vector));
  let names: tfTypes.Tensor2D | null = null;
  try {
    names = upload(sources.labelNames.map((name) => name.vector));
  } catch (error) {
    rows?.dispose();
    throw error;
  }
  const memory = new Map<string, Map<string, MemoryMatch>>();
  for (const row of sources.rows) {
    const key = textKey(row.text);
    const byValue = memory.get(key) ?? new Map<string, MemoryMatch>();
    const match = byValue.get(row.value) ?? { value: row.value, count: 0, human: false };
    match.count++;
    match.human ||= row.human ?? false;
    byValue.set(row.value, match);
    memory.set(key, byValue);
  }
  return {
    sources,
    rows,
    names,
    memory,
    dispose() {
      rows?.dispose();
      names?.dispose();
    },
  };
}

/** Gathers the ensemble's evidence for every target. */
export function gatherEvidence(tf: Tf, targets: Target[], sources: EvidenceSources): Evidence[] {
  const prepared = prepareSources(tf, sources);
  try {
    return gatherPreparedEvidence(tf, targets, prepared);
  } finally {
    prepared.dispose();
  }
}

/** {@link gatherEvidence} against sources made ready by {@link prepareSources}. */
export function gatherPreparedEvidence(tf: Tf, targets: Target[], prepared: PreparedSources): Evidence[] {
  const { sources } = prepared;
  const vectors = targets.map((target) => target.vector);
  const nearest = (matrix: tfTypes.Tensor2D | null, k: number) =>
    matrix ? nearestInMatrix(tf, vectors, matrix, k) : targets.map(() => []);
  const neighbours = nearest(prepared.rows, sources.k ?? KNN_K);
  const names = nearest(prepared.names, sources.zeroShotTop ?? ZERO_SHOT_TOP);
  const probabilities = sources.classifier && targets.length > 0
    ? predictProbabilities(tf, sources.classifier.model, vectors)
    : undefined;
  const lexical = sources.lexical ? lexicalProbabilities(sources.lexical, targets) : undefined;
  return targets.map((target, index) => {
    const voters: Neighbour[] = neighbours[index].map(([at, similarity]) => ({
      value: sources.rows[at].value,
      similarity,
    }));
    const similarNames: Neighbour[] = names[index].map(([at, similarity]) => ({
      value: sources.labelNames[at].value,
      similarity,
    }));
    const matches = prepared.memory.get(textKey(target.text));
    return {
      memory: matches ? [...matches.values()] : undefined,
      knn: knnVote(voters),
      classifier: probabilities && sources.classifier
        ? classifierScores(probabilities[index], sources.classifier.labels)
        : undefined,
      zeroShot: zeroShotScores(similarNames, sources.zeroShotTemperature ?? ZERO_SHOT_TEMPERATURE),
      lexical: lexical && sources.lexical
        ? classifierScores(lexical[index], sources.lexical.labels)
        : undefined,
    };
  });
}
