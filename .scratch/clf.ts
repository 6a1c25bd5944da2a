import { loadTf } from "../core/runtime/tf_backend.ts";
import { buildClassifier } from "../core/learning/classifier.ts";
const tf = await loadTf();
const N = 8000, D = 384, C = 707, B = 32;
const xs = tf.randomNormal([N, D]); const ys = tf.tensor1d(Array.from({ length: N }, (_, i) => i % C), "float32");
let model = buildClassifier(tf, D, C);
let t0 = performance.now();
await model.fit(xs, ys, { epochs: 1, batchSize: B, shuffle: true, verbose: 0 });
console.log("fit 1 epoch", (performance.now() - t0).toFixed(0), "ms");
// custom loop
const w1 = tf.variable(tf.randomNormal([D, 128], 0, 0.05)); const b1 = tf.variable(tf.zeros([128]));
const w2 = tf.variable(tf.randomNormal([128, C], 0, 0.05)); const b2 = tf.variable(tf.zeros([C]));
const opt = tf.train.adam(0.003);
const yi = tf.tensor1d(Array.from({ length: N }, (_, i) => i % C), "int32");
t0 = performance.now();
for (let s = 0; s < N; s += B) {
  const xb = xs.slice([s, 0], [Math.min(B, N - s), D]);
  const yb = yi.slice([s], [Math.min(B, N - s)]);
  opt.minimize(() => {
    const h = tf.relu(tf.add(tf.matMul(xb, w1), b1));
    const logits = tf.add(tf.matMul(h, w2), b2);
    const onehot = tf.oneHot(yb, C);
    return tf.losses.softmaxCrossEntropy(onehot, logits) as any;
  });
  xb.dispose(); yb.dispose();
}
console.log("custom 1 epoch", (performance.now() - t0).toFixed(0), "ms");
t0 = performance.now();
for (let s = 0; s < N; s += 128) {
  const xb = xs.slice([s, 0], [Math.min(128, N - s), D]);
  const yb = yi.slice([s], [Math.min(128, N - s)]);
  opt.minimize(() => {
    const h = tf.relu(tf.add(tf.matMul(xb, w1), b1));
    const logits = tf.add(tf.matMul(h, w2), b2);
    return tf.losses.softmaxCrossEntropy(tf.oneHot(yb, C), logits) as any;
  });
  xb.dispose(); yb.dispose();
}
console.log("custom 1 epoch B128", (performance.now() - t0).toFixed(0), "ms");
