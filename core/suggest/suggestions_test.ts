import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../db/database.ts";
import { sql, vectorLiteral } from "../db/sql.ts";
import {
  productsMissingSuggestion,
  queueRefreshAroundLabels,
  refreshAroundLabels,
  refreshQueuedSuggestions,
  refreshSuggestions,
} from "./suggestions.ts";
import { openTestDatabase } from "../../testing/testing.ts";

const MODEL = "test-model";
let db: Database;
let importId: number;

/** A unit vector at `degrees` in the plane of the first two axes: cosine similarity = cos(angle). */
function atAngle(degrees: number): number[] {
  const vector = new Array(384).fill(0);
  vector[0] = Math.cos((degrees * Math.PI) / 180);
  vector[1] = Math.sin((degrees * Math.PI) / 180);
  return vector;
}

async function product(degrees: number, label: string | null): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    VALUES (${importId}, (SELECT count(*) + 1 FROM products), '{}'::jsonb, ${`at ${degrees}`}) RETURNING id`);
  await db.query(sql`
    INSERT INTO embeddings (product_id, model_id, embedding)
    VALUES (${row.id}, ${MODEL}, ${vectorLiteral(atAngle(degrees))}::vector)`);
  if (label) {
    await db.query(
      sql`INSERT INTO product_labels (product_id, value, source) VALUES (${row.id}, ${label}, 'seed')`,
    );
  }
  return row.id;
}

async function suggestionOf(id: number) {
  const [row] = await db.query<{ value: string; confidence: number }>(sql`
    SELECT value, confidence FROM suggestions WHERE product_id = ${id}`);
  return row;
}

before(async () => {
  db = await openTestDatabase();
  [{ id: importId }] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('vote.csv', 'imported') RETURNING id`);
});
after(async () => {
  await db.close();
});

test("with no labels at all a product gets no suggestion", async () => {
  const lonely = await product(0, null);
  assert.equal(await refreshSuggestions(db, { modelId: MODEL, productIds: [lonely] }), 0);
  assert.equal(await suggestionOf(lonely), undefined);
  await db.query(sql`DELETE FROM products`);
});

test("the suggestion is the similarity-weighted vote, confidence = share × best similarity", async () => {
  const target = await product(0, null);
  await product(10, "cables"); // sim cos(10°) = 0.985
  await product(60, "tools"); // sim 0.5
  await product(60.0001, "tools"); // sim 0.5
  assert.equal(await refreshSuggestions(db, { modelId: MODEL, productIds: [target] }), 1);
  const suggestion = await suggestionOf(target);
  // cables 0.985 vs tools 1.0: two medium neighbours outvote one close one.
  assert.equal(suggestion.value, "tools");
  const cables = Math.cos((10 * Math.PI) / 180);
  const expected = (1.0 / (1.0 + cables)) * 0.5;
  assert.ok(
    Math.abs(suggestion.confidence - expected) < 1e-3,
    `confidence ${suggestion.confidence} ≠ ${expected}`,
  );
  await db.query(sql`DELETE FROM products`);
});

test("a labelled product never votes for itself", async () => {
  const labelled = await product(0, "self");
  await product(90, "other");
  await refreshSuggestions(db, { modelId: MODEL, productIds: [labelled] });
  assert.equal((await suggestionOf(labelled)).value, "other");
  await db.query(sql`DELETE FROM products`);
});

test("only the k nearest labelled neighbours vote", async () => {
  const target = await product(0, null);
  for (let i = 0; i < 3; i++) await product(5 + i, "near");
  for (let i = 0; i < 5; i++) await product(80 + i, "far");
  await refreshSuggestions(db, { modelId: MODEL, productIds: [target], k: 3 });
  const suggestion = await suggestionOf(target);
  assert.equal(suggestion.value, "near");
  assert.ok(suggestion.confidence > 0.99, "a unanimous close vote is confident");
  await db.query(sql`DELETE FROM products`);
});

test("a new label refreshes the suggestions of its unlabelled neighbours", async () => {
  const a = await product(0, null);
  const b = await product(3, null);
  const far = await product(170, "elsewhere");
  await refreshSuggestions(db, { modelId: MODEL, productIds: [a, b] });
  assert.equal((await suggestionOf(a)).value, "elsewhere");
  const fresh = await product(1, "fresh");
  assert.equal(await refreshAroundLabels(db, { modelId: MODEL, labelledIds: [fresh] }), 2);
  assert.equal((await suggestionOf(a)).value, "fresh");
  assert.equal((await suggestionOf(b)).value, "fresh");
  assert.ok(far > 0);
  await db.query(sql`DELETE FROM products`);
});

test("labels embedded by the worker queue their neighbours once; the sweep re-scores them later", async () => {
  const a = await product(0, null);
  const b = await product(3, null);
  const labelledLater = await product(4, null);
  await product(170, "elsewhere");
  await refreshSuggestions(db, { modelId: MODEL, productIds: [a, b, labelledLater] });
  assert.equal((await suggestionOf(a)).value, "elsewhere");
  const fresh = [await product(1, "fresh"), await product(2, "fresh")];
  // Two new labels near the same rows: each row is queued once, and nothing is re-scored yet.
  assert.equal(await queueRefreshAroundLabels(db, { modelId: MODEL, labelledIds: fresh }), 3);
  assert.equal(await queueRefreshAroundLabels(db, { modelId: MODEL, labelledIds: fresh }), 0);
  assert.equal((await suggestionOf(a)).value, "elsewhere");
  // A row labelled while queued only leaves the queue.
  await db.query(
    sql`INSERT INTO product_labels (product_id, value, source) VALUES (${labelledLater}, 'x', 'human')`,
  );
  assert.equal(await refreshQueuedSuggestions(db, { modelId: MODEL, limit: 2 }), 2);
  assert.equal(await refreshQueuedSuggestions(db, { modelId: MODEL, limit: 2 }), 1);
  assert.equal(await refreshQueuedSuggestions(db, { modelId: MODEL, limit: 2 }), 0);
  assert.equal((await suggestionOf(a)).value, "fresh");
  assert.equal((await suggestionOf(b)).value, "fresh");
  assert.equal((await suggestionOf(labelledLater)).value, "elsewhere");
  await db.query(sql`DELETE FROM products`);
});

test("productsMissingSuggestion() finds unlabelled rows embedded before any label existed", async () => {
  const early = await product(0, null);
  assert.deepEqual(await productsMissingSuggestion(db, { modelId: MODEL, limit: 10 }), []);
  await product(20, "late label");
  assert.deepEqual(await productsMissingSuggestion(db, { modelId: MODEL, limit: 10 }), [early]);
  await db.query(sql`DELETE FROM products`);
});
