/**
 * The baseline the learning benchmark compares against: TF-IDF over word unigrams and bigrams of the
 * training texts (smoothed IDF, L2-normalised rows) and multinomial logistic regression trained by SGD
 * on the sparse vectors, in plain TypeScript. (A dense tfjs softmax over the ~10,000 terms of 1,000
 * titles took ~200 ms per step of 32 rows here; the sparse one touches only a title's ~20 terms.)
 */
import { seededRandom } from "../gpu-worker/lib/training.ts";

/** Words of at least two letters or digits, lower case, and each pair of neighbouring words. */
export function terms(text: string): string[] {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length >= 2);
  return [...words, ...words.slice(1).map((word, i) => `${words[i]} ${word}`)];
}

/** A trained baseline. */
export interface TfidfClassifier {
  predict(texts: string[]): string[];
}

interface SparseVector {
  indices: number[];
  values: number[];
}

const EPOCHS = 30;
const L2 = 1e-5;

/** Trains on `texts` labelled `values`; the vocabulary is the training texts' terms. */
export function trainTfidfClassifier(texts: string[], values: string[]): TfidfClassifier {
  const documentFrequency = new Map<string, number>();
  for (const text of texts) {
    for (const term of new Set(terms(text))) {
      documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
    }
  }
  const vocabulary = [...documentFrequency.keys()];
  const index = new Map(vocabulary.map((term, at) => [term, at]));
  const idf = vocabulary.map((term) => Math.log((1 + texts.length) / (1 + documentFrequency.get(term)!)) + 1);
  const labels = [...new Set(values)];
  const labelIndex = new Map(labels.map((label, at) => [label, at]));
  const classes = labels.length;

  const vectorise = (text: string): SparseVector => {
    const counts = new Map<number, number>();
    for (const term of terms(text)) {
      const at = index.get(term);
      if (at !== undefined) counts.set(at, (counts.get(at) ?? 0) + 1);
    }
    const indices = [...counts.keys()];
    const raw = indices.map((at) => counts.get(at)! * idf[at]);
    const norm = Math.hypot(...raw) || 1;
    return { indices, values: raw.map((value) => value / norm) };
  };

  const weights = new Float32Array(vocabulary.length * classes);
  const bias = new Float32Array(classes);
  const logits = new Float64Array(classes);
  const scores = (x: SparseVector) => {
    logits.set(bias);
    x.indices.forEach((at, k) => {
      const row = at * classes;
      for (let c = 0; c < classes; c++) logits[c] += weights[row + c] * x.values[k];
    });
    return logits;
  };

  const data = texts.map((text, i) => ({ x: vectorise(text), y: labelIndex.get(values[i])! }));
  const random = seededRandom(1);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const rate = 1 / (1 + 0.1 * epoch);
    for (let i = data.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [data[i], data[j]] = [data[j], data[i]];
    }
    for (const { x, y } of data) {
      const z = scores(x);
      const top = Math.max(...z);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += z[c] = Math.exp(z[c] - top);
      for (let c = 0; c < classes; c++) {
        const gradient = z[c] / sum - (c === y ? 1 : 0);
        bias[c] -= rate * gradient;
        x.indices.forEach((at, k) => {
          const w = at * classes + c;
          weights[w] -= rate * (gradient * x.values[k] + L2 * weights[w]);
        });
      }
    }
  }
  return {
    predict(batch) {
      return batch.map((text) => {
        const z = scores(vectorise(text));
        let best = 0;
        for (let c = 1; c < classes; c++) if (z[c] > z[best]) best = c;
        return labels[best];
      });
    },
  };
}
