import { test } from "node:test";
import assert from "node:assert/strict";
import { CatalogueIndex, topK } from "./catalogue_index.ts";
import { retrieveCandidates } from "./candidates.ts";
import { matchRow, rankingExamples, trainMatcher } from "./matcher.ts";
import { FEATURE_NAMES, pairFeatures } from "./pair_features.ts";
import { DEFAULT_WEIGHTS } from "./reranker.ts";

// Every text gets the same embedding: the vector channel cannot tell entries apart, the lexical one must.
const SAME = [1, 0, 0];
const entry = (id: string, name: string) => ({ id, name, vector: SAME });

test("topK() returns the positions of the k highest scores, best first, skipping −Infinity", () => {
  assert.deepEqual(topK([0.1, 0.9, -Infinity, 0.5, 0.7], 3), [1, 4, 3]);
  assert.deepEqual(topK([-Infinity, 0.2], 5), [1]);
});

test("CatalogueIndex.build() refuses a decided row of an unknown entry", () => {
  assert.throws(
    () => CatalogueIndex.build([entry("e1", "usb cable")], [{ entryId: "e9", text: "x", vector: SAME }]),
    /no entry "e9"/,
  );
});

test("an entry scores the best of its documents, and a decided row can find it", () => {
  const index = CatalogueIndex.build(
    [entry("hub", "Anker 4-Port USB 3.0 Hub"), entry("cable", "Belkin HDMI Cable 2 m")],
    [{ entryId: "hub", text: "anker usb verteiler 4 fach", vector: [0, 1, 0] }],
  );
  const query = index.query("USB Verteiler 4-fach von Anker", [0, 1, 0]);
  const best = index.bestPerEntry(index.documentCosines(query));
  assert.ok(Math.abs(best[0] - 1) < 1e-6, "the decided row's vector");
  assert.ok(Math.abs(best[1] - 0) < 1e-6);
  const tfidf = index.bestPerEntry(index.documentTfidf(query));
  assert.ok(tfidf[0] > 0.5 && tfidf[0] > tfidf[1]);
});

test("a 64 GB row is matched to the 64GB entry although TF-IDF alone prefers the 256GB one", () => {
  const index = CatalogueIndex.build([
    entry("256-grey", "Apple iPhone 8 Plus 256GB Space Grey"),
    entry("64", "Apple iPhone 8 Plus 64GB"),
    entry("case", "Apple iPhone 8 Plus Leather Case"),
  ], []);
  const row = { text: "apple iphone 8 plus 64 gb space grey", vector: SAME };
  const query = index.query(row.text, row.vector);
  const tfidf = index.bestPerEntry(index.documentTfidf(query));
  assert.equal(topK(tfidf, 1)[0], 0, "precondition: TF-IDF ranks 256GB Space Grey first");
  const candidates = retrieveCandidates(index, query);
  const features = pairFeatures(index, query, candidates);
  const conflict = FEATURE_NAMES.indexOf("quantityConflict");
  assert.equal(features[candidates.entries.indexOf(0)][conflict], 1);
  assert.equal(features[candidates.entries.indexOf(1)][conflict], 0);
  const match = matchRow(index, row);
  assert.equal(match.best?.entryId, "64");
  assert.equal(match.alternatives[0].entryId, "256-grey");
  assert.ok(match.best!.confidence > match.alternatives[0].confidence);
  const total = match.best!.confidence + match.alternatives.reduce((sum, s) => sum + s.confidence, 0);
  assert.ok(Math.abs(total - 1) < 1e-9, "confidences are a distribution over the candidates");
});

test("rankingExamples() leaves the decided row out of its own entry, and skips an entry left empty", () => {
  const index = CatalogueIndex.build(
    [entry("a", "Logitech M315 Wireless Mouse"), entry("b", "Logitech M305 Wireless Mouse"), { id: "c" }],
    [
      { entryId: "a", text: "logitech m315 wireless optical mouse blue", vector: SAME },
      { entryId: "c", text: "only evidence of c", vector: SAME },
    ],
  );
  const examples = rankingExamples(index);
  assert.equal(examples.length, 1, "c has no other document");
  const [example] = examples;
  const decidedCosine = FEATURE_NAMES.indexOf("decidedCosine");
  assert.equal(example.features[example.positive][decidedCosine], 0, "its own row is not evidence");
  assert.equal(example.features[example.positive][FEATURE_NAMES.indexOf("codeMatch")], 1);
});

test("trainMatcher() keeps the default weights with too few decided rows", () => {
  const index = CatalogueIndex.build([entry("a", "usb cable"), entry("b", "hdmi cable")], [
    { entryId: "a", text: "usb kabel", vector: SAME },
  ]);
  assert.deepEqual(trainMatcher(index), DEFAULT_WEIGHTS);
});
