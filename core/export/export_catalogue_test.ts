/**
 * The catalogue fields' columns of an export against the real database: rows decided by a person, by a
 * seed column, suggested by the matcher and not matched at all, in CSV and JSON Lines, with and without
 * meta, and file columns that already have a field's name or the name of its meta columns.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { ExportQuery } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { openTestDatabase } from "../../testing/testing.ts";
import { exportStream, planExport } from "./export_stream.ts";

const db = await openTestDatabase();
after(() => db.close());

const [{ id: importId }] = await db.query<{ id: number }>(sql`
  INSERT INTO imports (file_name, status, columns) VALUES ('feed.csv', 'imported', '["sku","brand"]')
  RETURNING id`);
const ids = (await db.query<{ id: number }>(sql`
  INSERT INTO products (import_id, row_number, data, text)
  SELECT ${importId}, g, jsonb_build_object('sku', 's' || g, 'brand', 'brand ' || g), 'title ' || g
  FROM generate_series(1, 5) AS g
  RETURNING id`)).map((row) => row.id).sort((a, b) => a - b);

function query(overrides: Partial<ExportQuery> = {}): ExportQuery {
  return {
    rows: "all",
    import_id: importId,
    format: "csv",
    value_column: "normalised_value",
    meta: true,
    delimiter: "comma",
    bom: false,
    ...overrides,
  };
}

async function exported(overrides: Partial<ExportQuery> = {}, database: Queryable = db) {
  const plan = await planExport(db, query(overrides));
  const text = await new Response(exportStream(database, plan)).text();
  return { plan, lines: text.split(overrides.format === "jsonl" ? "\n" : "\r\n").filter(Boolean) };
}

test("without catalogue fields the export is as it was, with no extra statement per page", async () => {
  let statements = 0;
  const counting: Queryable = {
    query(statement) {
      statements++;
      return db.query(statement);
    },
  };
  const { plan, lines } = await exported({}, counting);
  assert.deepEqual(plan.header, [
    "sku",
    "brand",
    "normalised_value",
    "normalised_value_source",
    "normalised_value_confidence",
    "normalised_value_model_version",
  ]);
  assert.deepEqual(plan.fields, []);
  assert.equal(lines[1], "s1,brand 1,,,,");
  assert.equal(statements, 1, "one page of rows, and nothing else");
});

test("each catalogue field adds its entry, confidence and source, in position order, after the meta columns", async () => {
  // Added out of name order: position decides. "brand" is also a column of the file.
  const fields = await db.query<{ id: number; name: string }>(sql`
    INSERT INTO fields (name, kind, position) VALUES ('model', 'catalogue', 1), ('brand', 'catalogue', 2)
    RETURNING id, name`);
  const model = fields.find((field) => field.name === "model")!.id;
  const brand = fields.find((field) => field.name === "brand")!.id;
  const entries = await db.query<{ id: number; name: string }>(sql`
    INSERT INTO catalogue_entries (field_id, name, name_key, source)
    VALUES (${model}, 'EOS 5D, Mark IV', 'eos 5d mark iv', 'upload'), (${model}, '=cmd', 'cmd', 'review'),
           (${brand}, 'Canon', 'canon', 'seed')
    RETURNING id, name`);
  const entry = (name: string) => entries.find((item) => item.name === name)!.id;
  await db.query(sql`
    INSERT INTO catalogue_matches (field_id, product_id, entry_id, confidence, alternatives, source) VALUES
      (${model}, ${ids[0]}, ${entry("EOS 5D, Mark IV")}, 0.75, '[]', 'suggested'),
      (${model}, ${ids[1]}, ${entry("EOS 5D, Mark IV")}, 1, '[]', 'human'),
      (${model}, ${ids[2]}, ${entry("=cmd")}, 1, '[]', 'human'),
      (${model}, ${ids[3]}, NULL, 0, '[]', 'suggested'),
      (${brand}, ${ids[0]}, ${entry("Canon")}, 1, '[]', 'seed'),
      (${brand}, ${ids[1]}, ${entry("Canon")}, 0.5, '[]', 'suggested')`);

  const { plan, lines } = await exported();
  assert.deepEqual(plan.header, [
    "sku",
    "brand",
    "normalised_value",
    "normalised_value_source",
    "normalised_value_confidence",
    "normalised_value_model_version",
    "model",
    "model_confidence",
    "model_source",
    // The file has a column "brand": the field's columns take the first free name and stay together.
    "brand_2",
    "brand_2_confidence",
    "brand_2_source",
  ]);
  assert.deepEqual(plan.renamed, [
    'The file already has a column "brand": the export\'s brand field is in "brand_2"',
  ]);
  assert.deepEqual(lines.slice(1), [
    // Suggested: the matcher's confidence; seed: the file's value, no confidence.
    's1,brand 1,,,,,"EOS 5D, Mark IV",0.75,suggested,Canon,,seed',
    // Decided by a person: no confidence, as for the value column.
    's2,brand 2,,,,,"EOS 5D, Mark IV",,human,Canon,0.5,suggested',
    // Entry names are neutralised like any cell.
    "s3,brand 3,,,,,'=cmd,,human,,,",
    // A suggestion without an entry, and no match at all: empty cells.
    "s4,brand 4,,,,,,,,,,",
    "s5,brand 5,,,,,,,,,,",
  ]);

  const plain = await exported({ meta: false, format: "jsonl" });
  assert.deepEqual(plain.plan.header, ["sku", "brand", "normalised_value", "model", "brand_2"]);
  assert.deepEqual(JSON.parse(plain.lines[0]), {
    sku: "s1",
    brand: "brand 1",
    normalised_value: null,
    model: "EOS 5D, Mark IV",
    brand_2: "Canon",
  });
  // JSON Lines are data: the name as stored.
  assert.equal(JSON.parse(plain.lines[2]).model, "=cmd");
  // A label field has no columns of its own here: `category` is the value column.
  assert.ok(!plain.plan.header.includes("category"));
});

test("the field columns follow pages: each page reads its rows' matches once", async () => {
  let statements = 0;
  const counting: Queryable = {
    query(statement) {
      statements++;
      return db.query(statement);
    },
  };
  const plan = await planExport(db, query());
  const text = await new Response(exportStream(counting, plan, { pageSize: 2 })).text();
  assert.equal(text.split("\r\n").filter(Boolean).length, 6);
  // Pages of 2, 2 and 1 rows: a statement for each page's rows and one for its matches.
  assert.equal(statements, 6);
});

test("a field's meta columns follow its renamed column, and are renamed themselves when the file has them", async () => {
  // Fields "model" and "brand" exist (above). This file has "brand", the renamed field's meta column
  // "brand_2_source", and "model_confidence".
  const [{ id: clashId }] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, columns)
    VALUES ('clash.csv', 'imported', '["brand","brand_2_source","model_confidence"]')
    RETURNING id`);
  await db.query(sql`
    INSERT INTO products (import_id, row_number, data, text)
    VALUES (${clashId}, 1, '{"brand":"b","brand_2_source":"s","model_confidence":"c"}', 'title')`);

  const { plan, lines } = await exported({ import_id: clashId });
  assert.deepEqual(plan.header, [
    "brand",
    "brand_2_source",
    "model_confidence",
    "normalised_value",
    "normalised_value_source",
    "normalised_value_confidence",
    "normalised_value_model_version",
    "model",
    "model_confidence_2",
    "model_source",
    "brand_2",
    "brand_2_confidence",
    "brand_2_source_2",
  ]);
  assert.deepEqual(plan.renamed, [
    'The file already has a column "model_confidence": the export\'s model confidence is in "model_confidence_2"',
    'The file already has a column "brand": the export\'s brand field is in "brand_2"',
    'The file already has a column "brand_2_source": the export\'s brand source is in "brand_2_source_2"',
  ]);
  // Every header name is distinct, and the file's own cells stay under their own names.
  assert.equal(new Set(plan.header).size, plan.header.length);
  assert.equal(lines[1], "b,s,c,,,,,,,,,,");

  const plain = await exported({ import_id: clashId, meta: false });
  assert.deepEqual(plain.plan.header, [
    "brand",
    "brand_2_source",
    "model_confidence",
    "normalised_value",
    "model",
    "brand_2",
  ]);
});
