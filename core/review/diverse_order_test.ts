import { test } from "node:test";
import assert from "node:assert/strict";
import { type Candidate, DiverseOrder } from "./diverse_order.ts";

/** Candidate `id` pointing in direction `axis` (same axis = duplicates, cosine 1). */
const at = (id: number, axis: number): Candidate => {
  const vector = new Array(8).fill(0);
  vector[axis] = 1;
  return { id, vector };
};

test("a near-duplicate waits for a later window; nothing is dropped", () => {
  const order = new DiverseOrder(3, 0.95);
  order.add([at(1, 0), at(2, 0), at(3, 1), at(4, 2), at(5, 3), at(6, 0)], true);
  assert.deepEqual(order.ordered, [1, 3, 4, 2, 5, 6]);
});

test("the order does not depend on how candidates arrive in chunks", () => {
  const candidates = [0, 1, 0, 2, 0, 3, 4, 0, 5, 1, 6, 7].map((axis, index) => at(index + 1, axis));
  const whole = new DiverseOrder(4, 0.95);
  whole.add(candidates, true);
  const chunked = new DiverseOrder(4, 0.95);
  for (let start = 0; start < candidates.length; start += 5) {
    chunked.add(candidates.slice(start, start + 5), start + 5 >= candidates.length);
  }
  assert.deepEqual(chunked.ordered, whole.ordered);
  assert.deepEqual([...whole.ordered].sort((a, b) => a - b), candidates.map((candidate) => candidate.id));
});

test("windows are only released once complete, until the last candidate has arrived", () => {
  const order = new DiverseOrder(3, 0.95);
  order.add([at(1, 0), at(2, 0), at(3, 1)], false);
  assert.deepEqual(order.ordered, [], "the first window still has room for a later candidate");
  order.add([at(4, 2)], false);
  assert.deepEqual(order.ordered, [1, 3, 4]);
  order.add([], true);
  assert.deepEqual(order.ordered, [1, 3, 4, 2]);
});

test("a near test replaces the vectors: the same order from pairs alone", () => {
  const axes = [0, 1, 0, 2, 0, 3, 4, 0, 5, 1, 6, 7];
  const byVector = new DiverseOrder(4, 0.95);
  byVector.add(axes.map((axis, index) => at(index + 1, axis)), true);
  const byPairs = new DiverseOrder(4, 0.95, (a, b) => axes[a.id - 1] === axes[b.id - 1]);
  byPairs.add(axes.map((_, index) => ({ id: index + 1 })), true);
  assert.deepEqual(byPairs.ordered, byVector.ordered);
  assert.notDeepEqual(byVector.ordered, axes.map((_, index) => index + 1), "the windows did reorder");
});
