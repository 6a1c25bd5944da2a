/**
 * Matrix products with a transposed operand, made fast on tfjs' wasm backend. Its BatchMatMul and
 * _FusedMatMul kernels run the plain product through XNNPACK but a transposed operand through a slow path:
 * measured here (2 cores, 256×384 · 384×707, Deno and Node alike) 8–10 GFLOP/s plain, 0.7–1.0 with
 * `transposeB` and 0.5 with `transposeA`. Training a dense layer needs exactly those two (the gradients
 * dy·Wᵀ and xᵀ·dy), so without this a training step spends most of its time there. Transposing the operand
 * first (one copy, O(n)) and taking the plain product gives the same numbers, ~10× faster.
 */
import type { Tf } from "./tf_backend.ts";

type TensorInfo = { dataId: object; shape: number[]; dtype: string };
type KernelArgs = {
  inputs: Record<string, TensorInfo>;
  backend: { disposeData(dataId: object): unknown };
  attrs?: Record<string, unknown>;
};
type KernelFunc = (args: KernelArgs) => TensorInfo | TensorInfo[];

/** The kernels that take `transposeA`/`transposeB` attributes. */
const MATMUL_KERNELS = ["BatchMatMul", "_FusedMatMul"];

/**
 * Re-registers the wasm backend's matrix-product kernels so that a transposed operand is transposed
 * explicitly before the plain product. Call once, after the wasm backend is set; idempotent. A backend
 * without these kernels (or without a Transpose kernel) is left as it is.
 */
export function transposeBeforeMatMul(tf: Tf, backendName = "wasm"): void {
  const transpose = tf.getKernel("Transpose", backendName);
  if (!transpose) return;
  const transposeFunc = transpose.kernelFunc as unknown as KernelFunc;
  for (const kernelName of MATMUL_KERNELS) {
    const original = tf.getKernel(kernelName, backendName);
    if (!original || (original as { transposesFirst?: boolean }).transposesFirst) continue;
    const originalFunc = original.kernelFunc as unknown as KernelFunc;
    const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
      const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
      if (!transposeA && !transposeB) return originalFunc({ inputs, backend, attrs });
      const made: TensorInfo[] = [];
      // Swaps the last two axes (the kernels take rank-3 operands: batch, rows, columns).
      const swapped = (x: TensorInfo): TensorInfo => {
        const perm = x.shape.map((_, axis) => axis);
        const last = perm.length - 1;
        [perm[last - 1], perm[last]] = [perm[last], perm[last - 1]];
        const out = transposeFunc({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
        made.push(out);
        return out;
      };
      try {
        return originalFunc({
          inputs: {
            ...inputs,
            a: transposeA ? swapped(inputs.a) : inputs.a,
            b: transposeB ? swapped(inputs.b) : inputs.b,
          },
          backend,
          attrs: { ...attrs, transposeA: false, transposeB: false },
        });
      } finally {
        for (const info of made) backend.disposeData(info.dataId);
      }
    };
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel(
      { ...original, kernelFunc, transposesFirst: true } as unknown as Parameters<
        typeof tf.registerKernel
      >[0],
    );
  }
}
