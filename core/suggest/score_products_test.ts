import { fixtureMetrics } from "../../testing/model_fixtures.ts";
import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ModelMetrics } from "../../contract/schemas.ts";
import { ModelRuntime } from "../models/active_model.ts";
import { writeAutoAccept } from "./auto_accept.ts";
import { trainClassifier } from "../learning/classifier.ts";
import type { Database } from "../db/database.ts";
import { defaultEnsembleConfig } from "../learning/ensemble.ts";
import { trainLexical } from "../learning/lexical.ts";
import { saveModelVersion } from "../models/model_store.ts";
import { scoreProducts } from "./score_products.ts";
import { sql, vectorLiteral } from "../db/sql.ts";
import { openTestDatabase } from "../../testing/testing.ts";
import { loadTf } from "../runtime/tf_backend.ts";

const MODEL = "test-model";
let db: Database;
let importId: number;
let modelsDir: string;

/** A unit vector at `degrees` in the plane of the first two axes: cosine similarity = cos(angle). */
function atAngle(degrees: number): number[] {
  const vector = new Array(384).fill(0);
  vector[0] = Math.cos((degrees * Math.PI) / 180);
  vector[1] = Math.sin((degrees * Math.PI) / 180);
  return vector;
}

async function product(degrees: number, options: { text?: string; label?: string; source?: string } = {}) {
  const [row] = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    VALUES (${importId}, (SELECT count(*) + 1 FROM products), '{}'::jsonb, ${options.text ?? `at ${degrees}`})
    RETURNING id`);
  await db.query(sql`
    INSERT INTO embeddings (product_id, model_id, embedding)
    VALUES (${row.id}, ${MODEL}, ${vectorLiteral(atAngle(degrees))}::vector)`);
  if (options.label) {
    await db.query(sql`
      INSERT INTO product_labels (product_id, value, source)
      VALUES (${row.id}, ${options.label}, ${options.source ?? "seed"})`);
  }
  return row.id;
}

async function suggestionOf(id: number) {
  const [row] = await db.query<
    { value: string; source: string; model_version: string | null; margin: number }
  >(
    sql`SELECT value, source, model_version, margin FROM suggestions WHERE product_id = ${id}`,
  );
  return row;
}

/** Saves a version whose head tells 0° from 90° apart, with the held-out scores given. */
async function saveVersion(version: string, heldoutScores: [number, number][]): Promise<void> {
  const tf = await loadTf();
  const vectors = [...Array(40)].map((_, i) => atAngle(i % 2 ? 88 + (i % 5) : (i % 5)));
  const classifier = await trainClassifier(tf, {
    vectors,
    classes: vectors.map((_, i) => i % 2),
    classCount: 2,
    dimensions: 384,
  }, { epochs: 30 });
  const metrics: ModelMetrics = {
    accuracy: 1,
    macro_f1: 1,
    majority_baseline: 0.5,
    majority_label: "east",
    components: { knn: 1, classifier: 1, zero_shot: null },
    memory: { matches: 0, correct: 0, precision: 0.95 },
    train_size: 40,
    holdout_size: heldoutScores.length,
    label_count: 2,
    per_label: [],
    calibration: { method: "none", ece: null, bins: [] },
    heldout_scores: heldoutScores,
    learning_curve: [],
    weights: { knn: 0.5, classifier: 0.5, zero_shot: 0 },
    epochs: 30,
    training_ms: 1,
    backend: tf.getBackend(),
  };
  await saveModelVersion(tf, modelsDir, {
    version,
    classifier,
    labels: ["east", "north"],
    ensemble: { ...defaultEnsembleConfig(40), weights: metrics.weights },
    metrics,
    embeddingModelId: MODEL,
    dimensions: 384,
    feedbackSnapshot: 0,
    tfjsVersion: tf.version.tfjs,
    backend: tf.getBackend(),
  });
  classifier.dispose();
}

before(async () => {
  db = await openTestDatabase();
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-score-"));
  [{ id: importId }] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('score.csv', 'imported') RETURNING id`);
});
beforeEach(async () => {
  await db.query(sql`DELETE FROM products`);
  await db.query(sql`DELETE FROM taxonomy_labels`);
  await db.query(sql`DELETE FROM label_embeddings`);
  await db.query(sql`DELETE FROM settings`);
});
after(async () => {
  await db.close();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

test("a text a person already normalised gets that value from the memory, whatever its case and spacing", async () => {
  const target = await product(0, { text: "Logitech  M325 Wireless Mouse " });
  await product(80, { text: "logitech m325 wireless mouse", label: "mice", source: "human" });
  await product(1, { label: "keyboards" }); // the nearest neighbour says otherwise
  assert.equal(await scoreProducts(db, { modelId: MODEL, productIds: [target] }), 1);
  const suggestion = await suggestionOf(target);
  assert.deepEqual([suggestion.value, suggestion.source, suggestion.margin], ["mice", "memory", 1]);
});

test("auto-accepted labels neither vote nor feed the memory", async () => {
  const target = await product(0, { text: "usb hub" });
  await product(1, { text: "usb hub", label: "auto guess", source: "auto" });
  await product(30, { label: "hubs", source: "human" });
  await scoreProducts(db, { modelId: MODEL, productIds: [target] });
  const suggestion = await suggestionOf(target);
  assert.deepEqual([suggestion.value, suggestion.source], ["hubs", "knn"]);
});

test("with only a taxonomy and no labelled rows, zero-shot suggests the closest label name", async () => {
  const target = await product(10);
  await db.query(sql`INSERT INTO taxonomy_labels (value) VALUES ('east'), ('north'), ('stale')`);
  for (const [value, degrees] of [["east", 0], ["north", 90], ["gone", 5]] as const) {
    await db.query(sql`
      INSERT INTO label_embeddings (value, model_id, embedding)
      VALUES (${value}, ${MODEL}, ${vectorLiteral(atAngle(degrees))}::vector)`);
  }
  await scoreProducts(db, { modelId: MODEL, productIds: [target] });
  const suggestion = await suggestionOf(target);
  // "gone" is closest but neither in the taxonomy nor on any row: not a candidate.
  assert.deepEqual([suggestion.value, suggestion.source, suggestion.model_version], [
    "east",
    "zero_shot",
    null,
  ]);
  assert.ok(suggestion.margin > 0.5);
});

test("auto-accept accepts rows only while the active version's held-out precision at τ meets the target", async () => {
  const good: [number, number][] = Array.from({ length: 30 }, () => [0.97, 1]);
  const weak: [number, number][] = Array.from({ length: 30 }, (_, i) => [0.97, i % 5 === 0 ? 0 : 1]);
  await saveVersion("v1", good);
  await saveVersion("v2", weak);
  const runtime = new ModelRuntime({ modelsDir, embeddingModelId: MODEL, dimensions: 384 });
  try {
    for (let i = 0; i < 4; i++) await product(i * 2, { label: "east" });
    for (let i = 0; i < 4; i++) await product(90 - i * 2, { label: "north" });
    const first = await product(1);
    const second = await product(89);
    await writeAutoAccept(db, { enabled: true, threshold: 0.6, target_precision: 0.95 });

    runtime.install(await runtime.load("v2")); // precision 0.8 < 0.95: nothing is accepted
    await scoreProducts(db, { modelId: MODEL, productIds: [first], models: runtime });
    assert.equal((await suggestionOf(first)).model_version, "v2");
    assert.deepEqual(await db.query(sql`SELECT 1 FROM product_labels WHERE source = 'auto'`), []);

    runtime.install(await runtime.load("v1")); // precision 1.0 over 30 rows
    await scoreProducts(db, { modelId: MODEL, productIds: [first, second], models: runtime });
    const accepted = await db.query<{ product_id: number; value: string; model_version: string }>(sql`
      SELECT product_id, value, model_version FROM product_labels WHERE source = 'auto' ORDER BY product_id`);
    assert.deepEqual(accepted, [
      { product_id: first, value: "east", model_version: "v1" },
      { product_id: second, value: "north", model_version: "v1" },
    ]);
  } finally {
    runtime.close();
  }
});

test("the lexical channel scores a product from its text in products, next to its vector", async () => {
  const tf = await loadTf();
  const vectors = [...Array(40)].map((_, i) => atAngle(i % 2 ? 88 + (i % 5) : (i % 5)));
  const labels = ["east", "north"];
  const classifier = await trainClassifier(tf, {
    vectors,
    classes: vectors.map((_, i) => i % 2),
    classCount: 2,
    dimensions: 384,
  }, { epochs: 5 });
  // Texts and vectors disagree on purpose: "omega gadget" rows are labelled north whatever their angle.
  // Three in four rows are east: without its text, the channel leans east.
  const texts = vectors.map((_, i) => (i % 4 < 3 ? `alpha widget ${i}` : `omega gadget ${i}`));
  const lexical = await trainLexical(
    vectors.map((vector, i) => ({ text: texts[i], vector: vector.map(() => 0) })),
    texts.map((text) => (text.startsWith("omega") ? "north" : "east")),
    labels,
    { epochs: 30 },
  );
  const weights = { knn: 0, classifier: 0, zero_shot: 0, lexical: 1 };
  await saveModelVersion(tf, modelsDir, {
    version: "v9",
    classifier,
    lexical,
    labels,
    ensemble: { ...defaultEnsembleConfig(40), weights },
    metrics: fixtureMetrics(labels, 40, {
      components: { knn: 1, classifier: 1, zero_shot: null, lexical: 1 },
      weights,
      backend: tf.getBackend(),
    }),
    embeddingModelId: MODEL,
    dimensions: 384,
    feedbackSnapshot: 0,
    tfjsVersion: tf.version.tfjs,
    backend: tf.getBackend(),
  });
  classifier.dispose();
  const runtime = new ModelRuntime({ modelsDir, embeddingModelId: MODEL, dimensions: 384 });
  try {
    runtime.install(await runtime.load("v9"));
    for (let i = 0; i < 4; i++) await product(i * 2, { label: "east" });
    // A version suggests only values some row still holds (score_products drops the others).
    await product(89, { label: "north" });
    const target = await product(1, { text: "Omega Gadget 77" }); // among the east rows
    await scoreProducts(db, { modelId: MODEL, productIds: [target], models: runtime });
    const suggestion = await suggestionOf(target);
    assert.deepEqual([suggestion.value, suggestion.source, suggestion.model_version], [
      "north",
      "lexical",
      "v9",
    ]);
  } finally {
    runtime.close();
  }
});
