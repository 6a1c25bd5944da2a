/**
 * POST /upload-csv against the real (in-memory PGlite) database: what a good file writes, and that every
 * refused file answers with its status and a message naming the problem, leaves no rows behind and is
 * recorded as a failed import.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import Papa from "papaparse";
import type { ApiError, ImportCreated } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { datasetRows, openTestDatabase, TEST_MODEL_ID, toCsv } from "../../testing/testing.ts";

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 });
const smallApp = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1000 });
after(() => db.close());

type Row = Record<string, string>;

/** Real rows plus the awkward ones a supplier file holds. */
function trickyRows(): Row[] {
  const rows: Row[] = datasetRows(20).map((row) => ({ ...row }));
  rows.push(
    {
      id: "t1",
      title: 'Canon "PowerShot" A590, 8MP, with "quotes", and commas',
      category: "point, shoot",
      brand: "canon",
      modelno: "",
      price: "99.00",
    },
    {
      id: "t2",
      title: "line one\nline two\r\nline three",
      category: "multi\nline",
      brand: "acme",
      modelno: "m-2",
      price: "1",
    },
    {
      id: "t3",
      title: "Café crème – 日本語のタイトル 🚀 naïve ß",
      category: "ünïcödé",
      brand: "Łódź",
      modelno: "ä-1",
      price: "€5",
    },
    {
      id: "t4",
      title: "<img src=x onerror=alert(1)>",
      category: "  padded label  ",
      brand: "<script>alert('x')</script>",
      modelno: "'; DROP TABLE products; --",
      price: "=1+1",
    },
    { id: "t5", title: "  a row with no label  ", category: "", brand: "", modelno: "", price: "" },
  );
  return rows;
}

/** The tests here upload the same rows in several shapes: each is read as a new dataset. */
function anyway(query: string): string {
  return `${query}${query.includes("?") ? "&" : "?"}on_duplicate=import`;
}

function postCsv(body: BodyInit, query = "", type = "text/csv", target = app): Promise<Response> {
  return Promise.resolve(
    target.request(`/upload-csv${anyway(query)}`, {
      method: "POST",
      headers: { "content-type": type },
      body,
    }),
  );
}

function postForm(form: FormData, query = "", target = app): Promise<Response> {
  return Promise.resolve(target.request(`/upload-csv${anyway(query)}`, { method: "POST", body: form }));
}

function csvForm(content: BlobPart, fileName: string, fields: Record<string, string> = {}): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", new File([content], fileName, { type: "text/csv" }));
  return form;
}

interface Totals {
  products: number;
  queue: number;
  labels: number;
  imported: number;
  failed: number;
}

async function totals(): Promise<Totals> {
  const [row] = await db.query<Totals>(sql`
    SELECT (SELECT count(*)::int FROM products) AS products,
           (SELECT count(*)::int FROM embedding_queue) AS queue,
           (SELECT count(*)::int FROM product_labels) AS labels,
           (SELECT count(*)::int FROM imports WHERE status = 'imported') AS imported,
           (SELECT count(*)::int FROM imports WHERE status = 'failed') AS failed`);
  return row;
}

/** Runs `send` and checks the refusal: status, message, the error shape, nothing written, failure recorded. */
async function assertRefused(
  send: () => Promise<Response>,
  expected: { status: number; message: RegExp; fileName: string },
): Promise<ApiError> {
  const before = await totals();
  const response = await send();
  const body = await response.json() as ApiError;
  assert.equal(response.status, expected.status, JSON.stringify(body));
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.equal(body.error.status, expected.status);
  assert.match(body.error.message, expected.message);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(await totals(), { ...before, failed: before.failed + 1 });
  const [failed] = await db.query<{ file_name: string; status: string; error: string; row_count: number }>(
    sql`
    SELECT file_name, status, error, row_count FROM imports ORDER BY id DESC LIMIT 1`,
  );
  assert.deepEqual(failed, {
    file_name: expected.fileName,
    status: "failed",
    error: body.error.message,
    row_count: 0,
  });
  return body;
}

async function productsOf(importId: number) {
  return await db.query<{ row_number: number; data: Row; text: string; seed_label: string | null }>(sql`
    SELECT row_number, data, text, seed_label FROM products WHERE import_id = ${importId} ORDER BY row_number`);
}

/** Checks everything one successful import of `rows` (label column `category`) wrote. */
async function assertImported(created: ImportCreated, rows: Row[], fileName: string): Promise<void> {
  const labelled = rows.filter((row) => row.category.trim() !== "");
  assert.equal(created.file_name, fileName);
  assert.equal(created.row_count, rows.length);
  assert.equal(created.labelled_count, labelled.length);
  assert.deepEqual(created.columns, ["id", "title", "category", "brand", "modelno", "price"]);
  assert.deepEqual(created.text_columns, ["title"]);
  assert.equal(created.label_column, "category");

  const products = await productsOf(created.import_id);
  assert.equal(products.length, rows.length);
  products.forEach((product, index) => {
    assert.equal(product.row_number, index + 1);
    assert.deepEqual(product.data, rows[index], `data of row ${index + 1} is the original row`);
    // An image tag alone has no visible text (api_upload_formats_test.ts covers HTML values).
    const visible = rows[index].id === "t4" ? "" : rows[index].title.trim();
    assert.equal(product.text, visible, `text of row ${index + 1}`);
    assert.equal(product.seed_label, rows[index].category.trim() || null);
  });

  const labels = await db.query<{ row_number: number; value: string; source: string }>(sql`
    SELECT products.row_number, product_labels.value, product_labels.source
    FROM product_labels JOIN products ON products.id = product_labels.product_id
    WHERE products.import_id = ${created.import_id} ORDER BY products.row_number`);
  assert.deepEqual(
    labels,
    rows.flatMap((row, index) =>
      row.category.trim() ? [{ row_number: index + 1, value: row.category.trim(), source: "seed" }] : []
    ),
  );

  const queue = await db.query<{ model_id: string; attempts: number; locked_by: string | null }>(sql`
    SELECT embedding_queue.model_id, embedding_queue.attempts, embedding_queue.locked_by
    FROM embedding_queue JOIN products ON products.id = embedding_queue.product_id
    WHERE products.import_id = ${created.import_id}`);
  assert.equal(queue.length, rows.length);
  assert.ok(queue.every((item) => item.model_id === TEST_MODEL_ID && item.attempts === 0 && !item.locked_by));

  const [imported] = await db.query(sql`
    SELECT file_name, status, error, columns, text_columns, label_column, row_count, labelled_count
    FROM imports WHERE id = ${created.import_id}`);
  assert.deepEqual(imported, {
    file_name: fileName,
    status: "imported",
    error: null,
    columns: created.columns,
    text_columns: ["title"],
    label_column: "category",
    row_count: rows.length,
    labelled_count: labelled.length,
  });
}

test("POST /upload-csv imports a raw text/csv body with options in the query string, storing every row verbatim", async () => {
  const rows = trickyRows();
  const response = await postCsv(toCsv(rows), "?label_column=category&file_name=walmart.csv");
  const created = await response.json() as ImportCreated;
  assert.equal(response.status, 201, JSON.stringify(created));
  await assertImported(created, rows, "walmart.csv");
  // The HTML payload is data, stored and returned byte for byte, never escaped or executed.
  const [html] = await db.query<{ title: string; brand: string }>(sql`
    SELECT data->>'title' AS title, data->>'brand' AS brand FROM products
    WHERE import_id = ${created.import_id} AND data->>'id' = 't4'`);
  assert.deepEqual(html, { title: "<img src=x onerror=alert(1)>", brand: "<script>alert('x')</script>" });
});

test("POST /upload-csv imports multipart/form-data with the file in `file` and options as form fields", async () => {
  const rows = trickyRows();
  const response = await postForm(csvForm(toCsv(rows), "supplier export.csv", { label_column: "category" }));
  const created = await response.json() as ImportCreated;
  assert.equal(response.status, 201, JSON.stringify(created));
  await assertImported(created, rows, "supplier export.csv");
});

test("POST /upload-csv embeds title-like columns by default and never the label column", async () => {
  const rows = [
    { sku: "A-1", name: "koss eq50 equalizer", description: "3-band stereo", category_name: "audio" },
    { sku: "A-2", name: "kodak black ink", description: "cartridge 10b", category_name: "ink" },
  ];
  const response = await postCsv(toCsv(rows), "?label_column=category_name");
  const created = await response.json() as ImportCreated;
  assert.equal(response.status, 201, JSON.stringify(created));
  // category_name looks descriptive, but it is the answer: it must not be embedded.
  assert.deepEqual(created.text_columns, ["name", "description"]);
  const products = await productsOf(created.import_id);
  assert.deepEqual(products.map((product) => product.text), [
    "koss eq50 equalizer | 3-band stereo",
    "kodak black ink | cartridge 10b",
  ]);
  assert.deepEqual(products.map((product) => product.seed_label), ["audio", "ink"]);
});

test("POST /upload-csv falls back to wordy columns when no column is title-like", async () => {
  const rows = [
    { sku: "A-1", brand: "sony", price: "9.99", group: "cameras" },
    { sku: "A-2", brand: "canon eos", price: "10.50", group: "tv" },
  ];
  const response = await postCsv(toCsv(rows), "?label_column=group");
  const created = await response.json() as ImportCreated;
  assert.equal(response.status, 201, JSON.stringify(created));
  assert.deepEqual(created.text_columns, ["brand"]);
  assert.deepEqual((await productsOf(created.import_id)).map((product) => product.text), [
    "sony",
    "canon eos",
  ]);
});

test("POST /upload-csv embeds the explicit text_columns in the order given", async () => {
  const rows = datasetRows(3).map((row) => ({ ...row }));
  const response = await postCsv(toCsv(rows), "?text_columns=brand,%20title&label_column=category");
  const created = await response.json() as ImportCreated;
  assert.equal(response.status, 201, JSON.stringify(created));
  assert.deepEqual(created.text_columns, ["brand", "title"]);
  assert.deepEqual(
    (await productsOf(created.import_id)).map((product) => product.text),
    rows.map((row) => `${row.brand} | ${row.title}`),
  );
  const [imported] = await db.query<{ text_columns: string[] }>(sql`
    SELECT text_columns FROM imports WHERE id = ${created.import_id}`);
  assert.deepEqual(imported.text_columns, ["brand", "title"]);
});

test("POST /upload-csv refuses unknown text or label columns with 422 naming them", async () => {
  const csv = toCsv(datasetRows(3).map((row) => ({ ...row })));
  const body = await assertRefused(
    () => postCsv(csv, "?text_columns=title,colour&file_name=a.csv"),
    { status: 422, message: /no column named "colour"/, fileName: "a.csv" },
  );
  assert.deepEqual(body.error.details, [
    "The header (line 1) has: id, title, category, brand, modelno, price",
  ]);
  await assertRefused(
    () => postForm(csvForm(csv, "b.csv", { label_column: "kategorie" })),
    { status: 422, message: /no column named "kategorie"/, fileName: "b.csv" },
  );
});

test("POST /upload-csv refuses a label column that is also a text column with 422", async () => {
  const csv = toCsv(datasetRows(3).map((row) => ({ ...row })));
  await assertRefused(
    () => postCsv(csv, "?text_columns=title,category&label_column=category"),
    {
      status: 422,
      message: /"category" cannot be both a text column and the label column/,
      fileName: "upload.csv",
    },
  );
});

test("POST /upload-csv refuses an empty file with 422", async () => {
  await assertRefused(() => postCsv("", "?file_name=empty.csv"), {
    status: 422,
    message: /"empty\.csv": the file is empty/,
    fileName: "empty.csv",
  });
  await assertRefused(() => postCsv("\r\n\n  \n", "?file_name=blank.csv"), {
    status: 422,
    message: /"blank\.csv": the file has no rows/,
    fileName: "blank.csv",
  });
});

test("POST /upload-csv refuses a header with no rows below it with 422", async () => {
  await assertRefused(() => postCsv("title,category\r\n", "?file_name=header.csv"), {
    status: 422,
    message: /"header\.csv": the header \(line 1\) has no data rows below it/,
    fileName: "header.csv",
  });
});

test("POST /upload-csv refuses ragged rows with 422 and their file lines in details", async () => {
  // A quoted newline and a blank line count as file lines: the short row is on line 4, the long on 7.
  const csv = 'id,title,category\n1,"two\nlines",a\n2,short\n3,"quoted, fine",c\n\n4,a,b,c\n5,ok,e\n';
  const body = await assertRefused(() => postCsv(csv, "?file_name=ragged.csv"), {
    status: 422,
    message: /"ragged\.csv": line 4 has 2 fields, the header \(line 1\) has 3 \(and 1 more: see details\)/,
    fileName: "ragged.csv",
  });
  assert.deepEqual(body.error.details, [
    "line 4 has 2 fields, the header (line 1) has 3",
    "line 7 has 4 fields, the header (line 1) has 3",
  ]);
});

test("POST /upload-csv refuses NUL bytes with 415", async () => {
  await assertRefused(() => postCsv("title,category\nmou\0se,mice\n", "?file_name=nul.csv"), {
    status: 415,
    message: /"nul\.csv": byte 18 \(line 2, column 4\) is a NUL byte/,
    fileName: "nul.csv",
  });
});

test("POST /upload-csv refuses gzip bytes with 415", async () => {
  const gzip = gzipSync(toCsv(datasetRows(5).map((row) => ({ ...row }))));
  await assertRefused(() => postCsv(gzip, "?file_name=rows.csv.gz", "application/octet-stream"), {
    status: 415,
    message: /"rows\.csv\.gz": it is gzip-compressed/,
    fileName: "rows.csv.gz",
  });
});

test("POST /upload-csv refuses a zip that is not a workbook with 415, raw or multipart", async () => {
  const zip = new Uint8Array([
    0x50,
    0x4b,
    0x03,
    0x04,
    0x14,
    0x00,
    0x06,
    0x00,
    ...Buffer.from("[Content_Types].xml"),
  ]);
  await assertRefused(() => postCsv(zip, "?file_name=book.zip", "application/octet-stream"), {
    status: 415,
    message: /"book\.zip": it is a zip archive but not an Excel workbook/,
    fileName: "book.zip",
  });
  const form = new FormData();
  form.append(
    "file",
    new File([zip], "book.xlsx", {
      type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }),
  );
  await assertRefused(() => postForm(form), {
    status: 415,
    message: /"book\.xlsx": it is a zip archive but not an Excel workbook/,
    fileName: "book.xlsx",
  });
});

test("POST /upload-csv refuses a body of the wrong content type with 415 naming it", async () => {
  await assertRefused(() => postCsv("%PDF-1.4\n%âãÏÓ\n", "?file_name=catalogue.pdf", "application/pdf"), {
    status: 415,
    message: /Cannot import a body of type "application\/pdf"/,
    fileName: "catalogue.pdf",
  });
});

test("POST /upload-csv refuses a multipart form without a `file` field with 422", async () => {
  const form = new FormData();
  form.append("upload", new File(["title\nx\n"], "wrong-field.csv", { type: "text/csv" }));
  await assertRefused(() => postForm(form), {
    status: 422,
    message: /the form has no file in the field "file"/,
    fileName: "upload.csv",
  });
});

test("POST /upload-csv refuses a file over maxUploadBytes with 413, raw or multipart", async () => {
  const csv = toCsv(datasetRows(60).map((row) => ({ ...row })));
  assert.ok(csv.length > 1000 && csv.length < 64 * 1024);
  const tooLarge = /larger than the limit of 1000 bytes/;
  await assertRefused(() => postCsv(csv, "?file_name=big.csv", "text/csv", smallApp), {
    status: 413,
    message: tooLarge,
    fileName: "big.csv",
  });
  await assertRefused(() => postForm(csvForm(csv, "big-form.csv"), "", smallApp), {
    status: 413,
    message: tooLarge,
    fileName: "big-form.csv",
  });
  // A declared length far over the limit is refused before the body is read.
  const huge = "title\n" + "x".repeat(100 * 1024) + "\n";
  await assertRefused(
    () =>
      Promise.resolve(smallApp.request("/upload-csv?file_name=huge.csv", {
        method: "POST",
        headers: { "content-type": "text/csv", "content-length": String(huge.length) },
        body: huge,
      })),
    { status: 413, message: tooLarge, fileName: "huge.csv" },
  );
  // Just under the limit is fine.
  const fits = toCsv(datasetRows(5).map((row) => ({ ...row })));
  assert.ok(fits.length < 1000);
  assert.equal((await postCsv(fits, "", "text/csv", smallApp)).status, 201);
});

test("POST /upload-csv leaves no rows behind when the last of 1600 rows is ragged, after 500-row batches were written", async () => {
  const nextId = async () =>
    (await db.query<{ id: number }>(
      sql`SELECT nextval(pg_get_serial_sequence('products', 'id'))::int AS id`,
    ))[0]
      .id;
  const csv = toCsv(datasetRows(1599).map((row) => ({ ...row }))) + "\r\n1599,a ragged last row\r\n";
  const before = await nextId();
  // The line of the ragged row, counted in the text as an editor does (a blank line comes before it).
  const line = csv.slice(0, csv.indexOf("1599,a ragged")).split(/\r\n|\n|\r/).length;
  assert.ok(line > 1600);
  const body = await assertRefused(() => postCsv(csv, "?file_name=late.csv&label_column=category"), {
    status: 422,
    message: new RegExp(`"late\\.csv": line ${line} has 2 fields, the header \\(line 1\\) has 6$`),
    fileName: "late.csv",
  });
  assert.deepEqual(body.error.details, [`line ${line} has 2 fields, the header (line 1) has 6`]);
  // Identity values are never rolled back: 1500 ids were taken, so three batches were inserted, then undone.
  assert.ok(
    (await nextId()) - before - 1 >= 1500,
    "rows were written inside the transaction before the failure",
  );
});

test("POST /upload-csv reads a UTF-8 file that starts with a BOM", async () => {
  const rows = datasetRows(4).map((row) => ({ title: row.title, category: row.category }));
  const response = await postCsv("\uFEFF" + toCsv(rows), "?label_column=category");
  const created = await response.json() as ImportCreated;
  assert.equal(response.status, 201, JSON.stringify(created));
  assert.deepEqual(created.columns, ["title", "category"]);
  assert.deepEqual(created.text_columns, ["title"]);
  assert.deepEqual((await productsOf(created.import_id)).map((product) => product.data), rows);
});

test("POST /upload-csv reads semicolon- and tab-delimited files", async () => {
  const rows = datasetRows(6).map((row) => ({ title: row.title, category: row.category, price: row.price }));
  rows[2].title = "sony 16gb memory stick, black, 2-pack";
  for (const delimiter of [";", "\t"]) {
    const response = await postCsv(Papa.unparse(rows, { delimiter }), "?label_column=category");
    const created = await response.json() as ImportCreated;
    assert.equal(response.status, 201, JSON.stringify(created));
    assert.deepEqual(created.columns, ["title", "category", "price"]);
    assert.equal(created.labelled_count, rows.filter((row) => row.category).length);
    assert.deepEqual((await productsOf(created.import_id)).map((product) => product.data), rows);
  }
});
