/**
 * The review queue's diversity and its filter by suggested value, through GET /products-for-review with
 * the real embedding model: near-duplicate rows (cosine > 0.95) never share a window of 20.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Database } from "../db/database.ts";
import { listMigrations, migrate } from "../db/migrate.ts";
import type { ReviewPage, SuggestedValue } from "../../contract/schemas.ts";
import { sql, vectorLiteral } from "../db/sql.ts";
import {
  datasetRows,
  openEmptyTestDatabase,
  openTestDatabase,
  startTestWorker,
  TEST_MODEL_ID,
  toCsv,
} from "../../testing/testing.ts";
import { signedInApp } from "../../testing/signed_in_app.ts";
import { NEAR_DUPLICATE_COSINE } from "./review_queue.ts";

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
const worker = await startTestWorker(db);
after(async () => {
  await worker.stop();
  await db.close();
});

const VARIANTS = [
  "HP 60 Black Ink Cartridge (CC640WN)",
  "hp 60 black ink cartridge cc640wn",
  "HP 60 Black Ink Cartridge - CC640WN",
  "HP 60 Black Ink Cartridge, CC640WN",
];
const titles = [...VARIANTS, ...datasetRows(36, "tableA").map((row) => row.title)];

async function page(query: string): Promise<ReviewPage> {
  const response = await app.request(`/products-for-review?${query}`);
  assert.equal(response.status, 200);
  return await response.json() as ReviewPage;
}

async function cosine(a: number, b: number): Promise<number> {
  const [row] = await db.query<{ similarity: number }>(sql`
    SELECT 1 - (x.embedding <=> y.embedding) AS similarity FROM embeddings x, embeddings y
    WHERE x.product_id = ${a} AND y.product_id = ${b}`);
  return row.similarity;
}

test("near-duplicates never share a window of the queue; they wait for later pages", async () => {
  const response = await app.request("/upload-csv?file_name=ink.csv", {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: toCsv(titles.map((title) => ({ title }))),
  });
  assert.equal(response.status, 201);
  await worker.idle();
  const ids = (await db.query<{ id: number }>(sql`SELECT id FROM products ORDER BY row_number`)).map((r) =>
    r.id
  );
  const variants = ids.slice(0, VARIANTS.length);
  for (let i = 0; i < variants.length; i++) {
    for (let j = i + 1; j < variants.length; j++) {
      assert.ok(await cosine(variants[i], variants[j]) > NEAR_DUPLICATE_COSINE, `variants ${i} and ${j}`);
    }
  }

  // No labels: nothing is suggested, so the densest rows come first, one of the four variants (each has
  // three near-copies) at the top; the spread (review_rank.ts) then sends the other three, 0.95 similar
  // to it, behind every other row, and the diversity windows keep them apart: one window each.
  const all = await page("limit=40");
  assert.equal(all.total, 40);
  const order = all.items.map((item) => item.product_id);
  assert.deepEqual([...order].sort((a, b) => a - b), ids, "every row once");
  assert.deepEqual(variants.map((id) => order.indexOf(id)).sort((a, b) => a - b), [0, 37, 38, 39]);
  const first = (await page("limit=20")).items.map((item) => item.product_id);
  for (let i = 0; i < first.length; i++) {
    for (let j = i + 1; j < first.length; j++) {
      assert.ok(await cosine(first[i], first[j]) <= NEAR_DUPLICATE_COSINE, `${first[i]} and ${first[j]}`);
    }
  }
  const paged = [];
  for (let offset = 0; offset < 40; offset += 7) {
    paged.push(...(await page(`limit=7&offset=${offset}`)).items);
  }
  assert.deepEqual(paged.map((item) => item.product_id), order, "any page size pages through one order");
});

test("the queue filters by suggested value, and GET /suggested-values counts the waiting rows per value", async () => {
  const ids = (await db.query<{ id: number }>(sql`SELECT id FROM products ORDER BY row_number`)).map((r) =>
    r.id
  );
  for (const [id, value] of [[ids[0], "ink"], [ids[10], "tv mounts"]] as const) {
    const saved = await app.request("/submit-feedback", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ product_id: id, approved: false, corrected_text: value }),
    });
    assert.equal(saved.status, 201);
  }
  // The worker sweeps rows the new labels leave without a suggestion: let it finish before counting.
  await worker.idle();
  const values = await (await app.request("/suggested-values")).json() as SuggestedValue[];
  assert.deepEqual(values.map((value) => value.value).sort(), ["ink", "tv mounts"]);
  const waiting = await page("limit=200");
  assert.equal(
    values.reduce((sum, value) => sum + value.count, 0),
    waiting.items.filter((item) => item.suggestion !== null).length,
  );
  for (const value of values) {
    const filtered = await page(`limit=200&suggestion=${encodeURIComponent(value.value)}`);
    assert.equal(filtered.total, value.count);
    assert.ok(filtered.items.every((item) => item.suggestion === value.value));
  }
  const ink = await page("limit=200&suggestion=ink");
  assert.ok(ink.items.some((item) => item.product_id === ids[1]), "a near-duplicate of the ink row");
  assert.equal((await app.request("/products-for-review?suggestion=%20")).status, 422);
});

/** review_queue as it should be: every (model, product) with a vector and no label, with its rank. */
async function queueMismatch(db: Database): Promise<{ missing: unknown[]; extra: unknown[] }> {
  const [row] = await db.query<{ missing: unknown[]; extra: unknown[] }>(sql`
    WITH expected AS (
      SELECT embeddings.model_id, embeddings.product_id, products.import_id, suggestions.value AS suggestion,
             coalesce(suggestions.confidence, -1) AS rank_confidence, coalesce(suggestions.margin, -1) AS rank_margin,
             to_tsvector('simple', left(coalesce(products.search_key, products.text), 10000)) AS search
      FROM embeddings
      JOIN products ON products.id = embeddings.product_id
      LEFT JOIN suggestions ON suggestions.product_id = embeddings.product_id
      WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = embeddings.product_id)
    ), actual AS (
      SELECT model_id, product_id, import_id, suggestion, rank_confidence, rank_margin, search FROM review_queue
    )
    SELECT (SELECT coalesce(jsonb_agg(e), '[]') FROM (SELECT * FROM expected EXCEPT SELECT * FROM actual) e)
             AS missing,
           (SELECT coalesce(jsonb_agg(a), '[]') FROM (SELECT * FROM actual EXCEPT SELECT * FROM expected) a)
             AS extra`);
  return row;
}

function unitVector(seed: number): string {
  const values = Array.from({ length: 384 }, (_, i) => Math.sin(seed * 7.1 + i * 0.37));
  const norm = Math.hypot(...values);
  return vectorLiteral(values.map((value) => value / norm));
}

async function insertProducts(db: Database, fileName: string, count: number): Promise<number[]> {
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES (${fileName}, 'imported') RETURNING id`);
  const rows = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    SELECT ${created.id}, n, jsonb_build_object('title', 'row ' || n), 'row ' || n FROM generate_series(1, ${count}) n
    RETURNING id`);
  return rows.map((row) => row.id).sort((a, b) => a - b);
}

test("review_queue holds exactly the embedded, unlabelled rows through every kind of write", async () => {
  const db = await openTestDatabase();
  try {
    const ids = await insertProducts(db, "queue.csv", 12);
    const check = async (step: string) =>
      assert.deepEqual(await queueMismatch(db), { missing: [], extra: [] }, step);
    const count = async () =>
      (await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM review_queue`))[0].n;
    assert.equal(await count(), 0, "no vector, no place in the queue");

    await db.query(sql`
      INSERT INTO suggestions (product_id, value, confidence, margin, source)
      SELECT id, 'early', 0.5, 0.1, 'knn' FROM unnest(${ids.slice(0, 2)}::int[]) id`);
    await db.query(sql`
      INSERT INTO embeddings (product_id, model_id, embedding)
      SELECT id, 'm1', v::vector FROM unnest(${ids.slice(0, 10)}::int[], ${
      ids.slice(0, 10).map(unitVector)
    }::text[]) AS t(id, v)`);
    await db.query(sql`
      INSERT INTO embeddings (product_id, model_id, embedding) VALUES (${ids[0]}, 'm2', ${
      unitVector(99)
    }::vector)`);
    await check("vectors written, two already suggested");
    assert.equal(await count(), 11);

    await db.query(sql`
      INSERT INTO product_labels (product_id, value, source)
      SELECT id, 'seed', 'seed' FROM unnest(${ids.slice(0, 3)}::int[]) id`);
    await check("seed labels");
    await db.query(sql`
      INSERT INTO suggestions (product_id, value, confidence, margin, source)
      SELECT id, 'v' || (id % 3), (id % 7) / 10.0, NULL, 'knn' FROM unnest(${ids}::int[]) id
      ON CONFLICT (product_id) DO UPDATE SET value = excluded.value, confidence = excluded.confidence,
        margin = excluded.margin`);
    await check("suggestions inserted and upserted");
    await db.query(sql`UPDATE suggestions SET confidence = 0.99, margin = 0.5 WHERE product_id = ${ids[5]}`);
    await db.query(sql`DELETE FROM suggestions WHERE product_id = ${ids[6]}`);
    await check("a suggestion re-scored, one deleted");
    await db.query(sql`DELETE FROM product_labels WHERE product_id = ${ids[1]}`);
    await check("a label removed puts the row back, for each of its vectors");
    await db.query(sql`
      INSERT INTO product_labels (product_id, value, source) VALUES (${ids[4]}, 'x', 'human')
      ON CONFLICT (product_id) DO UPDATE SET value = excluded.value`);
    await db.query(sql`
      INSERT INTO product_labels (product_id, value, source) VALUES (${ids[4]}, 'y', 'human')
      ON CONFLICT (product_id) DO UPDATE SET value = excluded.value`);
    await check("a decision, then a second one");
    await assert.rejects(db.transaction(async (tx) => {
      await tx.query(
        sql`INSERT INTO product_labels (product_id, value, source) VALUES (${ids[7]}, 'z', 'human')`,
      );
      throw new Error("rolled back");
    }));
    await check("a rolled-back decision leaves the row waiting");
    assert.ok((await db.query(sql`SELECT 1 FROM review_queue WHERE product_id = ${ids[7]}`)).length === 1);
    await db.query(sql`DELETE FROM embeddings WHERE product_id = ${ids[8]}`);
    await db.query(sql`DELETE FROM products WHERE id = ${ids[9]}`);
    await check("a vector and a product deleted");
    await db.query(sql`DELETE FROM imports WHERE file_name = 'queue.csv'`);
    await check("the import deleted");
    assert.equal(await count(), 0);
  } finally {
    await db.close();
  }
});

test("migration 0006 fills review_queue on a database that already holds data", async () => {
  const db = await openEmptyTestDatabase();
  const before = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-"));
  try {
    for (const migration of listMigrations().filter((m) => m.name < "0006")) {
      fs.writeFileSync(path.join(before, migration.name), migration.script);
    }
    await migrate(db, before);
    const ids = await insertProducts(db, "old.csv", 8);
    await db.query(sql`
      INSERT INTO embeddings (product_id, model_id, embedding)
      SELECT id, 'm1', v::vector FROM unnest(${ids.slice(0, 6)}::int[], ${
      ids.slice(0, 6).map(unitVector)
    }::text[]) AS t(id, v)`);
    await db.query(sql`
      INSERT INTO suggestions (product_id, value, confidence, margin, source)
      SELECT id, 'old', id / 100.0, NULL, 'knn' FROM unnest(${ids.slice(1, 5)}::int[]) id`);
    await db.query(
      sql`INSERT INTO product_labels (product_id, value, source) VALUES (${ids[2]}, 'old', 'seed')`,
    );

    assert.ok((await migrate(db)).includes("0006_review_queue_indexes.sql"));
    assert.deepEqual(await queueMismatch(db), { missing: [], extra: [] });
    const [{ n }] = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM review_queue`);
    assert.equal(n, 5);
  } finally {
    fs.rmSync(before, { recursive: true, force: true });
    await db.close();
  }
});

test("rows with one text key are near-duplicates though their vectors differ: they never share a window", async () => {
  const pairs = [
    ["Straße", "STRASSE"],
    ["Fußball", "FUSSBALL"],
    ["Gießkanne", "GIESSKANNE"],
    ["Maßband", "MASSBAND"],
    ["Fußmatte", "FUSSMATTE"],
    ["Großpackung", "GROSSPACKUNG"],
    ["Weißwein", "WEISSWEIN"],
    ["Schließfach", "SCHLIESSFACH"],
    ["ﬁlter", "FILTER"],
    ["Spaß", "SPASS"],
  ];
  const response = await app.request("/upload-csv?file_name=look-alikes.csv", {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: toCsv(pairs.flat().map((title) => ({ title }))),
  });
  const created = await response.json() as { import_id: number };
  assert.equal(response.status, 201, JSON.stringify(created));
  await worker.idle();
  const rows = await db.query<{ id: number; text_key: string }>(sql`
    SELECT id, text_key FROM products WHERE import_id = ${created.import_id} ORDER BY row_number`);
  assert.equal(new Set(rows.map((row) => row.text_key)).size, pairs.length, "each pair shares one key");
  const apart = [];
  for (let i = 0; i < rows.length; i += 2) apart.push(await cosine(rows[i].id, rows[i + 1].id));
  assert.ok(apart.some((similarity) => similarity <= NEAR_DUPLICATE_COSINE), `cosines ${apart.join(", ")}`);

  // 20 rows, ten keys: the first window holds one row of each key, the second the others.
  const first = (await page(`import_id=${created.import_id}&limit=10`)).items;
  const keyOf = new Map(rows.map((row) => [row.id, row.text_key]));
  const keys = first.map((item) => keyOf.get(item.product_id));
  assert.equal(new Set(keys).size, keys.length, `a key twice in the first window: ${keys.join(" | ")}`);
});

test('a searched word with a symbol in it is searched as typed: C++, 50%, 3/4"', async () => {
  const titles = [
    "C++ Primer, 5th edition",
    "C Programming Language",
    "Cable clip set",
    "Mug, 50% recycled clay",
    "50 paper cups",
    'Garden hose 3/4" 20 m',
    "Garden hose 3 4 m",
  ];
  const response = await app.request("/upload-csv?file_name=symbols.csv", {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: toCsv(titles.map((title) => ({ title }))),
  });
  const created = await response.json() as { import_id: number };
  assert.equal(response.status, 201, JSON.stringify(created));
  await worker.idle();
  const found = async (q: string) =>
    (await page(`import_id=${created.import_id}&limit=50&q=${encodeURIComponent(q)}`)).items
      .map((item) => item.text).sort();
  assert.deepEqual(await found("C++"), ["C++ Primer, 5th edition"]);
  assert.deepEqual(await found("c++ primer"), ["C++ Primer, 5th edition"]);
  assert.deepEqual(await found("%"), ["Mug, 50% recycled clay"]);
  assert.deepEqual(await found("50%"), ["Mug, 50% recycled clay"]);
  assert.deepEqual(await found('3/4"'), ['Garden hose 3/4" 20 m']);
  // Words of letters and digits alone stay prefixes of words.
  assert.deepEqual(await found("c"), [
    "50 paper cups",
    "C Programming Language",
    "C++ Primer, 5th edition",
    "Cable clip set",
    "Mug, 50% recycled clay",
  ]);
  assert.deepEqual(await found("++"), ["C++ Primer, 5th edition"]);
  assert.deepEqual(await found("#"), []);
});
