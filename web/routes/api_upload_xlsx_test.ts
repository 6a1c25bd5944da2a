/**
 * POST /upload-csv with .xlsx workbooks as suppliers send them, built here (testing/xlsx_fixture.ts):
 * cells arrive as Excel shows them (long numbers in full, dates as ISO 8601, shared and inline strings),
 * from the first visible sheet or the one chosen, through the same header detection, validation and
 * duplicate check as a CSV file; zip bombs, oversized sheets, non-workbook zips, legacy .xls and damaged
 * workbooks are refused with nothing imported. Against the real (in-memory PGlite) database.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { strToU8, zipSync } from "fflate";
import type { ApiError, ImportCreated } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { IMPORT_LIMITS } from "../../core/imports/csv_import.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";
import { buildXlsx, type FixtureSheet, STYLE, workbookParts } from "../../testing/xlsx_fixture.ts";

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 });
after(() => db.close());

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

type Row = Record<string, string>;

async function post(
  body: Uint8Array<ArrayBuffer>,
  query: string,
): Promise<{ status: number; body: ImportCreated & ApiError }> {
  const response = await app.request(`/upload-csv?${query}&on_duplicate=import`, {
    method: "POST",
    headers: { "content-type": XLSX },
    body,
  });
  return { status: response.status, body: await response.json() };
}

async function rowsOf(importId: number): Promise<Row[]> {
  const products = await db.query<{ data: Row }>(
    sql`SELECT data FROM products WHERE import_id = ${importId} ORDER BY row_number`,
  );
  return products.map((product) => product.data);
}

async function imported(
  body: Uint8Array<ArrayBuffer>,
  query: string,
): Promise<{ created: ImportCreated; rows: Row[] }> {
  const { status, body: created } = await post(body, query);
  assert.equal(status, 201, JSON.stringify(created));
  return { created, rows: await rowsOf(created.import_id) };
}

async function totals(): Promise<{ products: number; imported: number; failed: number }> {
  const [row] = await db.query<{ products: number; imported: number; failed: number }>(sql`
    SELECT (SELECT count(*)::int FROM products) AS products,
           (SELECT count(*)::int FROM imports WHERE status = 'imported') AS imported,
           (SELECT count(*)::int FROM imports WHERE status = 'failed') AS failed`);
  return row;
}

/** Posts `body`, expects `status` and a message matching `message`; nothing imported, the failure kept. */
async function refused(
  body: Uint8Array<ArrayBuffer>,
  name: string,
  status: number,
  message: RegExp,
  query = "",
): Promise<string> {
  const before = await totals();
  const answer = await post(body, `file_name=${name}${query}`);
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.match(answer.body.error.message, message);
  assert.deepEqual(await totals(), { ...before, failed: before.failed + 1 });
  const [failed] = await db.query<{ file_name: string; error: string }>(
    sql`SELECT file_name, error FROM imports ORDER BY id DESC LIMIT 1`,
  );
  assert.deepEqual(failed, { file_name: name, error: answer.body.error.message });
  return answer.body.error.message;
}

const PRODUCTS: FixtureSheet = {
  name: "Products",
  rows: [
    ["sku", "ean", "title", "price", "listed", "updated", "discount", "stock", "active", "note"],
    [
      { v: "1" },
      { v: "4006381333931" },
      "Kettle 1.7 l",
      { v: "12.5", s: STYLE.twoDecimals },
      { v: "45352", s: STYLE.date },
      { v: "45352.6041666667", s: STYLE.dateTime },
      { v: "0.155", s: STYLE.percent },
      { v: "1234567", s: STYLE.thousands },
      { t: "b", v: "1" },
      { t: "inlineStr", v: "line one\nline two" },
    ],
    [
      { v: "2" },
      { v: "0123456789012", t: "s" },
      "Toaster <2 slots> & more",
      { v: "1E+20" },
      undefined,
      { v: "0.5", s: STYLE.time },
      { v: "0.1", s: STYLE.percent },
      { v: "2.2999999999999998" },
      { t: "b", v: "0" },
      { t: "e", v: "#N/A" },
    ],
    [{ v: "3" }, { v: "5901234123457", s: STYLE.text }, "Grill"],
  ],
};

test("an .xlsx upload imports its first sheet with the cells as Excel shows them", async () => {
  const { created, rows } = await imported(buildXlsx([PRODUCTS]), "file_name=products.xlsx");
  assert.equal(created.encoding, "xlsx");
  assert.deepEqual(created.columns, PRODUCTS.rows[0]);
  assert.deepEqual(rows, [
    {
      sku: "1",
      ean: "4006381333931",
      title: "Kettle 1.7 l",
      price: "12.50",
      listed: "2024-03-01",
      updated: "2024-03-01 14:30",
      discount: "15.50%",
      stock: "1,234,567",
      active: "TRUE",
      note: "line one\nline two",
    },
    {
      sku: "2",
      ean: "0123456789012",
      title: "Toaster <2 slots> & more",
      price: "100000000000000000000",
      listed: "",
      updated: "12:00:00",
      discount: "10.00%",
      stock: "2.3",
      active: "FALSE",
      note: "#N/A",
    },
    {
      sku: "3",
      ean: "5901234123457",
      title: "Grill",
      price: "",
      listed: "",
      updated: "",
      discount: "",
      stock: "",
      active: "",
      note: "",
    },
  ]);
});

test("the sheet is chosen by name or number; hidden sheets are not the default; an unknown one is refused", async () => {
  const hidden: FixtureSheet = { name: "Lookup", hidden: true, rows: [["code", "meaning"], ["a", "b"]] };
  const second: FixtureSheet = { name: "Week 2", rows: [["sku", "title"], [{ v: "9" }, "Lamp"]] };
  const workbook = buildXlsx([hidden, PRODUCTS, second]);
  assert.equal((await imported(workbook, "file_name=book.xlsx")).rows.length, 3, "the first visible sheet");
  assert.deepEqual((await imported(workbook, "file_name=book.xlsx&sheet=Week%202")).rows, [{
    sku: "9",
    title: "Lamp",
  }]);
  assert.deepEqual((await imported(workbook, "file_name=book.xlsx&sheet=1")).rows, [{
    code: "a",
    meaning: "b",
  }]);
  await refused(
    workbook,
    "book.xlsx",
    422,
    /"book\.xlsx": it has no sheet "Week 3"; its sheets are "Lookup", "Products", "Week 2"/,
    "&sheet=Week%203",
  );
});

test("a title above the table is skipped, and header_row names the sheet row", async () => {
  const sheet: FixtureSheet = {
    name: "Price list",
    rowNumbers: [1, 3, 4, 5],
    rows: [["Price list, March"], ["sku", "title", "brand"], [{ v: "1" }, "Kettle", "Acme"], [
      { v: "2" },
      "Toaster",
    ]],
  };
  const expected = [{ sku: "1", title: "Kettle", brand: "Acme" }, { sku: "2", title: "Toaster", brand: "" }];
  const detected = await imported(buildXlsx([sheet]), "file_name=titled.xlsx");
  assert.deepEqual(detected.rows, expected);
  const [{ header_line }] = await db.query<{ header_line: number }>(
    sql`SELECT header_line FROM imports WHERE id = ${detected.created.import_id}`,
  );
  assert.equal(header_line, 3);
  assert.deepEqual((await imported(buildXlsx([sheet]), "file_name=titled.xlsx&header_row=3")).rows, expected);
});

test("a zip bomb is refused with 413 and nothing imported, whatever its entries claim", async () => {
  const limit = IMPORT_LIMITS.xlsxUnpackedBytes;
  IMPORT_LIMITS.xlsxUnpackedBytes = 4 * 1024 * 1024;
  try {
    // A sheet part of 64 MiB of spaces deflates to ~64 KiB.
    const parts = workbookParts([{ name: "Sheet1", rows: [["sku"], [{ v: "1" }]] }]);
    const bomb = new Uint8Array(64 * 1024 * 1024).fill(0x20);
    parts["xl/worksheets/sheet1.xml"] = [bomb, { level: 9 }];
    const zipped = zipSync(parts) as Uint8Array<ArrayBuffer>;
    assert.ok(zipped.length < 1024 * 1024);
    await refused(zipped, "bomb.xlsx", 413, /unpacks to more than 4 MiB .*zip bomb/);
    // The same archive with every entry claiming to be small: the count is of what comes out.
    const lying = lieAboutSizes(zipped);
    await refused(lying, "lying.xlsx", 413, /unpacks to more than 4 MiB/);
  } finally {
    IMPORT_LIMITS.xlsxUnpackedBytes = limit;
  }
});

/** `archive` with the uncompressed size of every entry (local and central headers) set to 1. */
function lieAboutSizes(archive: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const copy = archive.slice();
  const view = new DataView(copy.buffer);
  for (let at = 0; at + 4 <= copy.length; at++) {
    const signature = view.getUint32(at, true);
    if (signature === 0x04034b50) view.setUint32(at + 22, 1, true);
    if (signature === 0x02014b50) view.setUint32(at + 24, 1, true);
  }
  return copy;
}

test("a sheet past the cell limit is refused with 413 and nothing imported", async () => {
  const limit = IMPORT_LIMITS.xlsxCells;
  IMPORT_LIMITS.xlsxCells = 100;
  try {
    const rows = Array.from({ length: 60 }, (_, index) => [{ v: String(index) }, `item ${index}`]);
    await refused(
      buildXlsx([{ name: "Big", rows: [["sku", "title"], ...rows] }]),
      "big.xlsx",
      413,
      /more than 100 cells/,
    );
  } finally {
    IMPORT_LIMITS.xlsxCells = limit;
  }
});

test("zips that are not workbooks, legacy .xls and damaged workbooks are refused, naming the file", async () => {
  const notWorkbook = zipSync({ "readme.txt": strToU8("hello") }) as Uint8Array<ArrayBuffer>;
  await refused(
    notWorkbook,
    "archive.xlsx",
    415,
    /"archive\.xlsx": it is a zip archive but not an Excel workbook/,
  );
  const ole = new Uint8Array(4096);
  ole.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
  await refused(ole, "old.xls", 415, /"old\.xls": it is a legacy Excel 97–2003 workbook/);
  const parts = workbookParts([PRODUCTS]);
  parts["xl/worksheets/sheet1.xml"] = strToU8(
    `<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>999</v></c></row></sheetData></worksheet>`,
  );
  await refused(
    zipSync(parts) as Uint8Array<ArrayBuffer>,
    "broken.xlsx",
    422,
    /"broken\.xlsx": the workbook is damaged: .*cell A1/,
  );
  // A deflate stream cut short.
  const cut = zipSync(workbookParts([PRODUCTS]));
  await refused(
    cut.slice(0, Math.floor(cut.length / 2)) as Uint8Array<ArrayBuffer>,
    "cut.xlsx",
    422,
    /"cut\.xlsx"/,
  );
});

test("an .xlsx file sent as multipart with the sheet as a field imports the same rows", async () => {
  const form = new FormData();
  form.append("sheet", "Products");
  form.append("file", new File([buildXlsx([PRODUCTS])], "form.xlsx", { type: XLSX }));
  const response = await app.request("/upload-csv?on_duplicate=import", { method: "POST", body: form });
  const created = await response.json() as ImportCreated;
  assert.equal(response.status, 201, JSON.stringify(created));
  assert.equal(created.file_name, "form.xlsx");
  assert.equal((await rowsOf(created.import_id)).length, 3);
});
