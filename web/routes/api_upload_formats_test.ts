/**
 * POST /upload-csv with supplier files as they arrive (web/routes/testdata/files/): every line ending,
 * Excel's `sep=` line and column padding, a title above the header, Windows-1252 and UTF-16 text. Each
 * file imports with the values a person sees in it, or is refused naming the file line; against the real
 * (in-memory PGlite) database.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import type { ApiError, ImportCreated } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 });
after(() => db.close());

type Row = Record<string, string>;

function corpus(name: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(fs.readFileSync(new URL(`./testdata/files/${name}`, import.meta.url)));
}

async function post(
  body: BodyInit,
  query: string,
): Promise<{ status: number; body: ImportCreated & ApiError }> {
  // Several files here hold the same rows in another shape: each is read as a new dataset unless the test
  // is about repeated files.
  const duplicates = query.includes("on_duplicate=") || query.includes("repeated_")
    ? ""
    : "&on_duplicate=import";
  const response = await app.request(`/upload-csv?${query}${duplicates}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body,
  });
  return { status: response.status, body: await response.json() };
}

async function imported(body: BodyInit, query: string): Promise<{ created: ImportCreated; rows: Row[] }> {
  const { status, body: created } = await post(body, query);
  assert.equal(status, 201, JSON.stringify(created));
  const products = await db.query<{ data: Row }>(
    sql`SELECT data FROM products WHERE import_id = ${created.import_id} ORDER BY row_number`,
  );
  return { created, rows: products.map((product) => product.data) };
}

async function refused(body: BodyInit, query: string): Promise<string> {
  const { status, body: answer } = await post(body, query);
  assert.equal(status, 422, JSON.stringify(answer));
  return answer.error.message;
}

const KETTLES: Row[] = [
  { sku: "1", brand: "Acme", title: "Kettle 1.7 l" },
  { sku: "2", brand: "Acme", title: "Toaster 2 slots" },
];

test("every line ending ends a record and no value keeps a stray CR", async () => {
  for (const name of ["lf_header_crlf_rows.csv", "crlf_header_lf_rows.csv", "cr_only.csv"]) {
    const { created, rows } = await imported(corpus(name), `file_name=${name}`);
    assert.deepEqual(created.columns, ["sku", "brand", "title"], name);
    assert.deepEqual(rows, KETTLES, name);
  }
});

test("line endings inside quotes stay in the value as they are", async () => {
  const { rows } = await imported(corpus("mixed_quoted_newlines.csv"), "file_name=quoted.csv");
  assert.deepEqual(rows, [
    { sku: "1", brand: "Acme", title: "Kettle\r\n1.7 l" },
    { sku: "2", brand: "Ac\rme", title: "Toaster\n2 slots" },
    { sku: "3", brand: "Acme", title: "Grill" },
  ]);
});

test("Excel's sep= line sets the delimiter and is not a record", async () => {
  const cases: [string, string][] = [
    ["sep_semicolon.csv", "Kettle, 1.7 l"],
    ["sep_tab.csv", "Kettle, 1.7 l"],
    ["sep_pipe.csv", "Kettle, 1.7 l"],
    ["sep_comma.csv", "Kettle; 1.7 l"],
  ];
  for (const [name, title] of cases) {
    const { created, rows } = await imported(corpus(name), `file_name=${name}`);
    assert.deepEqual(created.columns, ["sku", "brand", "title"], name);
    assert.equal(created.header_line, 2, name);
    assert.equal(rows[0].title, title, name);
    assert.equal(rows.length, 2, name);
  }
});

test("Excel's empty padding columns are dropped; an unnamed column with values gets a free name", async () => {
  const padded = await imported(corpus("excel_padding.csv"), "file_name=padded.csv");
  assert.deepEqual(padded.created.columns, ["name", "maker", "group"]);
  assert.deepEqual(padded.created.dropped_columns, ["column_4", "column_5", "column_6"]);
  assert.deepEqual(padded.rows, [
    { name: "Drill 18V", maker: "Acme", group: "Tools" },
    { name: "Saw", maker: "Acme", group: "Tools" },
  ]);
  const [stored] = await db.query<{ columns: string[] }>(
    sql`SELECT columns FROM imports WHERE id = ${padded.created.import_id}`,
  );
  assert.deepEqual(stored.columns, ["name", "maker", "group"]);

  // Column 2 has a value, but a real column is already called "column_2"; column 4 is empty padding.
  const named = await imported(corpus("unnamed_with_values.csv"), "file_name=unnamed.csv");
  assert.deepEqual(named.created.columns, ["name", "column_2_2", "column_2"]);
  assert.deepEqual(named.created.dropped_columns, ["column_4"]);
  assert.deepEqual(named.rows, [
    { name: "Drill 18V", column_2_2: "blue", column_2: "Tools" },
    { name: "Saw", column_2_2: "", column_2: "Tools" },
  ]);
});

test("a title and a blank line above the header are skipped; header_row chooses another line", async () => {
  const { created, rows } = await imported(corpus("price_list.csv"), "file_name=prices.csv");
  assert.equal(created.header_line, 3);
  assert.deepEqual(created.columns, ["sku", "title", "brand", "price"]);
  assert.deepEqual(rows[0], { sku: "1", title: "Kettle 1.7 l", brand: "Acme", price: "19.99" });
  assert.equal(rows.length, 3);
  const [stored] = await db.query<{ header_line: number }>(
    sql`SELECT header_line FROM imports WHERE id = ${created.import_id}`,
  );
  assert.equal(stored.header_line, 3);

  // Line 1 as the header: the rows below it have 4 fields, it has 1, and the message says where.
  assert.match(
    await refused(corpus("price_list.csv"), "file_name=prices.csv&header_row=1"),
    /"prices\.csv": line 3 has 4 fields, the header \(line 1\) has 1/,
  );
  assert.match(
    await refused(corpus("price_list.csv"), "file_name=prices.csv&header_row=2"),
    /"prices\.csv": line 2 cannot be the header: it is blank/,
  );
  const explicit = await imported(corpus("price_list.csv"), "file_name=prices.csv&header_row=4");
  assert.deepEqual(explicit.created.columns, ["1", "Kettle 1.7 l", "Acme", "19.99"]);
  assert.equal(explicit.rows.length, 2);
});

const TYPOGRAPHIC: Row[] = [
  { title: "Baker’s “Deluxe” kettle", brand: "Café Müller", price: "€19" },
  { title: "Crème brûlée torch – pro", brand: "Señor Ñandú", price: "€5" },
];

test("a Windows-1252 file is detected and read with its quotes, euro sign and accents", async () => {
  const { created, rows } = await imported(corpus("windows1252.csv"), "file_name=cp1252.csv");
  assert.equal(created.encoding, "windows-1252");
  assert.deepEqual(rows, TYPOGRAPHIC);
  const [stored] = await db.query<{ encoding: string }>(
    sql`SELECT encoding FROM imports WHERE id = ${created.import_id}`,
  );
  assert.equal(stored.encoding, "windows-1252");
});

test("UTF-8 and UTF-16 LE/BE files with a byte order mark are read", async () => {
  const expected = [{ title: "Baker’s “Deluxe” kettle", brand: "Café 日本" }];
  for (
    const [name, encoding] of [
      ["utf8_bom.csv", "utf-8"],
      ["utf16le_bom.csv", "utf-16le"],
      ["utf16be_bom.csv", "utf-16be"],
    ]
  ) {
    const { created, rows } = await imported(corpus(name), `file_name=${name}`);
    assert.equal(created.encoding, encoding, name);
    assert.deepEqual(created.columns, ["title", "brand"], name);
    assert.deepEqual(rows, expected, name);
  }
});

test("a file that is not valid in the chosen encoding is refused with the line and column of the bad byte", async () => {
  // 2,500 lines of valid UTF-8 (with multi-byte characters), then a Windows-1252 "é" on line 2,501.
  const good = "title,brand\n" + Array.from({ length: 2499 }, (_, index) => `Crème ${index},Acme\n`).join("");
  const bytes = new Uint8Array([
    ...new TextEncoder().encode(good),
    ...new TextEncoder().encode("Caf"),
    0xe9,
    ...new TextEncoder().encode(",Acme\n"),
  ]);
  const offset = new TextEncoder().encode(good).length + 3;
  assert.match(
    await refused(bytes, "file_name=bad.csv&encoding=utf-8"),
    new RegExp(`"bad\\.csv": it is not valid UTF-8 at line 2501, column 4 \\(byte ${offset}\\)`),
  );
  // Left to detection, the same file is not UTF-8, so it is read as Windows-1252.
  const { created } = await imported(bytes, "file_name=bad.csv");
  assert.equal(created.encoding, "windows-1252");
  // The override wins over detection: the Windows-1252 corpus file read as UTF-8 fails on line 2.
  assert.match(
    await refused(corpus("windows1252.csv"), "file_name=cp1252.csv&encoding=utf-8"),
    /"cp1252\.csv": it is not valid UTF-8 at line 2, column 6 \(byte 24\)/,
  );
});

test("an unknown encoding is refused as a bad option", async () => {
  const { status } = await post(corpus("utf8_bom.csv"), "file_name=x.csv&encoding=ebcdic");
  assert.equal(status, 422);
});

test("the embedded text of HTML values is their visible text; the stored row keeps them as they came", async () => {
  const rows: Row[] = [
    {
      title: "<p>Kettle&nbsp;1.7&nbsp;l</p><p>Stainless <b>steel</b> &amp; glass</p>",
      brand: "Acme&#8482;",
    },
    { title: "Caf&eacute; <br/>cr&egrave;me<script>track()</script>", brand: "<span>Ac</span>me" },
    { title: "5 < 6 and R&D, no markup", brand: "Plain" },
  ];
  const csv = "title,brand\n" + rows.map((row) => `"${row.title}","${row.brand}"`).join("\n") + "\n";
  const { created, rows: stored } = await imported(csv, "file_name=html.csv&text_columns=title,brand");
  assert.deepEqual(stored, rows);
  const texts = await db.query<{ text: string }>(
    sql`SELECT text FROM products WHERE import_id = ${created.import_id} ORDER BY row_number`,
  );
  assert.deepEqual(texts.map((row) => row.text), [
    "Kettle 1.7 l Stainless steel & glass | Acme™",
    "Café crème | Acme",
    "5 < 6 and R&D, no markup | Plain",
  ]);
});

test("an unclosed quote is refused naming the line its record starts on", async () => {
  const csv = 'sku,title\n1,Kettle\n\n2,"Toaster\n3,Grill\n4,Pan\n';
  assert.match(
    await refused(csv, "file_name=open.csv"),
    /"open\.csv": the record on line 4 opens a quoted value that is never closed/,
  );
});

test("appending: Excel's empty padding is left out; an unnamed column with values is an extra column", async () => {
  const { created } = await imported("name,maker,group\nHammer,Acme,Tools\n", "file_name=tools.csv");
  const padded = await imported(
    corpus("excel_padding.csv"),
    `file_name=week2.csv&append_to=${created.import_id}`,
  );
  assert.equal(padded.created.appended_to, created.import_id);
  assert.deepEqual(padded.rows[0], { name: "Drill 18V", maker: "Acme", group: "Tools" });
  assert.match(
    await refused(
      "name,maker,group,\nSaw,Acme,Tools,blue\n",
      `file_name=week3.csv&append_to=${created.import_id}`,
    ),
    /"week3\.csv" to import \d+: the columns differ from the dataset's \(extra: .*column_4/,
  );
});

test("the same rows uploaded again are recognised, even re-saved, and the uploader chooses", async () => {
  const first = await imported(
    corpus("repeated_delivery.csv"),
    "file_name=repeated_delivery.csv&label_column=category",
  );
  const rows = first.rows;
  // A person decided the row the file left without a category.
  await db.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, 'Kitchen', 'human' FROM products WHERE import_id = ${first.created.import_id} AND row_number = 3`);
  for (const name of ["repeated_delivery.csv", "repeated_delivery_resaved.csv"]) {
    const { status, body } = await post(corpus(name), `file_name=${name}&label_column=category`);
    assert.equal(status, 409, JSON.stringify(body));
    assert.equal(body.error.duplicate_of, first.created.import_id, name);
    assert.match(body.error.message, /has the same rows as import \d+ \("repeated_delivery\.csv"/);
  }
  const count = async () =>
    (await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM products`))[0].n;
  const before = await count();
  // skip: nothing imported, the answer is the earlier import.
  const skipped = await post(
    corpus("repeated_delivery_resaved.csv"),
    "file_name=again.csv&on_duplicate=skip",
  );
  assert.equal(skipped.status, 200, JSON.stringify(skipped.body));
  assert.equal(skipped.body.import_id, first.created.import_id);
  assert.equal(skipped.body.duplicate_action, "skipped");
  assert.equal(await count(), before);
  // append: the next delivery of the dataset; the person's decision is reused, the file's labels are seeds.
  const appended = await imported(
    corpus("repeated_delivery_resaved.csv"),
    "file_name=again.csv&on_duplicate=append",
  );
  assert.equal(appended.created.appended_to, first.created.import_id);
  assert.equal(appended.created.dataset_id, first.created.dataset_id);
  assert.equal(appended.created.duplicate_of, first.created.import_id);
  assert.equal(appended.created.duplicate_action, "appended");
  assert.equal(appended.created.labelled_count, 2);
  assert.equal(appended.created.reused_count, 1);
  assert.deepEqual(appended.rows, rows);
  // import: a new dataset anyway, saying which import it repeats.
  const anyway = await imported(
    corpus("repeated_delivery.csv"),
    "file_name=repeated_delivery.csv&on_duplicate=import",
  );
  assert.notEqual(anyway.created.dataset_id, first.created.dataset_id);
  assert.equal(anyway.created.duplicate_of, first.created.import_id);
  assert.equal(anyway.created.duplicate_action, "imported");
  // Refused and skipped uploads left no rows, and nothing but the refusals in the history.
  const history = await db.query<{ status: string; error: string | null }>(sql`
    SELECT status, error FROM imports WHERE id > ${first.created.import_id} ORDER BY id`);
  assert.deepEqual(history.map((row) => row.status), ["failed", "failed", "imported", "imported"]);
  assert.equal(await count(), before + 2 * rows.length);
});

test("look-alike texts keep their bytes and share one text key", async () => {
  const { created, rows } = await imported(
    corpus("look_alike_text.csv"),
    "file_name=look_alike_text.csv&label_column=category",
  );
  assert.deepEqual(rows.map((row) => row.title), [
    "Café crème frother",
    "Garden hose 20 m",
    "Cafe\u0301 cre\u0300me frother",
    "Garden\u200b hose 20\u00a0m",
    "\uff27\uff21\uff32\uff24\uff25\uff2e HOSE 20 M",
  ]);
  const keys = await db.query<{ text_key: string; search_key: string }>(
    sql`SELECT text_key, search_key FROM products WHERE import_id = ${created.import_id} ORDER BY row_number`,
  );
  assert.deepEqual(keys.map((row) => row.text_key), [
    "café crème frother",
    "garden hose 20 m",
    "café crème frother",
    "garden hose 20 m",
    "garden hose 20 m",
  ]);
  assert.equal(keys[2].search_key, "cafe creme frother");
});

test("an .xlsx workbook imports its first sheet below its title, cells as Excel shows them", async () => {
  const { created, rows } = await imported(
    corpus("supplier_products.xlsx"),
    "file_name=supplier_products.xlsx",
  );
  assert.equal(created.encoding, "xlsx");
  assert.equal(created.header_line, 3);
  assert.deepEqual(rows, [
    {
      sku: "1001",
      ean: "4006381333931",
      title: "Cafe\u0301 cre\u0300me frother",
      price: "24.90",
      listed: "2024-03-01",
    },
    {
      sku: "1002",
      ean: "5901234123457",
      title: "Garden\u200b hose 20\u00a0m",
      price: "12.00",
      listed: "2024-03-02",
    },
  ]);
  const notes = await imported(
    corpus("supplier_products.xlsx"),
    "file_name=supplier_products.xlsx&sheet=Notes",
  );
  assert.deepEqual(notes.rows, [{ note: "Prices without VAT" }]);
});
