/**
 * The text keys as the database holds them (migration 0019, text_key_fill.ts) against the TypeScript
 * key (core/text_key.ts) on the corpus of look-alike texts: the stored keys are the TypeScript keys, the
 * SQL join on them groups rows exactly as TypeScript compares them, the search words come from the
 * search key, and the stored text is the text as written. On PGlite (C locale) and, with
 * TEST_DATABASE_URL, on PostgreSQL.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openEmptyTestDatabase, openTestDatabase } from "../../testing/testing.ts";
import { DIFFERENT_TEXTS, SAME_TEXTS } from "../../testing/text_key_corpus.ts";
import { searchKey, textKey } from "../text_key.ts";
import { sql } from "./sql.ts";
import { fillTextKeys, TEXT_KEY_BATCH } from "./text_key_fill.ts";
import { listMigrations, migrate } from "./migrate.ts";

const db = await openTestDatabase();
after(() => db.close());

const corpus = [...SAME_TEXTS.flat(), ...DIFFERENT_TEXTS];

/** Stores `texts` as other tools do (no keys); returns their ids in order. */
async function storeUnkeyed(texts: string[]): Promise<number[]> {
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('keys.csv', 'imported') RETURNING id`);
  const rows = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    SELECT ${created.id}, item.n, '{}'::jsonb, item.text
    FROM unnest(${texts.map((_, index) => index + 1)}::int[], ${texts}::text[]) AS item(n, text)
    ORDER BY item.n
    RETURNING id`);
  return rows.map((row) => row.id).sort((a, b) => a - b);
}

test("the stored keys are the TypeScript keys, and the stored text is as written", async () => {
  const ids = await storeUnkeyed(corpus);
  assert.equal(await fillTextKeys(db), corpus.length);
  assert.equal(await fillTextKeys(db), 0, "a second run finds nothing to do");
  // The text is compared in SQL: PGlite's driver drops a leading U+FEFF from text it returns (the stored
  // value keeps it).
  const rows = await db.query<{ id: number; as_written: boolean; text_key: string; search_key: string }>(sql`
    SELECT id, products.text = item.text AS as_written, text_key, search_key
    FROM products JOIN unnest(${ids}::int[], ${corpus}::text[]) AS item(id, text) USING (id)
    ORDER BY id`);
  assert.equal(rows.length, corpus.length);
  rows.forEach((row, index) => {
    const what = JSON.stringify(corpus[index]);
    assert.ok(row.as_written, what);
    assert.equal(row.text_key, textKey(corpus[index]), what);
    assert.equal(row.search_key, searchKey(corpus[index]), what);
  });
});

test("the SQL join on the key pairs exactly the rows TypeScript reads as the same", async () => {
  const ids = await storeUnkeyed(corpus);
  await fillTextKeys(db);
  const pairs = await db.query<{ a: number; b: number }>(sql`
    SELECT x.id AS a, y.id AS b FROM products x JOIN products y ON x.text_key = y.text_key
    WHERE x.id = ANY(${ids}::int[]) AND y.id = ANY(${ids}::int[]) AND x.id < y.id ORDER BY 1, 2`);
  const expected: { a: number; b: number }[] = [];
  corpus.forEach((left, i) =>
    corpus.forEach((right, j) => {
      if (i < j && textKey(left) === textKey(right)) expected.push({ a: ids[i], b: ids[j] });
    })
  );
  assert.ok(expected.length > 20);
  assert.deepEqual(pairs, expected);
});

test("search words come from the search key: `crème` finds the decomposed row and `creme`", async () => {
  const texts = [
    "Cafe\u0301 cre\u0300me frother",
    "Creme brulee torch",
    "Crema espresso cups",
    "Garden hose",
  ];
  const ids = await storeUnkeyed(texts);
  await fillTextKeys(db);
  for (
    const [query, expected] of [["crème", [0, 1]], ["CRÉME", [0, 1]], ["creme", [0, 1]], ["cafe", [
      0,
    ]]] as const
  ) {
    const found = await db.query<{ id: number }>(sql`
      SELECT id FROM products
      WHERE id = ANY(${ids}::int[])
        AND to_tsvector('simple', search_key) @@ plainto_tsquery('simple', ${searchKey(query)})
      ORDER BY id`);
    assert.deepEqual(found.map((row) => row.id), expected.map((index) => ids[index]), query);
  }
});

test("the fill works in batches and carries on from rows still without a key", async () => {
  const texts = Array.from({ length: TEXT_KEY_BATCH + 5 }, (_, index) => `Ｉｔｅｍ\u00a0${index}`);
  const ids = await storeUnkeyed(texts);
  // As if a run stopped after some rows: those keep their keys, the rest are keyed by the next run.
  await db.query(sql`UPDATE products SET text_key = 'kept', search_key = 'kept' WHERE id = ${ids[3]}`);
  assert.equal(await fillTextKeys(db), texts.length - 1);
  const [counts] = await db.query<{ keyed: number; kept: number }>(sql`
    SELECT count(*) FILTER (WHERE text_key = 'item ' || (row_number - 1))::int AS keyed,
           count(*) FILTER (WHERE text_key = 'kept')::int AS kept
    FROM products WHERE id = ANY(${ids}::int[])`);
  assert.deepEqual(counts, { keyed: texts.length - 1, kept: 1 });
});

test("rows stored before migration 0019 have their keys once migrate() has run", async () => {
  const old = await openEmptyTestDatabase();
  const before = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-"));
  try {
    for (const migration of listMigrations().filter((m) => m.name < "0019")) {
      fs.writeFileSync(path.join(before, migration.name), migration.script);
    }
    await migrate(old, before);
    const [created] = await old.query<{ id: number }>(sql`
      INSERT INTO imports (file_name, status) VALUES ('old.csv', 'imported') RETURNING id`);
    await old.query(sql`
      INSERT INTO products (import_id, row_number, data, text)
      SELECT ${created.id}, item.n, '{}'::jsonb, item.text
      FROM unnest(${corpus.map((_, index) => index + 1)}::int[], ${corpus}::text[]) AS item(n, text)`);
    await migrate(old);
    const rows = await old.query<{ text_key: string; search_key: string }>(sql`
      SELECT text_key, search_key FROM products ORDER BY row_number`);
    assert.deepEqual(rows.map((row) => row.text_key), corpus.map(textKey));
    assert.deepEqual(rows.map((row) => row.search_key), corpus.map(searchKey));
  } finally {
    fs.rmSync(before, { recursive: true, force: true });
    await old.close();
  }
});
