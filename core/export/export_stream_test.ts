/**
 * exportStream() against the real database through a wrapper that counts statements: the stream reads a
 * page only when the reader has taken the previous one, and a cancelled download stops reading.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { openTestDatabase } from "../../testing/testing.ts";
import { exportStream, planExport } from "./export_stream.ts";

const db = await openTestDatabase();
after(() => db.close());

const [{ id: importId }] = await db.query<{ id: number }>(sql`
  INSERT INTO imports (file_name, status, columns) VALUES ('feed.csv', 'imported', '["sku","title"]')
  RETURNING id`);
await db.query(sql`
  INSERT INTO products (import_id, row_number, data, text)
  SELECT ${importId}, g, jsonb_build_object('sku', 's' || g, 'title', 'title ' || g), 'title ' || g
  FROM generate_series(1, 100) AS g`);

function counting(): { db: Queryable; pages: () => number } {
  let pages = 0;
  return {
    db: {
      query(query) {
        pages++;
        return db.query(query);
      },
    },
    pages: () => pages,
  };
}

const plan = await planExport(db, {
  rows: "all",
  import_id: importId,
  format: "csv",
  value_column: "normalised_value",
  meta: false,
  delimiter: "comma",
  bom: false,
});

test("exportStream() reads one page ahead of the reader and no further", async () => {
  const probe = counting();
  const reader = exportStream(probe.db, plan, { pageSize: 10 }).getReader();
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(probe.pages() <= 1, `${probe.pages()} pages read before the first read`);
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /^sku,title,normalised_value\r\ns1,title 1,\r\n/);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(probe.pages() <= 2, `${probe.pages()} pages read after one chunk`);
  let chunks = 1;
  while (!(await reader.read()).done) chunks++;
  // 100 rows in pages of 10, and the empty page that says the table has ended.
  assert.equal(chunks, 10);
  assert.equal(probe.pages(), 11);
});

/** Runs `fn` with console.error captured. */
async function capturingErrors(fn: () => Promise<void>): Promise<unknown[]> {
  const logged: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    await fn();
  } finally {
    console.error = original;
  }
  return logged;
}

test("exportStream() stops reading when the reader cancels, even with a page in flight", async () => {
  const probe = counting();
  const logged = await capturingErrors(async () => {
    const reader = exportStream(probe.db, plan, { pageSize: 10 }).getReader();
    await reader.read();
    // The next page is being read right now; cancelling must not make its arrival an error.
    await reader.cancel();
    const afterCancel = probe.pages();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(probe.pages(), afterCancel);
    assert.ok(afterCancel <= 2);
  });
  assert.deepEqual(logged, []);
});

test("exportStream() errors the stream when a page cannot be read", async () => {
  const failing: Queryable = {
    query: () => Promise.reject(new Error("connection lost")),
  };
  const logged = await capturingErrors(async () => {
    const reader = exportStream(failing, plan, { pageSize: 10 }).getReader();
    await assert.rejects(reader.read(), /connection lost/);
  });
  assert.equal(logged.length, 1);
});

test("the Excel dialect: a UTF-8 byte order mark first, then the chosen delimiter", async () => {
  const excel = await planExport(db, {
    rows: "all",
    import_id: importId,
    format: "csv",
    value_column: "normalised_value",
    meta: false,
    delimiter: "semicolon",
    bom: true,
  });
  const bytes = new Uint8Array(await new Response(exportStream(db, excel, { pageSize: 10 })).arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes.subarray(3));
  assert.match(text, /^sku;title;normalised_value\r\ns1;title 1;\r\n/);
  // Without the option nothing changes: no mark, commas.
  const plain = new Uint8Array(await new Response(exportStream(db, plan, { pageSize: 10 })).arrayBuffer());
  assert.equal(plain[0], "s".charCodeAt(0));
});
