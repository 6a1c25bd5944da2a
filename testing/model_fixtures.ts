/**
 * The metrics a trained version records, filled with neutral values for tests that save a version by hand
 * (model_store, model_files, score_products): what they check is the files and the scoring, not the figures.
 */
import type { ModelMetrics } from "../contract/schemas.ts";

/** Metrics of a version with `labels` labels trained on `trainSize` rows; `overrides` replace fields. */
export function fixtureMetrics(
  labels: string[],
  trainSize: number,
  overrides: Partial<ModelMetrics> = {},
): ModelMetrics {
  return {
    accuracy: 1,
    macro_f1: 1,
    majority_baseline: 1 / labels.length,
    majority_label: labels[0],
    components: { knn: 1, classifier: 1, zero_shot: null },
    memory: { matches: 0, correct: 0, precision: 0.95 },
    train_size: trainSize,
    holdout_size: 0,
    label_count: labels.length,
    per_label: [],
    calibration: { method: "none", ece: null, bins: [] },
    heldout_scores: [],
    learning_curve: [],
    weights: { knn: 0.5, classifier: 0.5, zero_shot: 0 },
    epochs: 5,
    training_ms: 1,
    backend: "wasm",
    ...overrides,
  };
}
