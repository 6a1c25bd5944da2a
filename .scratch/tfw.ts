const { loadTf } = await import("../core/runtime/tf_backend.ts");
const tf = await loadTf();
const t0 = performance.now();
const a = tf.randomNormal([1000, 384]); const b = tf.randomNormal([384, 700]);
const c = tf.matMul(a, b); await c.data();
(self as any).postMessage({ backend: tf.getBackend(), platform: (tf.env() as any).platformName, ms: performance.now() - t0 });
