/**
 * When a head stops training: after the first epoch that lowers the mean cross-entropy of rows it does
 * not train on (the run's held-out rows) by less than {@link MIN_LOSS_FALL} of the best so far. Epochs by
 * size (epochsFor, linearEpochsFor) stay the upper bound; they were set on 1,000–2,000 labels of 141
 * categories, and a run on 10,000 labels needs fewer passes to reach the same held-out loss.
 */

/** Relative fall of the watched loss an epoch must bring for training to go on. */
export const MIN_LOSS_FALL = 0.01;

/**
 * Whether training stops after an epoch whose watched loss is `loss`, the best before it `best`
 * (Infinity before the first epoch). A loss that is not a number stops it.
 */
export function stopsAfter(loss: number, best: number): boolean {
  return !(loss < best * (1 - MIN_LOSS_FALL));
}

/**
 * Mean cross-entropy (nats) of softmax outputs `probabilities` (rows × classes, row-major) for the class
 * indices `classes`, one per row; probabilities are floored at 1e-7. 0 for no rows.
 */
export function meanCrossEntropy(probabilities: ArrayLike<number>, classes: number[]): number {
  if (classes.length === 0) return 0;
  const width = probabilities.length / classes.length;
  let sum = 0;
  classes.forEach((truth, row) => (sum -= Math.log(Math.max(probabilities[row * width + truth], 1e-7))));
  return sum / classes.length;
}
