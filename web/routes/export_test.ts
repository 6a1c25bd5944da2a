/**
 * GET /export against the real (in-memory PGlite) database: files uploaded through POST /upload-csv,
 * suggestions written as the worker writes them, decisions through POST /submit-feedback, and every export
 * read back with papaparse (CSV) or JSON.parse (JSON Lines).
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import Papa from "papaparse";
import type { ApiError, ImportCreated } from "../../contract/schemas.ts";
import type { Database } from "../../core/db/database.ts";
import { sql } from "../../core/db/sql.ts";
import { datasetRows, openTestDatabase, TEST_MODEL_ID, toCsv } from "../../testing/testing.ts";

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 });
after(() => db.close());

type Row = Record<string, string>;
const META = ["normalised_value_source", "normalised_value_confidence", "normalised_value_model_version"];

async function upload(
  rows: Row[] | string,
  query = "?label_column=category",
  target = app,
): Promise<ImportCreated> {
  const response = await target.request(`/upload-csv${query}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: typeof rows === "string" ? rows : toCsv(rows),
  });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  return body as ImportCreated;
}

async function productIds(importId: number, database: Database = db): Promise<number[]> {
  const rows = await database.query<{ id: number }>(sql`
    SELECT id FROM products WHERE import_id = ${importId} ORDER BY row_number`);
  return rows.map((row) => row.id);
}

/** Writes a suggestion the way the worker does. */
async function suggest(productId: number, value: string, confidence: number, version: string | null) {
  await db.query(sql`
    INSERT INTO suggestions (product_id, value, confidence, source, model_version)
    VALUES (${productId}, ${value}, ${confidence}, 'knn', ${version})`);
}

async function decide(productId: number, decision: { approved: boolean; corrected_text?: string }) {
  const response = await app.request("/submit-feedback", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ product_id: productId, ...decision }),
  });
  assert.equal(response.status, 201, await response.text());
}

async function exportResponse(query: string, target = app): Promise<Response> {
  const response = await target.request(`/export${query}`);
  assert.equal(response.status, 200, response.status === 200 ? "" : await response.clone().text());
  return response;
}

/** The export parsed back: header and records. */
async function exportCsv(query: string, target = app): Promise<{ header: string[]; records: string[][] }> {
  const text = await (await exportResponse(query, target)).text();
  assert.ok(text.endsWith("\r\n"), "every record ends with CRLF");
  const parsed = Papa.parse<string[]>(text, { header: false, skipEmptyLines: true, newline: "\r\n" });
  assert.deepEqual(parsed.errors, []);
  const [header, ...records] = parsed.data;
  return { header, records };
}

async function assertRefused(path: string, status: number, message: RegExp): Promise<ApiError> {
  const response = await app.request(path);
  const body = await response.json() as ApiError;
  assert.equal(response.status, status, JSON.stringify(body));
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.equal(body.error.status, status);
  assert.match(body.error.message, message);
  return body;
}

const tricky: Row[] = [
  { id: "1", title: 'Canon "PowerShot", 8MP', category: "camera, compact", "=sum": "a" },
  { id: "2", title: "line one\nline two\r\nline three", category: "", "=sum": "b" },
  { id: "3", title: "Café crème – 日本語 🚀 naïve", category: "ünïcödé", "=sum": "c" },
  { id: "4", title: '=HYPERLINK("http://evil.example","click")', category: "", "=sum": "@SUM(1)" },
  { id: "5", title: "-2+3", category: "+cmd", "=sum": "\tindented" },
  { id: "6", title: "-5", category: "", "=sum": "+1.25" },
];

/** What each tricky cell becomes in a CSV export: formulas quoted away, plain numbers left alone. */
const NEUTRALISED: Record<string, string> = {
  "=sum": "'=sum",
  '=HYPERLINK("http://evil.example","click")': `'=HYPERLINK("http://evil.example","click")`,
  "@SUM(1)": "'@SUM(1)",
  "-2+3": "'-2+3",
  "+cmd": "'+cmd",
  "\tindented": "'\tindented",
};

test("GET /export round-trips quotes, commas, line breaks and unicode, and neutralises formula cells", async () => {
  const created = await upload(tricky, '?label_column=category&file_name=Café "Q3" feed.csv');
  const ids = await productIds(created.import_id);
  await suggest(ids[1], "camera", 0.75, "knn-v1");
  await suggest(ids[3], "=cmd|' /C calc'!A0", 0.5, null);

  const response = await exportResponse(`?import_id=${created.import_id}`);
  assert.equal(response.headers.get("content-type"), "text/csv; charset=utf-8");
  assert.equal(
    response.headers.get("content-disposition"),
    'attachment; filename="Cafe_Q3_feed-normalised.csv"',
  );
  const text = await response.text();
  const { header, records } = (() => {
    const parsed = Papa.parse<string[]>(text, { header: false, skipEmptyLines: true, newline: "\r\n" });
    assert.deepEqual(parsed.errors, []);
    return { header: parsed.data[0], records: parsed.data.slice(1) };
  })();
  assert.deepEqual(header, ["id", "title", "category", "'=sum", "normalised_value", ...META]);
  assert.equal(records.length, tricky.length);
  records.forEach((record, index) => {
    const original = ["id", "title", "category", "=sum"].map((name) => tricky[index][name]);
    assert.deepEqual(
      record.slice(0, 4),
      original.map((cell) => NEUTRALISED[cell] ?? cell),
      `row ${index + 1}`,
    );
  });
  // Seed labels, a suggestion, a formula suggestion (neutralised like any cell), and rows with nothing.
  assert.deepEqual(records.map((record) => record.slice(4)), [
    ["camera, compact", "seed", "", ""],
    ["camera", "model", "0.75", "knn-v1"],
    ["ünïcödé", "seed", "", ""],
    ["'=cmd|' /C calc'!A0", "model", "0.5", ""],
    ["'+cmd", "seed", "", ""],
    ["", "", "", ""],
  ]);
});

test("rows=reviewed exports only human decisions and rows=accepted every label: human, auto and seed", async () => {
  // The auto-accept source arrives with another migration; allow it here so the mapping is covered now.
  await db.query(sql`ALTER TABLE product_labels DROP CONSTRAINT IF EXISTS product_labels_source_check`);
  const rows = datasetRows(8).map(({ id, title, category }, index) => ({
    id,
    title,
    category: index < 2 ? category : "",
  }));
  const created = await upload(rows);
  const ids = await productIds(created.import_id);
  await suggest(ids[2], "printers", 0.9, "knn-v2");
  await suggest(ids[3], "cameras", 0.4, "knn-v2");
  await suggest(ids[4], "cables", 0.97, "knn-v2");
  await suggest(ids[5], "tablets", 0.6, "knn-v2");
  await decide(ids[2], { approved: true });
  await decide(ids[3], { approved: false, corrected_text: "camera bags" });
  await db.query(
    sql`INSERT INTO product_labels (product_id, value, source) VALUES (${ids[4]}, 'cables', 'auto')`,
  );

  const tail = (records: string[][]) => records.map((record) => [record[0], ...record.slice(3)]);
  const all = await exportCsv(`?import_id=${created.import_id}`);
  assert.deepEqual(all.header, ["id", "title", "category", "normalised_value", ...META]);
  assert.deepEqual(tail(all.records), [
    [rows[0].id, rows[0].category, "seed", "", ""],
    [rows[1].id, rows[1].category, "seed", "", ""],
    [rows[2].id, "printers", "human", "", ""],
    [rows[3].id, "camera bags", "human", "", ""],
    [rows[4].id, "cables", "auto", "0.97", "knn-v2"],
    [rows[5].id, "tablets", "model", "0.6", "knn-v2"],
    [rows[6].id, "", "", "", ""],
    [rows[7].id, "", "", "", ""],
  ]);
  const reviewed = await exportCsv(`?import_id=${created.import_id}&rows=reviewed`);
  assert.deepEqual(tail(reviewed.records), tail(all.records).slice(2, 4));
  const accepted = await exportCsv(`?import_id=${created.import_id}&rows=accepted`);
  assert.deepEqual(tail(accepted.records), tail(all.records).slice(0, 5));
  const response = await exportResponse(`?import_id=${created.import_id}&rows=accepted`);
  assert.match(response.headers.get("content-disposition") ?? "", /-normalised-accepted\.csv"$/);
  await response.body?.cancel();
});

test("value_column naming an existing column replaces its value in place; a new name is appended", async () => {
  const rows = [
    { sku: "a1", name: "Koss EQ50 equalizer", category: "audio gear", price: "12.65" },
    { sku: "a2", name: "Kodak ink 10B", category: "", price: "-1" },
    { sku: "a3", name: "Unlabelled thing", category: "raw supplier value", price: "3" },
  ];
  const created = await upload(rows, "?text_columns=name");
  const ids = await productIds(created.import_id);
  await decide(ids[0], { approved: false, corrected_text: "headphone accessories" });
  await suggest(ids[1], "inkjet printer ink", 0.8, "knn-v1");

  const replaced = await exportCsv(`?import_id=${created.import_id}&value_column=category&meta=false`);
  assert.deepEqual(replaced.header, ["sku", "name", "category", "price"]);
  // Every other cell as uploaded; the chosen column holds the value, empty where there is none yet.
  assert.deepEqual(replaced.records, [
    ["a1", "Koss EQ50 equalizer", "headphone accessories", "12.65"],
    ["a2", "Kodak ink 10B", "inkjet printer ink", "-1"],
    ["a3", "Unlabelled thing", "", "3"],
  ]);

  const appended = await exportCsv(`?import_id=${created.import_id}&value_column=clean_category`);
  assert.deepEqual(appended.header, [
    "sku",
    "name",
    "category",
    "price",
    "clean_category",
    "clean_category_source",
    "clean_category_confidence",
    "clean_category_model_version",
  ]);
  assert.deepEqual(appended.records.map((record) => record.slice(2)), [
    ["audio gear", "12.65", "headphone accessories", "human", "", ""],
    ["", "-1", "inkjet printer ink", "model", "0.8", "knn-v1"],
    ["raw supplier value", "3", "", "", "", ""],
  ]);

  // A file column of a generated name: the generated column takes the first free name, and says so.
  const clash = await upload(
    [{ title: "x", title_source: "supplier", title_source_2: "also taken" }],
    "?text_columns=title",
  );
  const response = await app.request(`/export?import_id=${clash.import_id}&value_column=title`);
  assert.equal(response.status, 200);
  assert.deepEqual(JSON.parse(decodeURIComponent(response.headers.get("x-export-notes")!)), [
    'The file already has a column "title_source": the export\'s source is in "title_source_3"',
  ]);
  const renamed = Papa.parse<string[]>((await response.text()).trim()).data;
  assert.deepEqual(renamed[0], [
    "title",
    "title_source",
    "title_source_2",
    "title_source_3",
    "title_confidence",
    "title_model_version",
  ]);
  assert.deepEqual(renamed[1].slice(1, 3), ["supplier", "also taken"]);
  await exportCsv(`?import_id=${clash.import_id}&value_column=title&meta=false`);
});

test("format=jsonl writes one JSON object per row in column order, typed and not neutralised", async () => {
  // "2024" comes second: a plain object would move an integer-like key to the front.
  const created = await upload(
    Papa.unparse({
      fields: ["title", "2024", "category"],
      data: [["=HYPERLINK(1)", "year col", "-2+3"], ["plain", "", ""], ["suggested", "x", ""]],
    }),
  );
  const ids = await productIds(created.import_id);
  await suggest(ids[2], "@thing", 0.25, "knn-v3");

  const response = await exportResponse(`?import_id=${created.import_id}&format=jsonl`);
  assert.equal(response.headers.get("content-type"), "application/jsonl; charset=utf-8");
  assert.match(response.headers.get("content-disposition") ?? "", /\.jsonl"$/);
  const text = await response.text();
  assert.ok(text.endsWith("}\n"));
  const lines = text.trimEnd().split("\n");
  assert.equal(lines.length, 3);
  const keys = ["title", "2024", "category", "normalised_value", ...META];
  for (const line of lines) {
    assert.deepEqual([...line.matchAll(/"([^"]+)":/g)].map((match) => match[1]), keys);
  }
  assert.deepEqual(lines.map((line) => JSON.parse(line)), [
    {
      "2024": "year col",
      title: "=HYPERLINK(1)",
      category: "-2+3",
      normalised_value: "-2+3",
      normalised_value_source: "seed",
      normalised_value_confidence: null,
      normalised_value_model_version: null,
    },
    {
      "2024": "",
      title: "plain",
      category: "",
      normalised_value: null,
      normalised_value_source: null,
      normalised_value_confidence: null,
      normalised_value_model_version: null,
    },
    {
      "2024": "x",
      title: "suggested",
      category: "",
      normalised_value: "@thing",
      normalised_value_source: "model",
      normalised_value_confidence: 0.25,
      normalised_value_model_version: "knn-v3",
    },
  ]);
});

test("import_id exports one import in its own column order; without it imports are united in first-seen order", async () => {
  const fresh = await openTestDatabase();
  try {
    const freshApp = await signedInApp({ db: fresh, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
    const first = await upload([{ id: "1", title: "Koss EQ50", category: "audio" }], undefined, freshApp);
    const second = await upload(
      [{ sku: "s9", colour: "red", title: "Kodak ink", category: "" }],
      "?text_columns=title",
      freshApp,
    );
    const only = await exportCsv(`?import_id=${second.import_id}&meta=false`, freshApp);
    assert.deepEqual(only.header, ["sku", "colour", "title", "category", "normalised_value"]);
    assert.deepEqual(only.records, [["s9", "red", "Kodak ink", "", ""]]);

    const everything = await exportCsv("?meta=false", freshApp);
    assert.deepEqual(everything.header, ["id", "title", "category", "sku", "colour", "normalised_value"]);
    assert.deepEqual(everything.records, [
      ["1", "Koss EQ50", "audio", "", "", "audio"],
      ["", "Kodak ink", "", "s9", "red", ""],
    ]);
    const jsonl = await (await exportResponse("?format=jsonl&meta=false", freshApp)).text();
    assert.deepEqual(JSON.parse(jsonl.split("\n")[0]), {
      id: "1",
      title: "Koss EQ50",
      category: "audio",
      sku: null,
      colour: null,
      normalised_value: "audio",
    });
    const response = await exportResponse("", freshApp);
    assert.equal(response.headers.get("content-disposition"), 'attachment; filename="csv-sorter-export.csv"');
    await response.body?.cancel();
    assert.ok(first.import_id < second.import_id);
  } finally {
    await fresh.close();
  }
  await assertRefused(
    "/export?import_id=999999",
    404,
    /^Cannot export import 999999: no import with that id$/,
  );
});

test("GET /export refuses invalid query parameters with 422 in the API's error shape", async () => {
  const cases: [string, RegExp][] = [
    ["rows=some", /^Invalid export query: rows: /],
    ["format=xlsx", /^Invalid export query: format: /],
    ["meta=yes", /^Invalid export query: meta: /],
    ["import_id=abc", /^Invalid export query: import_id: /],
    ["import_id=-3", /^Invalid export query: import_id: /],
    ["value_column=%20%20", /^Invalid export query: value_column: /],
    [`value_column=${"x".repeat(201)}`, /^Invalid export query: value_column: /],
  ];
  for (const [query, message] of cases) {
    const body = await assertRefused(`/export?${query}`, 422, message);
    assert.ok(body.error.details && body.error.details.length > 0, query);
  }
  const both = await assertRefused("/export?rows=some&format=xlsx", 422, /^Invalid export query: /);
  assert.equal(both.error.details?.length, 2);
});

test("GET /export streams its body chunk by chunk, one database page per chunk", async () => {
  const source = datasetRows(500);
  const rows = Array.from({ length: 2500 }, (_, i) => ({ ...source[i % source.length], id: String(i) }));
  const created = await upload(rows);
  const response = await exportResponse(`?import_id=${created.import_id}&meta=false`);
  assert.ok(response.body instanceof ReadableStream);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    chunks.push(decoder.decode(read.value, { stream: true }));
  }
  assert.equal(chunks.length, 3, "2,500 rows in pages of 1,000");
  assert.ok(chunks.slice(0, -1).every((chunk) => chunk.endsWith("\r\n")), "a chunk ends on a record");
  const parsed = Papa.parse<string[]>(chunks.join(""), { skipEmptyLines: true, newline: "\r\n" });
  assert.equal(parsed.data.length, 2501);
  assert.deepEqual(parsed.data.slice(1).map((record) => record[0]), rows.map((row) => row.id));
});

test("the imports page links an export per import and an export of everything", async () => {
  const html = await (await app.request("/")).text();
  assert.match(html, /href="\/export"[^>]*>\s*Export everything/);
  const [{ id }] = await db.query<{ id: number }>(sql`
    SELECT id FROM imports WHERE status = 'imported' ORDER BY id DESC LIMIT 1`);
  assert.match(html, new RegExp(`href="/export\\?import_id=${id}"[^>]*>\\s*Export\\s*<`));
});
