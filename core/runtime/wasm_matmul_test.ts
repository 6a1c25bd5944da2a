/**
 * The wasm backend's matrix products with a transposed operand (wasm_matmul.ts) against a plain
 * JavaScript product: every combination of transposes, batched operands, the fused kernel with bias and
 * activation, and the gradients a dense layer trains with.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Tensor } from "@tensorflow/tfjs";
import { loadTf } from "./tf_backend.ts";
import { seededRandom } from "../learning/training.ts";

const tf = await loadTf();
const random = seededRandom(7);
const values = (n: number) => Float32Array.from({ length: n }, () => random() * 2 - 1);

/** C = op(A)·op(B) for row-major A [r, k] (or [k, r] when transposed) and B [k, c] (or [c, k]). */
function reference(
  a: Float32Array,
  b: Float32Array,
  rows: number,
  inner: number,
  cols: number,
  transposeA: boolean,
  transposeB: boolean,
): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let k = 0; k < inner; k++) {
        const x = transposeA ? a[k * rows + i] : a[i * inner + k];
        const y = transposeB ? b[j * inner + k] : b[k * cols + j];
        sum += x * y;
      }
      out[i * cols + j] = sum;
    }
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void {
  assert.equal(actual.length, expected.length, label);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst < 1e-4, `${label}: differs by ${worst}`);
}

test("the wasm backend's matrix-product kernels transpose first", () => {
  assert.equal(tf.getBackend(), "wasm");
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    assert.equal((tf.getKernel(name, "wasm") as { transposesFirst?: boolean }).transposesFirst, true, name);
  }
});

test("a product with either operand transposed equals the plain JavaScript product", () => {
  const [rows, inner, cols] = [37, 53, 29];
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      const a = values(rows * inner);
      const b = values(inner * cols);
      const product = tf.tidy(() =>
        tf.matMul(
          tf.tensor2d(a, transposeA ? [inner, rows] : [rows, inner]),
          tf.tensor2d(b, transposeB ? [cols, inner] : [inner, cols]),
          transposeA,
          transposeB,
        ).dataSync()
      );
      assertClose(
        product,
        reference(a, b, rows, inner, cols, transposeA, transposeB),
        `A${transposeA} B${transposeB}`,
      );
    }
  }
});

test("batched operands and the fused kernel (bias, relu) with transposes", () => {
  const [batch, rows, inner, cols] = [3, 5, 7, 4];
  const a = values(batch * inner * rows);
  const b = values(batch * cols * inner);
  const batched = tf.tidy(() =>
    tf.matMul(tf.tensor3d(a, [batch, inner, rows]), tf.tensor3d(b, [batch, cols, inner]), true, true)
      .dataSync()
  );
  for (let at = 0; at < batch; at++) {
    assertClose(
      batched.subarray(at * rows * cols, (at + 1) * rows * cols),
      reference(
        a.subarray(at * inner * rows, (at + 1) * inner * rows),
        b.subarray(at * cols * inner, (at + 1) * cols * inner),
        rows,
        inner,
        cols,
        true,
        true,
      ),
      `batch ${at}`,
    );
  }
  const bias = values(cols);
  const x = values(rows * inner);
  const w = values(cols * inner);
  const fused = tf.tidy(() =>
    tf.fused.matMul({
      a: tf.tensor2d(x, [rows, inner]),
      b: tf.tensor2d(w, [cols, inner]),
      transposeB: true,
      bias: tf.tensor1d(bias),
      activation: "relu",
    }).dataSync()
  );
  const expected = reference(x, w, rows, inner, cols, false, true).map((v, i) =>
    Math.max(0, v + bias[i % cols])
  );
  assertClose(fused, expected, "fused");
});

test("a dense layer's gradients (dy·Wᵀ and xᵀ·dy) equal the JavaScript ones", () => {
  const [rows, inner, cols] = [8, 6, 5];
  const x = values(rows * inner);
  const w = values(inner * cols);
  const dy = values(rows * cols);
  const [dx, dw] = tf.tidy(() => {
    const grads = tf.grads((a: Tensor, b: Tensor) =>
      tf.matMul(a, b).mul(tf.tensor2d(dy, [rows, cols])).sum()
    );
    return grads([tf.tensor2d(x, [rows, inner]), tf.tensor2d(w, [inner, cols])]).map((t) => t.dataSync());
  });
  // dx = dy·Wᵀ: dy [rows, cols], W stored [inner, cols] so Wᵀ is W read transposed.
  assertClose(dx, reference(dy, w, rows, cols, inner, false, true), "dx");
  // dW = xᵀ·dy: x stored [rows, inner].
  assertClose(dw, reference(x, dy, inner, rows, cols, true, false), "dW");
  assert.equal(tf.memory().numTensors, 0, "no tensor left behind");
});
