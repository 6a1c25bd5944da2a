/**
 * Hostile and odd input through the served app (security layer included, a reviewer's API token): a
 * corpus of CSV files built here — encodings, BOMs, ragged rows, unterminated quotes, NUL bytes,
 * enormous lines, binary and compressed data, thousands of columns, payloads — and malformed JSON
 * bodies. Each gets a clear 4xx or is imported exactly as meant; never a 5xx, never a partial import,
 * and the app still answers afterwards. The results are printed as a table.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { ApiError, ImportCreated } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";
import { createUser } from "../../core/accounts/accounts.ts";
import { createApiToken } from "../../core/accounts/api_tokens.ts";
import { IMPORT_LIMITS } from "../../core/imports/csv_import.ts";
import { createSecureApp } from "../secure_app.ts";

const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;
const db = await openTestDatabase();
after(() => db.close());
await createUser(db, { name: "rita", role: "reviewer", password: "rita-password-12" });
const { token } = await createApiToken(db, {
  name: "corpus",
  userName: "rita",
  role: "reviewer",
  createdBy: null,
});
const app = await createSecureApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: MAX_UPLOAD_BYTES }, {
  log: () => {},
});
const auth = { authorization: `Bearer ${token}` };

type Rows = Record<string, string>[];

/** One corpus file: its bytes, and the rows it means when it should be imported (else refused). */
interface Case {
  name: string;
  body: Uint8Array | string | FormData;
  type?: string;
  expect: { status: number; message?: RegExp } | { rows: Rows; columns?: string[] };
  /** Runs with temporarily lowered import limits. */
  limits?: Partial<typeof IMPORT_LIMITS>;
}

const encoder = new TextEncoder();
const bytes = (...parts: (string | number[] | Uint8Array)[]) =>
  new Uint8Array(parts.flatMap((part) => typeof part === "string" ? [...encoder.encode(part)] : [...part]));

function utf16(text: string, littleEndian: boolean, bom: boolean): Uint8Array {
  const out: number[] = bom ? (littleEndian ? [0xff, 0xfe] : [0xfe, 0xff]) : [];
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    out.push(...(littleEndian ? [code & 0xff, code >> 8] : [code >> 8, code & 0xff]));
  }
  return new Uint8Array(out);
}

function randomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out[index] = state >> 16;
  }
  return out;
}

const HTML_PAYLOADS = [
  "<script>globalThis.__pwned = 1</script>",
  '<img src=x onerror="alert(1)">',
  "javascript:alert(document.cookie)",
  '"><svg onload=alert(1)>',
  "</textarea></title><script>alert(1)</script>",
];
const wide = Array.from({ length: 1000 }, (_, index) => `c${index}`);
const formulaRows = [
  { title: '=HYPERLINK("http://evil.example","click")', category: "tools" },
  { title: "+cmd|' /C calc'!A0", category: "@SUM(1+1)" },
  { title: "-2+3", category: "=1+1" },
];
const quotedRows = [
  { title: 'He said ""hi"" and left', category: '"' },
  { title: '""""', category: 'a,"b",c' },
  { title: 'line\nbreak, "quoted"', category: "x" },
];

const CASES: Case[] = [
  {
    name: "plain-utf8.csv",
    body: "title,category\nclaw hammer,tools\nsaw,\n",
    expect: { rows: [{ title: "claw hammer", category: "tools" }, { title: "saw", category: "" }] },
  },
  {
    name: "utf8-bom.csv",
    body: bytes([0xef, 0xbb, 0xbf], "title,category\ndrill,tools\n"),
    expect: { rows: [{ title: "drill", category: "tools" }], columns: ["title", "category"] },
  },
  {
    name: "utf16le-bom.csv",
    body: utf16("title\nhammer\n", true, true),
    expect: { rows: [{ title: "hammer" }] },
  },
  {
    name: "utf16be-bom.csv",
    body: utf16("title\nhammer\n", false, true),
    expect: { rows: [{ title: "hammer" }] },
  },
  {
    name: "utf16le-no-bom.csv",
    body: utf16("title\nhammer\n", true, false),
    expect: { status: 415, message: /NUL byte/ },
  },
  {
    name: "latin1.csv",
    body: bytes("title\ncaf", [0xe9], " cr", [0xe8], "me\n"),
    // Not UTF-8, so read as Windows-1252, which Latin-1's printable bytes map onto.
    expect: { rows: [{ title: "café crème" }] },
  },
  // Past the first 256 KiB read: rows were already inserted when the bad byte arrives, and roll back.
  // Detection would read this file as Windows-1252; UTF-8 is the user's choice.
  {
    name: "invalid-utf8-after-300kb.csv",
    body: bytes("title\n", `${"long row ".repeat(11)}\n`.repeat(3000), [0xc3, 0x28], "\n"),
    type: "text/csv?encoding=utf-8",
    expect: { status: 422, message: /not valid UTF-8 at line 3002, column 1 \(byte 300006\)/ },
  },
  {
    name: "ragged-rows.csv",
    body: "a,b,c\n1,2,3\n4,5\n6,7,8,9\n",
    expect: { status: 422, message: /line 3 has 2 fields, the header \(line 1\) has 3/ },
  },
  {
    name: "unterminated-quote.csv",
    body: 'title,category\n"never closed,tools\nsaw,tools\n',
    expect: { status: 422, message: /the record on line 2 opens a quoted value that is never closed/ },
  },
  {
    name: "nul-bytes.csv",
    body: bytes("title\nham", [0], "mer\n"),
    expect: { status: 415, message: /NUL byte/ },
  },
  { name: "random-binary.bin", body: randomBytes(64 * 1024, 7), expect: { status: 415 } },
  {
    name: "gzip.csv.gz",
    body: new Uint8Array(gzipSync("title\nhammer\n")),
    expect: { status: 415, message: /gzip/ },
  },
  {
    name: "zip-or-xlsx.zip",
    body: bytes([0x50, 0x4b, 0x03, 0x04], randomBytes(200, 3)),
    expect: { status: 415, message: /zip/ },
  },
  {
    name: "5000-columns.csv",
    body: `${Array.from({ length: 5000 }, (_, i) => `c${i}`).join(",")}\n${"x,".repeat(4999)}x\n`,
    expect: { status: 422, message: /5000 columns, the limit is 1000/ },
  },
  {
    name: "1000-columns.csv",
    body: `${wide.join(",")}\n${wide.map((name) => `v-${name}`).join(",")}\n`,
    expect: { rows: [Object.fromEntries(wide.map((name) => [name, `v-${name}`]))] },
  },
  { name: "only-header.csv", body: "title,category\n", expect: { status: 422, message: /no data rows/ } },
  { name: "only-newlines.csv", body: "\n\n\r\n\n", expect: { status: 422, message: /no rows/ } },
  { name: "empty.csv", body: "", expect: { status: 422 } },
  {
    name: "crlf.csv",
    body: "title,category\r\nhammer,tools\r\nsaw,tools\r\n",
    expect: { rows: [{ title: "hammer", category: "tools" }, { title: "saw", category: "tools" }] },
  },
  {
    name: "cr-only.csv",
    body: "title,category\rhammer,tools\rsaw,tools\r",
    expect: { rows: [{ title: "hammer", category: "tools" }, { title: "saw", category: "tools" }] },
  },
  {
    name: "semicolon.csv",
    body: "title;category\nhammer;tools\n",
    expect: { rows: [{ title: "hammer", category: "tools" }] },
  },
  { name: "formula-injection.csv", body: toCsv(formulaRows), expect: { rows: formulaRows } },
  {
    name: "enormous-line.csv",
    body: `title\n${"a".repeat(2_000_000)}\n`,
    expect: { status: 422, message: /longer than 100000 characters/ },
  },
  {
    name: "10mb-single-field.csv",
    body: `title\n"${"b".repeat(10 * 1024 * 1024)}"\n`,
    expect: { status: 422, message: /longer than 100000/ },
  },
  {
    name: "over-upload-limit.csv",
    body: `title\n${"c,".repeat(MAX_UPLOAD_BYTES / 2)}\n`,
    expect: { status: 413, message: /larger than the limit/ },
  },
  { name: "deeply-quoted.csv", body: toCsv(quotedRows), expect: { rows: quotedRows } },
  {
    name: "html-script-payloads.csv",
    body: toCsv(HTML_PAYLOADS.map((title, i) => ({ title, category: HTML_PAYLOADS[(i + 1) % 5] }))),
    expect: { rows: HTML_PAYLOADS.map((title, i) => ({ title, category: HTML_PAYLOADS[(i + 1) % 5] })) },
  },
  {
    name: "rtl-zero-width-emoji.csv",
    body: toCsv([{ title: "\u202Egnp.exe\u202C מוצר عربي", category: "zero\u200Bwidth\u200D🧰👩‍🔧" }]),
    expect: { rows: [{ title: "\u202Egnp.exe\u202C מוצר عربي", category: "zero\u200Bwidth\u200D🧰👩‍🔧" }] },
  },
  {
    name: "duplicate-headers.csv",
    body: "title,title\na,b\n",
    expect: { status: 422, message: /names column "title" twice/ },
  },
  {
    name: "empty-header-name.csv",
    body: "title,,category\na,b,c\n",
    // An unnamed column with values gets a name; one empty in every row would be left out.
    expect: { rows: [{ title: "a", column_2: "b", category: "c" }] },
  },
  // A row of empty fields is blank: the next row becomes the header, with no rows below.
  { name: "blank-header-row.csv", body: ",,\na,b,c\n", expect: { status: 422, message: /no data rows/ } },
  {
    name: "label-too-long.csv",
    body: `title,category\nhammer,${"x".repeat(600)}\n`,
    type: "text/csv?label_column=category",
    expect: { status: 422, message: /the label is 600 characters/ },
  },
  {
    name: "rows-over-limit.csv",
    body: `title\n${"row\n".repeat(101)}`,
    limits: { maxRows: 100 },
    expect: { status: 422, message: /more than 100 rows/ },
  },
  { name: "json-as-csv.json", body: '{"title":"hammer"}', type: "application/json", expect: { status: 415 } },
  {
    name: "multipart-no-file",
    body: formWith({ text_columns: "title" }),
    expect: { status: 422, message: /no file/ },
  },
  {
    name: "multipart-evil-filename",
    body: formWith({}, '"><img src=x onerror=alert(1)>.csv', "title\nhammer\n"),
    expect: { rows: [{ title: "hammer" }] },
  },
];

function toCsv(rows: Rows): string {
  const columns = Object.keys(rows[0]);
  const cell = (value: string) => /[",\n\r;]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  return [columns.join(","), ...rows.map((row) => columns.map((name) => cell(row[name])).join(","))].join(
    "\n",
  ) + "\n";
}

function formWith(fields: Record<string, string>, fileName?: string, content?: string): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (fileName) form.append("file", new File([content ?? ""], fileName, { type: "text/csv" }));
  return form;
}

interface Totals {
  products: number;
  labels: number;
  queue: number;
  imported: number;
}

async function totals(): Promise<Totals> {
  const [row] = await db.query<Totals>(sql`
    SELECT (SELECT count(*)::int FROM products) AS products,
           (SELECT count(*)::int FROM product_labels) AS labels,
           (SELECT count(*)::int FROM embedding_queue) AS queue,
           (SELECT count(*)::int FROM imports WHERE status = 'imported') AS imported`);
  return row;
}

const table: string[][] = [];

function report(name: string, status: number, message: string, ms = 0): void {
  table.push([
    name,
    String(status),
    `${Math.round(ms)} ms`.padStart(7),
    message.replace(/\s+/g, " ").slice(0, 110),
  ]);
}

function upload(item: Case): Promise<Response> {
  const [type, query] = (item.type ?? "text/csv").split("?");
  const params = new URLSearchParams(query ?? "");
  if (!(item.body instanceof FormData)) params.set("file_name", item.name);
  // Several cases hold the same rows in another shape: each is read as its own dataset.
  params.set("on_duplicate", "import");
  return Promise.resolve(app.request(`/upload-csv?${params}`, {
    method: "POST",
    headers: item.body instanceof FormData ? auth : { ...auth, "content-type": type },
    body: item.body as BodyInit,
  }));
}

test(
  `a corpus of ${CASES.length} hostile or odd CSV files: each refused with a clear 4xx or imported exactly`,
  {
    timeout: 300_000,
  },
  async () => {
    assert.ok(CASES.length >= 25);
    for (const item of CASES) {
      const saved = { ...IMPORT_LIMITS };
      Object.assign(IMPORT_LIMITS, item.limits ?? {});
      const before = await totals();
      const started = performance.now();
      let response: Response;
      try {
        response = await upload(item);
      } finally {
        Object.assign(IMPORT_LIMITS, saved);
      }
      const body = await response.json();
      const after = await totals();
      assert.ok(response.status < 500, `${item.name}: ${response.status} ${JSON.stringify(body)}`);
      if ("rows" in item.expect) {
        assert.equal(response.status, 201, `${item.name}: ${JSON.stringify(body)}`);
        const created = body as ImportCreated;
        const { rows } = item.expect;
        const columns = item.expect.columns ?? Object.keys(rows[0]);
        assert.deepEqual(created.columns, columns, item.name);
        assert.equal(created.row_count, rows.length, item.name);
        const stored = await db.query<{ data: Record<string, string> }>(sql`
        SELECT data FROM products WHERE import_id = ${created.import_id} ORDER BY row_number`);
        assert.deepEqual(stored.map((row) => row.data), rows, `${item.name}: stored exactly as in the file`);
        assert.equal(after.products, before.products + rows.length, item.name);
        assert.equal(after.queue, before.queue + rows.length, item.name);
        assert.equal(after.imported, before.imported + 1, item.name);
        report(
          item.name,
          response.status,
          `imported ${created.row_count} rows × ${created.columns.length} columns`,
          performance.now() - started,
        );
      } else {
        const error = (body as ApiError).error;
        assert.equal(response.status, item.expect.status, `${item.name}: ${JSON.stringify(body)}`);
        assert.equal(error.status, response.status);
        if (item.expect.message) assert.match(error.message, item.expect.message, item.name);
        assert.deepEqual(after, before, `${item.name}: a refused file leaves nothing behind`);
        report(item.name, response.status, error.message, performance.now() - started);
      }
    }
    const health = await app.request("/health");
    assert.equal(health.status, 200, "the app still answers");
  },
);

test("malformed and hostile JSON bodies get a clear 4xx and change nothing", async () => {
  const [product] = await db.query<{ id: number }>(sql`SELECT id FROM products ORDER BY id LIMIT 1`);
  const bodies: [string, string, string?][] = [
    ["truncated-object", '{"product_id": 1, "approved": tr'],
    ["not-json", "approve everything"],
    ["empty-body", ""],
    ["array", "[]"],
    ["null", "null"],
    ["string-ids", '{"product_id": "1", "approved": "yes"}'],
    ["infinite-number", '{"product_id": 1e400, "approved": true}'],
    ["negative-id", '{"product_id": -5, "approved": true}'],
    ["bom-prefixed", '\uFEFF{"product_id": 1, "approved": true}'],
    ["deep-nesting", `${"[".repeat(20_000)}${"]".repeat(20_000)}`],
    [
      "proto-pollution",
      `{"product_id": 2147483000, "approved": false, "corrected_text": "x", "__proto__": {"admin": true}}`,
    ],
    [
      "value-too-long",
      JSON.stringify({ product_id: product.id, approved: false, corrected_text: "x".repeat(501) }),
    ],
    [
      "control-chars-only",
      JSON.stringify({ product_id: product.id, approved: false, corrected_text: "   " }),
    ],
    ["over-64-kib", JSON.stringify({ product_id: product.id, approved: true, pad: "p".repeat(70_000) })],
    ["wrong-type-header", '{"product_id": 1, "approved": true}', "text/plain"],
    ["invalid-utf8-json", '{"product_id": 1, "approved": true, "corrected_text": "\udc00"}'],
  ];
  const [feedbackBefore] = await db.query<{ count: number }>(
    sql`SELECT count(*)::int AS count FROM feedback`,
  );
  const before = await totals();
  for (const [name, body, type] of bodies) {
    const response = await app.request("/submit-feedback", {
      method: "POST",
      headers: { ...auth, "content-type": type ?? "application/json" },
      body,
    });
    const answer = await response.json() as ApiError;
    assert.ok(
      response.status >= 400 && response.status < 500,
      `${name}: ${response.status} ${JSON.stringify(answer)}`,
    );
    assert.equal(answer.error.status, response.status, name);
    report(`json:${name}`, response.status, answer.error.message);
  }
  const [feedbackAfter] = await db.query<{ count: number }>(sql`SELECT count(*)::int AS count FROM feedback`);
  assert.equal(feedbackAfter.count, feedbackBefore.count);
  assert.deepEqual(await totals(), before);
  assert.equal((await app.request("/health")).status, 200);
  const width = Math.max(...table.map((row) => row[0].length));
  console.log(
    `Hostile-input corpus (${table.length} inputs):\n` +
      table.map(([name, status, ms, message]) => `${name.padEnd(width)}  ${status}  ${ms}  ${message}`).join(
        "\n",
      ),
  );
});
