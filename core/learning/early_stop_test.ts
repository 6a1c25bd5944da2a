import { test } from "node:test";
import assert from "node:assert/strict";
import { meanCrossEntropy, MIN_LOSS_FALL, stopsAfter } from "./early_stop.ts";
import { trainLinearHead } from "./linear_head.ts";

test("training goes on while the watched loss falls by MIN_LOSS_FALL, and stops otherwise", () => {
  assert.equal(stopsAfter(5, Infinity), false);
  assert.equal(stopsAfter(2 * (1 - 2 * MIN_LOSS_FALL), 2), false);
  assert.equal(stopsAfter(2 * (1 - MIN_LOSS_FALL / 2), 2), true);
  assert.equal(stopsAfter(2.5, 2), true);
  assert.equal(stopsAfter(NaN, 2), true);
});

test("meanCrossEntropy() averages −ln p(truth) over rows", () => {
  const probabilities = [0.5, 0.5, 0.1, 0.9];
  assert.ok(Math.abs(meanCrossEntropy(probabilities, [0, 1]) - (Math.log(2) - Math.log(0.9)) / 2) < 1e-12);
  assert.equal(meanCrossEntropy([], []), 0);
});

test("a linear head stops once the watched rows' loss stops falling, and runs every epoch unwatched", async () => {
  const empty = { indices: new Int32Array(0), values: new Float32Array(0) };
  const rows = [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]].map((dense) => ({ sparse: empty, dense }));
  const classes = [0, 0, 1, 1];
  // Rows the training cannot fit: its first epoch is its best on them.
  const watch = {
    rows: [{ sparse: empty, dense: [1, 0] }, { sparse: empty, dense: [0, 1] }],
    classes: [1, 0],
  };
  const count = async (options: { watch?: typeof watch }) => {
    let epochs = 0;
    await trainLinearHead(rows, classes, 2, 2, {
      epochs: 20,
      onEpoch: () => Promise.resolve(void epochs++),
      ...options,
    });
    return epochs;
  };
  assert.equal(await count({}), 20);
  assert.equal(await count({ watch }), 2);
});
