/**
 * Appending a file to a dataset (POST /upload-csv?append_to=…) against the real database, the real
 * worker and the real embedding model: decisions already made are reused and stay out of the review
 * queue and out of training, refused appends write nothing, and DELETE /imports/:id removes one file.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type {
  ApiError,
  ImportCreated,
  ImportDeleted,
  ImportProgress,
  ReviewPage,
} from "../../contract/schemas.ts";
import { readTrainingRows } from "../../core/model_lifecycle/retrain_job.ts";
import { sql } from "../../core/db/sql.ts";
import {
  datasetRows,
  openTestDatabase,
  startTestWorker,
  TEST_MODEL_ID,
  toCsv,
} from "../../testing/testing.ts";

type Row = Record<string, string>;

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 });
const worker = await startTestWorker(db);
after(async () => {
  await worker.stop();
  await db.close();
});

async function upload(rows: Row[], query: string, header?: string[]): Promise<Response> {
  let csv = toCsv(rows);
  if (header) {
    // The same rows with the columns in another order.
    csv = [header.join(","), ...rows.map((row) => header.map((name) => JSON.stringify(row[name])).join(","))]
      .join("\n");
  }
  return await app.request(`/upload-csv?${query}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: csv,
  });
}

async function created(response: Response): Promise<ImportCreated> {
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  return body as ImportCreated;
}

async function refused(response: Response, status: number): Promise<ApiError> {
  const body = await response.json() as ApiError;
  assert.equal(response.status, status, JSON.stringify(body));
  return body;
}

async function getJson<T>(path: string): Promise<T> {
  const response = await app.request(path);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body as T;
}

async function count(query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await db.query<{ count: number }>(query);
  return row.count;
}

const all: Row[] = datasetRows(90).map((row) => ({ ...row }));
// Week 1: 60 rows, the first 10 with a seed label (the supplier's own category), the rest without.
const week1Rows: Row[] = all.slice(0, 60).map((row, index) => ({
  ...row,
  category: index < 10 ? row.category : "",
}));
const week1 = await created(await upload(week1Rows, "file_name=week1.csv&label_column=category"));
await worker.idle();

// A person corrects two rows of week 1 (no suggestion needed for a correction).
const humanRows = week1Rows.slice(20, 22);
const [human1, human2] = await db.query<{ id: number; text: string }>(sql`
  SELECT id, text FROM products WHERE import_id = ${week1.import_id} AND row_number IN (21, 22)
  ORDER BY row_number`);
for (const [product, value] of [[human1, "Cameras (checked)"], [human2, "Printers (checked)"]] as const) {
  const response = await app.request("/submit-feedback", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ product_id: product.id, approved: false, corrected_text: value, reviewer: "ana" }),
  });
  assert.equal(response.status, 201, await response.text());
}

test("appending a file with the same columns in another order reuses people's and seed decisions", async () => {
  // Week 2: the two reviewed rows again (one shouted and padded, which the memory also ignores), two
  // seeded rows again, and 30 new ones; its own label column is empty, as suppliers send it.
  const repeated = [
    { ...humanRows[0], title: `  ${humanRows[0].title.toUpperCase()}  ` },
    humanRows[1],
    week1Rows[0],
    week1Rows[1],
  ];
  const week2Rows = [...repeated, ...all.slice(60, 90)].map((row) => ({ ...row, category: "" }));
  const reordered = ["price", "title", "id", "category", "modelno", "brand"];
  const week2 = await created(
    await upload(week2Rows, `file_name=week2.csv&append_to=${week1.import_id}`, reordered),
  );
  assert.equal(week2.dataset_id, week1.import_id);
  assert.equal(week2.appended_to, week1.import_id);
  assert.equal(week2.row_count, 34);
  assert.equal(week2.reused_count, 4);
  // Inherited from the dataset, not chosen again from this file's sample.
  assert.deepEqual(week2.text_columns, week1.text_columns);
  assert.equal(week2.label_column, "category");

  const labels = await db.query<{ row_number: number; value: string; source: string; reused_from: number }>(
    sql`
    SELECT products.row_number, product_labels.value, product_labels.source, product_labels.reused_from
    FROM products JOIN product_labels ON product_labels.product_id = products.id
    WHERE products.import_id = ${week2.import_id} ORDER BY products.row_number`,
  );
  const [seed0] = await db.query<{ id: number }>(sql`
    SELECT id FROM products WHERE import_id = ${week1.import_id} AND row_number = 1`);
  assert.deepEqual(labels, [
    { row_number: 1, value: "Cameras (checked)", source: "reused", reused_from: human1.id },
    { row_number: 2, value: "Printers (checked)", source: "reused", reused_from: human2.id },
    { row_number: 3, value: week1Rows[0].category, source: "reused", reused_from: seed0.id },
    { row_number: 4, value: week1Rows[1].category, source: "reused", reused_from: seed0.id + 1 },
  ]);

  await worker.idle();
  // The reused rows never enter the review queue; the 30 new ones do.
  const page = await getJson<ReviewPage>(`/products-for-review?import_id=${week2.import_id}&limit=200`);
  assert.equal(page.total, 30);
  assert.ok(
    page.items.every((item) => item.row_number > 4),
    JSON.stringify(page.items.map((i) => i.row_number)),
  );

  // Copies are not new evidence: training reads the 10 seeds and 2 decisions of week 1 only.
  const training = await readTrainingRows(db, TEST_MODEL_ID);
  assert.equal(training.length, 12);

  // The imports list shows both files in one dataset, with the reused count and a finished ETA.
  const list = await getJson<ImportProgress[]>("/imports");
  const second = list.find((item) => item.id === week2.import_id)!;
  assert.equal(second.dataset_id, week1.import_id);
  assert.equal(second.reused_count, 4);
  assert.equal(second.reviewed_count, 0);
  assert.equal(second.embedded_count, 34);
  assert.equal(second.eta_seconds, 0);
  // Embedded in the last minute by the worker above: a real, positive rate.
  assert.ok(second.embedding_rate > 0, `rate ${second.embedding_rate}`);
});

test("appending a file whose columns differ answers 422 naming them and writes nothing", async () => {
  const before = await count(sql`SELECT count(*)::int AS count FROM products`);
  const rows = all.slice(60, 63).map(({ brand: _brand, ...row }) => ({ ...row, colour: "red" }));
  const body = await refused(await upload(rows, `file_name=odd.csv&append_to=${week1.import_id}`), 422);
  assert.match(body.error.message, /Cannot append "odd\.csv" to import \d+: the columns differ/);
  assert.ok(body.error.details?.includes('Missing: "brand"'), JSON.stringify(body.error.details));
  assert.ok(body.error.details?.includes('Extra: "colour"'), JSON.stringify(body.error.details));
  assert.equal(await count(sql`SELECT count(*)::int AS count FROM products`), before);
  const [failed] = await db.query<{ status: string; row_count: number }>(sql`
    SELECT status, row_count FROM imports WHERE file_name = 'odd.csv'`);
  assert.deepEqual(failed, { status: "failed", row_count: 0 });
});

test("appending with other text or label columns than the dataset's is refused", async () => {
  const rows = all.slice(60, 62);
  const text = await refused(
    await upload(rows, `file_name=t.csv&append_to=${week1.import_id}&text_columns=brand`),
    422,
  );
  assert.match(text.error.message, /its text columns are "title", not "brand"/);
  const label = await refused(
    await upload(rows, `file_name=l.csv&append_to=${week1.import_id}&label_column=brand`),
    422,
  );
  assert.match(label.error.message, /its label column is "category", not "brand"/);
});

test("appending to a missing or a failed import is refused", async () => {
  const rows = all.slice(60, 62);
  const missing = await refused(await upload(rows, "file_name=x.csv&append_to=999999"), 404);
  assert.equal(missing.error.message, 'Cannot append "x.csv" to import 999999: there is no such import');
  const [failed] = await db.query<{ id: number }>(sql`SELECT id FROM imports WHERE file_name = 'odd.csv'`);
  const onFailed = await refused(await upload(rows, `file_name=y.csv&append_to=${failed.id}`), 422);
  assert.match(onFailed.error.message, /that import failed/);
  const invalid = await refused(await upload(rows, "file_name=z.csv&append_to=abc"), 422);
  assert.match(invalid.error.message, /append_to/);
});

test("DELETE /imports/:id removes one file's rows and everything hanging off them, and nothing else", async () => {
  const other = await created(await upload(all.slice(0, 12), "file_name=other.csv"));
  await worker.idle();
  const third = await created(
    await upload(all.slice(70, 80), `file_name=week3.csv&append_to=${week1.import_id}`),
  );
  await worker.idle();
  const countsOf = async (importId: number) => ({
    products: await count(sql`SELECT count(*)::int AS count FROM products WHERE import_id = ${importId}`),
    embeddings: await count(sql`
      SELECT count(*)::int AS count FROM embeddings JOIN products ON products.id = embeddings.product_id
      WHERE products.import_id = ${importId}`),
    suggestions: await count(sql`
      SELECT count(*)::int AS count FROM suggestions JOIN products ON products.id = suggestions.product_id
      WHERE products.import_id = ${importId}`),
  });
  const otherBefore = await countsOf(other.import_id);
  assert.ok(otherBefore.embeddings === 12 && otherBefore.suggestions > 0, JSON.stringify(otherBefore));

  // Week 1 holds two people's decisions: deleting it needs confirm=true.
  const unconfirmed = await refused(
    await app.request(`/imports/${week1.import_id}`, { method: "DELETE" }),
    409,
  );
  assert.match(unconfirmed.error.message, /2 of its rows were reviewed .* send confirm=true/);
  assert.equal((await countsOf(week1.import_id)).products, 60);

  const response = await app.request(`/imports/${week1.import_id}?confirm=true`, { method: "DELETE" });
  const deleted = await response.json() as ImportDeleted;
  assert.equal(response.status, 200, JSON.stringify(deleted));
  assert.deepEqual(deleted, { import_id: week1.import_id, deleted_products: 60, deleted_reviewed: 2 });
  assert.deepEqual(await countsOf(week1.import_id), { products: 0, embeddings: 0, suggestions: 0 });
  assert.equal(
    await count(
      sql`SELECT count(*)::int AS count FROM feedback WHERE product_id IN (${human1.id}, ${human2.id})`,
    ),
    0,
  );
  assert.equal(await count(sql`SELECT count(*)::int AS count FROM imports WHERE id = ${week1.import_id}`), 0);
  // The other dataset is untouched; the files appended to week 1 stay, still one dataset.
  assert.deepEqual(await countsOf(other.import_id), otherBefore);
  assert.equal((await countsOf(third.import_id)).products, 10);
  const list = await getJson<ImportProgress[]>("/imports");
  assert.equal(list.find((item) => item.id === third.import_id)?.dataset_id, week1.import_id);

  await refused(await app.request(`/imports/${week1.import_id}`, { method: "DELETE" }), 404);
  await refused(await app.request("/imports/abc", { method: "DELETE" }), 422);
});
