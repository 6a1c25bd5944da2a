/**
 * Evidence gathered a slice at a time equals one call's, with real vectors of real products (the first
 * Amazon rows of datasets/walmart_amazon) and the real embedding model.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gatherEvidence, type LabelledRow } from "./evidence.ts";
import { EVIDENCE_SLICE, gatherEvidenceInSlices, sliceFor } from "./evidence_in_slices.ts";
import { datasetRows, testEmbedder } from "../../testing/testing.ts";
import { loadTf } from "../runtime/tf_backend.ts";

test("evidence gathered in slices is the evidence of one call, in order", async () => {
  const tf = await loadTf();
  const embedder = await testEmbedder();
  const rows = datasetRows(400).filter((row) => row.category.trim() !== "").slice(0, 130);
  const vectors = await embedder.embed(rows.map((row) => row.title));
  const labelled: LabelledRow[] = rows.map((row, i) => ({
    text: row.title,
    value: row.category,
    vector: vectors[i],
  }));
  const names = [...new Set(rows.map((row) => row.category))];
  const nameVectors = await embedder.embed(names);
  const sources = {
    rows: labelled.slice(0, 100),
    labelNames: names.map((value, i) => ({ value, vector: nameVectors[i] })),
  };
  const targets = labelled.slice(100);
  const whole = gatherEvidence(tf, targets, sources);
  const sliced = await gatherEvidenceInSlices(tf, targets, sources, 7);
  assert.equal(sliced.length, targets.length);
  assert.deepEqual(sliced, whole);
  assert.ok(whole.every((evidence) => evidence.knn !== undefined), "the kNN vote is there to compare");
});

test("slices shrink as the labelled rows grow, down to one target", () => {
  assert.equal(sliceFor(0), EVIDENCE_SLICE);
  assert.equal(sliceFor(1000), EVIDENCE_SLICE);
  assert.equal(sliceFor(8000), 6);
  assert.equal(sliceFor(10_000_000), 1);
});
