/**
 * An experiment for bench:learning (`--adapter`): does adapting the frozen sentence vectors to the labels
 * help the product at equal labels? SetFit (Tunstall et al. 2022, "Efficient Few-Shot Learning Without
 * Prompts") fine-tunes the encoder contrastively on same/different-label pairs, then fits logistic regression;
 * here the encoder stays frozen and a residual linear adapter `x ↦ normalise(x + A·x)` (A: d × d, from 0)
 * is trained with SetFit's cosine-similarity loss — (cos(f(a), f(b)) − [same label])² over sampled pairs —,
 * and the product's whole ensemble is then trained and scored on the adapted vectors. The issue measured
 * SetFit on the real encoder (one epoch, 300 labels) at 0.865 against 0.875 for the frozen vectors.
 */
import type { LabelledRow, LabelName } from "../core/learning/evidence.ts";
import { seededRandom } from "../core/learning/training.ts";
import type { Tf } from "../core/runtime/tf_backend.ts";
import { yieldToEventLoop } from "../core/runtime/yield_to_event_loop.ts";

/** How the adapter trains: pairs per labelled row (half same-label where one exists), epochs, step size. */
export interface AdapterOptions {
  pairsPerRow?: number;
  epochs?: number;
  learningRate?: number;
  seed?: number;
}

/** A trained adapter: maps vectors (d-dimensional, unit length) to adapted unit vectors. */
export type Adapter = (vectors: ArrayLike<number>[]) => number[][];

/** Trains an adapter on `labelled` (vectors and values). */
export async function trainAdapter(
  tf: Tf,
  labelled: LabelledRow[],
  options: AdapterOptions = {},
): Promise<Adapter> {
  const random = seededRandom(options.seed ?? 1);
  const dimensions = labelled[0].vector.length;
  const byValue = new Map<string, number[]>();
  labelled.forEach((row, i) => byValue.set(row.value, [...(byValue.get(row.value) ?? []), i]));
  const left: number[] = [];
  const right: number[] = [];
  const same: number[] = [];
  const pairs = options.pairsPerRow ?? 8;
  labelled.forEach((row, i) => {
    const mates = byValue.get(row.value)!.filter((j) => j !== i);
    for (let p = 0; p < pairs; p++) {
      const positive = p % 2 === 0 && mates.length > 0;
      let j = positive ? mates[Math.floor(random() * mates.length)] : Math.floor(random() * labelled.length);
      if (!positive) {
        for (let tries = 0; tries < 5 && labelled[j].value === row.value; tries++) {
          j = Math.floor(random() * labelled.length);
        }
      }
      left.push(i);
      right.push(j);
      same.push(labelled[j].value === row.value ? 1 : 0);
    }
  });
  const flat = new Float32Array(labelled.length * dimensions);
  labelled.forEach((row, i) => flat.set(row.vector, i * dimensions));
  const x = tf.tensor2d(flat, [labelled.length, dimensions]);
  const a = tf.variable(tf.zeros([dimensions, dimensions]));
  const optimizer = tf.train.adam(options.learningRate ?? 1e-3);
  const adapt = (input: ReturnType<typeof tf.tensor2d>) => {
    const moved = tf.add(input, tf.matMul(input, a));
    return tf.div(moved, tf.norm(moved, 2, 1, true));
  };
  const batch = 256;
  const order = left.map((_, i) => i);
  for (let epoch = 0; epoch < (options.epochs ?? 4); epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (let start = 0; start < order.length; start += batch) {
      const slice = order.slice(start, start + batch);
      const l = tf.tensor1d(slice.map((k) => left[k]), "int32");
      const r = tf.tensor1d(slice.map((k) => right[k]), "int32");
      const target = tf.tensor1d(slice.map((k) => same[k]));
      optimizer.minimize(() => {
        const fa = adapt(tf.gather(x, l) as ReturnType<typeof tf.tensor2d>);
        const fb = adapt(tf.gather(x, r) as ReturnType<typeof tf.tensor2d>);
        const cosine = tf.sum(tf.mul(fa, fb), 1);
        return tf.mean(tf.square(tf.sub(cosine, target))) as ReturnType<typeof tf.scalar>;
      });
      l.dispose();
      r.dispose();
      target.dispose();
      await yieldToEventLoop();
    }
  }
  x.dispose();
  return (vectors) => {
    if (vectors.length === 0) return [];
    const input = new Float32Array(vectors.length * dimensions);
    vectors.forEach((vector, i) => input.set(vector, i * dimensions));
    const out = tf.tidy(() =>
      adapt(tf.tensor2d(input, [vectors.length, dimensions])).dataSync() as Float32Array
    );
    return vectors.map((_, i) => Array.from(out.subarray(i * dimensions, (i + 1) * dimensions)));
  };
}

/** Rows and label names with adapted vectors (the label names' vectors are adapted as rows are). */
export function adaptRows<T extends LabelledRow | LabelName>(adapter: Adapter, rows: T[]): T[] {
  const adapted = adapter(rows.map((row) => row.vector));
  return rows.map((row, i) => ({ ...row, vector: adapted[i] }));
}
