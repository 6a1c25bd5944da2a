/**
 * The baselines the learning benchmark compares the product against, trained on the same labels:
 * multinomial logistic regression (softmax, L2, SGD; core/learning/linear_head.ts) on
 *   - "minilm": the MiniLM sentence embeddings alone,
 *   - "tfidf": hashed word 1–2-gram + character 3–5-gram TF-IDF of the text (IDF fitted on the training
 *     texts; core/learning/text_features.ts — scikit-learn's HashingVectorizer + TfidfTransformer),
 *   - "both": the two concatenated.
 * Settings are fixed for every label count (30 epochs, L2 1e-5, the embedding scaled ×3 so that its unit
 * vector weighs against the unit TF-IDF vector — ×2, ×3 and ×5 compared on the fine scenario at 50–1,000
 * labels: within 0.02, ×5 worst).
 */
import { type LinearRow, predictLinear, trainLinearHead } from "../core/learning/linear_head.ts";
import { DEFAULT_HASHING, IdfTable, tfidfVector } from "../core/learning/text_features.ts";

/** Which features a baseline uses. */
export type BaselineKind = "minilm" | "tfidf" | "both";

/** A row as the baselines see it. */
export interface BaselineRow {
  text: string;
  vector: ArrayLike<number>;
  value: string;
}

const EMPTY = { indices: new Int32Array(0), values: new Float32Array(0) };
const DENSE_SCALE = 3;

/** Trains a baseline of `kind` on `train` and returns its answer for each of `test`. */
export async function baselinePredictions(
  kind: BaselineKind,
  train: BaselineRow[],
  test: BaselineRow[],
  seed = 1,
): Promise<string[]> {
  const labels = [...new Set(train.map((row) => row.value))];
  const index = new Map(labels.map((label, at) => [label, at]));
  const idf = IdfTable.fit(train.map((row) => row.text), DEFAULT_HASHING);
  const features = (row: BaselineRow): LinearRow => ({
    sparse: kind === "minilm" ? EMPTY : tfidfVector(row.text, idf, DEFAULT_HASHING),
    dense: kind === "tfidf" ? undefined : row.vector,
  });
  const dense = kind === "tfidf" ? 0 : train[0].vector.length;
  const head = await trainLinearHead(
    train.map(features),
    train.map((row) => index.get(row.value)!),
    labels.length,
    dense,
    { epochs: 30, denseScale: DENSE_SCALE, seed },
  );
  return predictLinear(head, test.map(features)).map((p) => {
    let best = 0;
    for (let c = 1; c < p.length; c++) if (p[c] > p[best]) best = c;
    return labels[best];
  });
}
