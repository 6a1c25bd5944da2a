/**
 * Texts that look the same and are stored differently (decomposed accents, zero-width and no-break
 * spaces, other case) through the API, against the real database, worker and embedding model: the
 * exact-match memory suggests a person's value for the look-alike, an appended file reuses the decision,
 * the review queue's search ignores accents, and every value is stored as uploaded.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { ImportCreated, ReviewPage } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { openTestDatabase, startTestWorker, TEST_MODEL_ID, toCsv } from "../../testing/testing.ts";

type Row = Record<string, string>;

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
const worker = await startTestWorker(db);
after(async () => {
  await worker.stop();
  await db.close();
});

async function upload(rows: Row[], query: string): Promise<ImportCreated> {
  const response = await app.request(`/upload-csv?${query}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: toCsv(rows),
  });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  return body as ImportCreated;
}

async function stored(importId: number): Promise<{ id: number; data: Row }[]> {
  return await db.query<{ id: number; data: Row }>(
    sql`SELECT id, data FROM products WHERE import_id = ${importId} ORDER BY row_number`,
  );
}

const DECIDED: Row[] = [
  { title: "Café crème frother", category: "Kitchen" },
  { title: "Garden hose 20 m", category: "Garden" },
  { title: "Desk lamp", category: "Office" },
];

const LOOK_ALIKES: Row[] = [
  { title: "Cafe\u0301 cre\u0300me frother" },
  { title: "Garden\u200b hose 20\u00a0m" },
  { title: "Crème brûlée torch" },
  { title: "creme jug" },
  { title: "Crema espresso cups" },
];

let shop: ImportCreated;
let supplier: ImportCreated;

test("the exact-match memory gives a look-alike text the value a person gave", async () => {
  shop = await upload(DECIDED, "file_name=shop.csv&text_columns=title&label_column=category");
  supplier = await upload(LOOK_ALIKES, "file_name=supplier.csv&text_columns=title");
  await worker.idle();
  const rows = await stored(supplier.import_id);
  // Stored as uploaded, byte for byte.
  assert.deepEqual(rows.map((row) => row.data), LOOK_ALIKES);
  const suggestions = await db.query<{ product_id: number; value: string; source: string }>(sql`
    SELECT product_id, value, source FROM suggestions WHERE product_id = ANY(${
    rows.map((r) => r.id)
  }::int[])`);
  const of = (index: number) => suggestions.find((s) => s.product_id === rows[index].id);
  assert.deepEqual([of(0)?.value, of(0)?.source], ["Kitchen", "memory"]);
  assert.deepEqual([of(1)?.value, of(1)?.source], ["Garden", "memory"]);
  assert.notEqual(of(2)?.source, "memory");
});

test("searching `crème` finds the decomposed row and `creme`, not `crema`", async () => {
  const rows = await stored(supplier.import_id);
  for (const query of ["crème", "CRÈME", "cre\u0300me", "creme"]) {
    const response = await app.request(
      `/products-for-review?import_id=${supplier.import_id}&q=${encodeURIComponent(query)}`,
    );
    assert.equal(response.status, 200);
    const page = await response.json() as ReviewPage;
    assert.deepEqual(
      page.items.map((item) => item.product_id).sort((a, b) => a - b),
      [rows[0].id, rows[2].id, rows[3].id],
      query,
    );
  }
});

test("an appended file reuses the decision on a look-alike text", async () => {
  const week2: Row[] = [
    { title: "CAFE\u0301  CRE\u0300ME\tFROTHER", category: "" },
    { title: "\ufeffGarden hose 20\u202fm", category: "" },
    { title: "Desk lamps", category: "" },
  ];
  const appended = await upload(week2, `file_name=shop2.csv&append_to=${shop.import_id}`);
  const rows = await stored(appended.import_id);
  assert.deepEqual(rows.map((row) => row.data), week2);
  const labels = await db.query<{ product_id: number; value: string; source: string }>(sql`
    SELECT product_id, value, source FROM product_labels WHERE product_id = ANY(${
    rows.map((r) => r.id)
  }::int[])
    ORDER BY product_id`);
  assert.deepEqual(labels.map(({ value, source }) => [value, source]), [
    ["Kitchen", "reused"],
    ["Garden", "reused"],
  ]);
});
