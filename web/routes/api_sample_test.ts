/**
 * POST /imports/sample against the real database: the bundled sample catalogue is imported like an upload
 * (every row of the file, its seed labels, the embedding queue), marked as a sample in GET /imports, refused
 * while it exists, and loadable again once deleted.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import Papa from "papaparse";
import type { ApiError, ImportCreated, ImportProgress } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";
import { SAMPLE_CATALOGUE_PATH } from "../../core/imports/sample_catalogue.ts";

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 });
after(() => db.close());

const file = Papa.parse<Record<string, string>>(fs.readFileSync(SAMPLE_CATALOGUE_PATH, "utf8"), {
  header: true,
  skipEmptyLines: true,
}).data;

function loadSample(): Promise<Response> {
  return Promise.resolve(app.request("/imports/sample", { method: "POST" }));
}

test("the bundled sample holds about a thousand rows, some with seed labels", () => {
  const labelled = file.filter((row) => row.category.trim() !== "");
  // Enough for a trained version from its seed labels; few enough to be embedded within a minute.
  assert.ok(file.length >= 1000 && file.length <= 2000, `${file.length} rows`);
  assert.ok(labelled.length > 0 && labelled.length < file.length, `${labelled.length} labelled`);
  assert.ok(new Set(labelled.map((row) => row.category)).size >= 10);
});

test("POST /imports/sample imports every row with its seed labels and marks the import as a sample", async () => {
  const response = await loadSample();
  assert.equal(response.status, 201, await response.clone().text());
  const created = await response.json() as ImportCreated & { sample: boolean };
  assert.equal(created.sample, true);
  assert.equal(created.row_count, file.length);
  assert.equal(created.labelled_count, file.filter((row) => row.category.trim() !== "").length);
  assert.deepEqual(created.text_columns, ["title", "brand"]);
  assert.equal(created.label_column, "category");

  const stored = await db.query<{ row_number: number; title: string; seed_label: string | null }>(sql`
    SELECT row_number, data->>'title' AS title, seed_label FROM products
    WHERE import_id = ${created.import_id} ORDER BY row_number`);
  assert.deepEqual(
    stored.map((row) => [row.title, row.seed_label]),
    file.map((row) => [row.title, row.category.trim() || null]),
  );
  const [queued] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM embedding_queue JOIN products ON products.id = embedding_queue.product_id
    WHERE products.import_id = ${created.import_id}`);
  assert.equal(queued.count, file.length);

  const list = await (await app.request("/imports")).json() as ImportProgress[];
  assert.deepEqual(list.map((item) => [item.id, item.sample]), [[created.import_id, true]]);
});

test("a second POST /imports/sample is refused while the sample exists, and works again after a delete", async () => {
  const [first] = await (await app.request("/imports")).json() as ImportProgress[];
  const again = await loadSample();
  assert.equal(again.status, 409);
  const body = await again.json() as ApiError;
  assert.match(body.error.message, new RegExp(`already import ${first.id}; delete that import`));
  const [count] = await db.query<{ imports: number }>(sql`SELECT count(*)::int AS imports FROM imports`);
  assert.equal(count.imports, 1, "a refused load leaves nothing behind");

  const deleted = await app.request(`/imports/${first.id}?confirm=true`, { method: "DELETE" });
  assert.equal(deleted.status, 200, await deleted.text());
  const reloaded = await loadSample();
  assert.equal(reloaded.status, 201);
});

test("an uploaded file is not a sample", async () => {
  const response = await app.request("/upload-csv?file_name=mine.csv", {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: "title,category\nhp 61 black ink cartridge,inkjet printer ink\n",
  });
  assert.equal(response.status, 201);
  const created = await response.json() as ImportCreated;
  const list = await (await app.request("/imports")).json() as ImportProgress[];
  assert.equal(list.find((item) => item.id === created.import_id)?.sample, false);
});
