import { test } from "node:test";
import assert from "node:assert/strict";
import { CatalogueIndex } from "./catalogue_index.ts";
import { cosineScorer, loopScorer } from "./cosine_scorer.ts";
import { matchRow, rankingExample } from "./matcher.ts";

// A seeded generator: the same vectors on every run.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648 - 0.5;
  };
}

const next = random(7);
const vector = () => Array.from({ length: 24 }, next);
const names = [
  "usb cable 2 m",
  "hdmi cable 1 m",
  "anker usb hub 4 port",
  "belkin hdmi switch",
  "iphone 8 64gb",
];
const index = CatalogueIndex.build(
  names.map((name, at) => ({ id: `e${at}`, name, vector: vector() })),
  [
    { entryId: "e2", text: "anker 4-port usb hub", vector: vector() },
    { entryId: "e2", text: "usb verteiler anker", vector: vector() },
    { entryId: "e0", text: "usb kabel 2m", vector: vector() },
  ],
);
const rows = Array.from(
  { length: 40 },
  () => ({ text: "anker usb hub", vector: vector().map((x) => x * 3) }),
);

test("the matrix-product cosines equal the index's loop, for rows of any length", async () => {
  const scorer = await cosineScorer(index);
  try {
    assert.match(scorer.engine, /^tfjs-/, "TensorFlow.js loads here");
    const fast = scorer.cosines(rows.map((row) => row.vector));
    const slow = loopScorer(index).cosines(rows.map((row) => row.vector));
    assert.equal(fast.length, rows.length);
    fast.forEach((cosines, at) => {
      assert.equal(cosines.length, index.documents.length);
      cosines.forEach((value, doc) =>
        assert.ok(Math.abs(value - slow[at][doc]) < 1e-5, `row ${at} doc ${doc}`)
      );
    });
    assert.deepEqual(scorer.cosines([]), []);
  } finally {
    scorer.dispose();
  }
});

test("matches and training examples from given cosines equal those computed row by row", async () => {
  const scorer = await cosineScorer(index);
  try {
    const cosines = scorer.cosines(rows.map((row) => row.vector));
    rows.forEach((row, at) => {
      const given = matchRow(index, row, undefined, { cosines: cosines[at] });
      const own = matchRow(index, row);
      assert.equal(given.best?.entryId, own.best?.entryId);
      assert.ok(Math.abs(given.best!.confidence - own.best!.confidence) < 1e-4);
    });
    // A decided row is its own nearest document: leaving it out must hold with given cosines too.
    const decided = index.documents.findIndex((document) => document.decided);
    const [row] = scorer.cosines([index.documentVector(decided)]);
    const given = rankingExample(index, decided, { cosines: row });
    const own = rankingExample(index, decided);
    assert.deepEqual(
      given?.features.map((f) => Array.from(f).map((x) => x.toFixed(4))),
      own?.features.map((f) => Array.from(f).map((x) => x.toFixed(4))),
    );
    assert.ok(row[decided] > 0.99, "the given cosines themselves are left unchanged");
  } finally {
    scorer.dispose();
  }
});
