import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../db/database.ts";
import { sql, vectorLiteral } from "../db/sql.ts";
import { refreshSuggestions } from "../suggest/suggestions.ts";
import { openTestDatabase } from "../../testing/testing.ts";
import { deleteImport } from "./import_delete.ts";

const MODEL = "test-model";
let db: Database;

/** A unit vector at `degrees` in the plane of the first two axes: cosine similarity = cos(angle). */
function atAngle(degrees: number): number[] {
  const vector = new Array(384).fill(0);
  vector[0] = Math.cos((degrees * Math.PI) / 180);
  vector[1] = Math.sin((degrees * Math.PI) / 180);
  return vector;
}

async function newImport(name: string): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES (${name}, 'imported') RETURNING id`);
  return row.id;
}

async function product(importId: number, degrees: number, label: string | null): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    VALUES (${importId}, (SELECT count(*) + 1 FROM products), '{}'::jsonb, ${`at ${degrees}`}) RETURNING id`);
  await db.query(sql`
    INSERT INTO embeddings (product_id, model_id, embedding)
    VALUES (${row.id}, ${MODEL}, ${vectorLiteral(atAngle(degrees))}::vector)`);
  if (label) {
    await db.query(
      sql`INSERT INTO product_labels (product_id, value, source) VALUES (${row.id}, ${label}, 'human')`,
    );
  }
  return row.id;
}

/** What the queued re-score job does: every row waiting for review is scored again. */
async function rescoreWaiting(): Promise<void> {
  const waiting = await db.query<{ product_id: number }>(sql`
    SELECT product_id FROM embeddings
    WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = embeddings.product_id)`);
  await refreshSuggestions(db, { modelId: MODEL, productIds: waiting.map((row) => row.product_id) });
}

async function suggestionOf(id: number): Promise<string | undefined> {
  const [row] = await db.query<{ value: string }>(
    sql`SELECT value FROM suggestions WHERE product_id = ${id}`,
  );
  return row?.value;
}

before(async () => {
  db = await openTestDatabase();
});
after(async () => {
  await db.close();
});

test("deleting an import with labels queues a re-score; its values are no longer suggested", async () => {
  const labelled = await newImport("decided.csv");
  await product(labelled, 5, "garden");
  await product(labelled, 10, "garden");
  const waiting = await newImport("waiting.csv");
  const near = await product(waiting, 0, null);
  const lonely = await newImport("lonely.csv");
  const alone = await product(lonely, 0, null);
  await product(waiting, 80, "tools");
  await refreshSuggestions(db, { modelId: MODEL, productIds: [near, alone] });
  assert.equal(await suggestionOf(near), "garden");

  await deleteImport(db, labelled, { confirm: true });
  const jobs = await db.query<{ payload: { reason: string } }>(sql`
    SELECT payload FROM jobs WHERE kind = 'rescore' AND status = 'queued'`);
  assert.deepEqual(jobs.map((job) => job.payload.reason), ["labels_deleted"]);
  await rescoreWaiting();
  // The remaining label is the only evidence left.
  assert.equal(await suggestionOf(near), "tools");

  // With no label left anywhere, nothing is known: the suggestion goes rather than stays.
  await deleteImport(db, waiting, { confirm: true });
  await rescoreWaiting();
  assert.equal(await suggestionOf(alone), undefined);
});

test("deleting an import without labels queues nothing", async () => {
  await db.query(sql`DELETE FROM jobs`);
  const plain = await newImport("plain.csv");
  await product(plain, 30, null);
  await deleteImport(db, plain, { confirm: false });
  assert.deepEqual(await db.query(sql`SELECT id FROM jobs`), []);
});
