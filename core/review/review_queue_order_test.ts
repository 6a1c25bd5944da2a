/**
 * The review queue's order (migrations 0014, 0027): most informative first, uncertainty × density^1.5 × novelty, on
 * vectors whose cosines are known exactly — two clusters of different size and two outliers — with the
 * worker's density sweep (review_rank.ts), real scoring (score_products.ts) and the real page reader.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ReviewPage, ReviewQuery } from "../../contract/schemas.ts";
import type { Database } from "../db/database.ts";
import {
  fillMissingDensity,
  informationValue,
  needsSpread,
  QUEUE_DENSITY_NEIGHBOURS,
  QUEUE_DENSITY_POWER,
  spreadQueueTop,
} from "../suggest/review_rank.ts";
import { scoreProducts } from "../suggest/score_products.ts";
import { sql, vectorLiteral } from "../db/sql.ts";
import { openTestDatabase } from "../../testing/testing.ts";
import { readReviewPage } from "./review_queue.ts";

const MODEL = "test-model";

/** Unit vector of `weights` (axis → weight) in 384 dimensions. */
function unit(weights: Record<number, number>): number[] {
  const vector = new Array(384).fill(0);
  for (const [axis, weight] of Object.entries(weights)) vector[Number(axis)] = weight;
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

function cosine(a: number[], b: number[]): number {
  return a.reduce((sum, value, i) => sum + value * b[i], 0);
}

/**
 * Cluster A: 8 rows around axis 0, cluster B: 4 rows around axis 1 (cosine 0.8 inside a cluster, 0
 * across: no near-duplicates, so the diversity windows keep the order), two outliers on axes of their own.
 */
const WAITING = [
  ...[...Array(8)].map((_, i) => ({ name: `a${i}`, vector: unit({ 0: 1, [10 + i]: 0.5 }) })),
  ...[...Array(4)].map((_, i) => ({ name: `b${i}`, vector: unit({ 1: 1, [30 + i]: 0.5 }) })),
  { name: "x0", vector: unit({ 50: 1 }) },
  { name: "x1", vector: unit({ 51: 1 }) },
];

async function setUp(labels: { value: string; vector: number[] }[]) {
  const db = await openTestDatabase();
  const [{ id: importId }] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('order.csv', 'imported') RETURNING id`);
  const ids = new Map<string, number>();
  // Outliers first, the big cluster last: file order (the tie-break) is not the expected order.
  const rows = [
    ...[...WAITING].reverse().map((row) => ({ ...row, label: undefined as string | undefined })),
    ...labels.map((row, i) => ({ name: `label${i}`, vector: row.vector, label: row.value })),
  ];
  for (const [n, row] of rows.entries()) {
    const [{ id }] = await db.query<{ id: number }>(sql`
      INSERT INTO products (import_id, row_number, data, text)
      VALUES (${importId}, ${n + 1}, '{}'::jsonb, ${row.name}) RETURNING id`);
    ids.set(row.name, id);
    await db.query(sql`
      INSERT INTO embeddings (product_id, model_id, embedding)
      VALUES (${id}, ${MODEL}, ${vectorLiteral(row.vector)}::vector)`);
    if (row.label) {
      await db.query(sql`
        INSERT INTO product_labels (product_id, value, source) VALUES (${id}, ${row.label}, 'seed')`);
    }
  }
  return { db, ids, all: rows };
}

async function queue(db: Database, limit = 100): Promise<ReviewPage> {
  return await readReviewPage(db, { limit, offset: 0 } as ReviewQuery, MODEL);
}

/** Exact density: mean cosine to the QUEUE_DENSITY_NEIGHBOURS most similar other vectors. */
function exactDensity(vector: number[], all: { vector: number[] }[]): number {
  const similar = all.map((row) => cosine(vector, row.vector)).sort((a, b) => b - a).slice(1);
  const nearest = similar.slice(0, QUEUE_DENSITY_NEIGHBOURS);
  return nearest.reduce((sum, value) => sum + value, 0) / nearest.length;
}

test("with no labels the queue starts with the densest rows and leaves outliers last", async () => {
  const { db, ids, all } = await setUp([]);
  try {
    const name = new Map([...ids].map(([key, id]) => [id, key]));
    // Before the sweep nothing is measured: the old order (no suggestion anywhere: by id).
    assert.deepEqual(
      (await queue(db)).items.map((item) => name.get(item.product_id)),
      [...WAITING].reverse().map((row) => row.name),
    );
    assert.equal(await fillMissingDensity(db, { modelId: MODEL, limit: 5 }), 5);
    while (await fillMissingDensity(db, { modelId: MODEL, limit: 5 }) > 0) { /* to the end */ }
    const stored = await db.query<{ product_id: number; density: number }>(sql`
      SELECT product_id, density FROM review_queue`);
    for (const row of stored) {
      const vector = all.find((item) => ids.get(item.name) === row.product_id)!.vector;
      assert.ok(Math.abs(row.density - exactDensity(vector, all)) < 1e-4, name.get(row.product_id));
    }
    const order = (await queue(db)).items.map((item) => name.get(item.product_id));
    // Equal densities inside a cluster: file order.
    const a = WAITING.slice(0, 8).map((row) => row.name).reverse();
    const b = WAITING.slice(8, 12).map((row) => row.name).reverse();
    assert.deepEqual(order, [...a, ...b, "x1", "x0"]);

    // Spread: after the first row of cluster A, the others of A are 0.8 similar to it (value × 0.2), so
    // cluster B's first row comes second (0.431^1.5 × 0.2 = 0.057 < 0.185^1.5 = 0.079); the first page
    // covers both clusters.
    assert.equal(await needsSpread(db, MODEL), true);
    assert.equal(await spreadQueueTop(db, { modelId: MODEL }), WAITING.length);
    assert.equal(await needsSpread(db, MODEL), false);
    const spread = (await queue(db)).items.map((item) => name.get(item.product_id));
    assert.deepEqual(spread, [a[0], b[0], ...a.slice(1), ...b.slice(1), "x1", "x0"]);
  } finally {
    await db.close();
  }
});

test("the queue ranks by uncertainty × density^1.5 × (1 − similarity to the closest labelled row), page by page", async () => {
  // One label in cluster A: cluster A is covered, cluster B and the outliers are not.
  const { db, ids, all } = await setUp([{ value: "a", vector: unit({ 0: 1 }) }, {
    value: "x",
    vector: unit({ 50: 1, 51: 1, 0: 0.2 }),
  }]);
  try {
    while (await fillMissingDensity(db, { modelId: MODEL, limit: 64 }) > 0) { /* to the end */ }
    const waiting = WAITING.map((row) => ids.get(row.name)!);
    await scoreProducts(db, { modelId: MODEL, productIds: waiting });
    await spreadQueueTop(db, { modelId: MODEL });
    const confidence = new Map(
      (await db.query<{ product_id: number; confidence: number }>(sql`
        SELECT product_id, confidence FROM suggestions`)).map((row) => [row.product_id, row.confidence]),
    );
    const labelled = all.filter((row) => row.name.startsWith("label"));
    // Greedy, with the rows picked before counting as labelled (the spread).
    const value = (row: { name: string; vector: number[] }, before: { vector: number[] }[]) => {
      const covered = Math.max(
        0,
        ...[...labelled, ...before].map((other) => cosine(row.vector, other.vector)),
      );
      // No suggestion (no labelled row with a positive similarity): fully uncertain.
      return exactDensity(row.vector, all) ** QUEUE_DENSITY_POWER * (1 - covered) *
        (1 - (confidence.get(ids.get(row.name)!) ?? 0));
    };
    // Ties (rows of a cluster) in file order, as the queue breaks them.
    const left = [...WAITING].reverse();
    const chosen: typeof WAITING = [];
    while (left.length > 0) {
      const values = left.map((row) => value(row, chosen));
      chosen.push(...left.splice(values.indexOf(Math.max(...values)), 1));
    }
    const expected = chosen.map((row) => ids.get(row.name)!);
    // Cluster B (dense, far from every label) starts; the outliers (least certain) do not.
    assert.equal(chosen[0].name, "b3");
    assert.deepEqual((await queue(db)).items.map((item) => item.product_id), expected);

    // Keyset pages of 3 walk the same order.
    const paged: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await readReviewPage(db, { limit: 3, offset: 0, cursor } as ReviewQuery, MODEL);
      paged.push(...page.items.map((item) => item.product_id));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    assert.deepEqual(paged, expected);
  } finally {
    await db.close();
  }
});

test("the worker's spread and the database rank by the same value", async () => {
  // The spread stores only redundancies; its picks keep their places only if review_queue_priority
  // orders them as informationValue picked them.
  const db = await openTestDatabase();
  try {
    for (const confidence of [-1, 0, 0.3, 0.9]) {
      for (const density of [null, -0.1, 0.2, 0.6]) {
        for (const coverage of [0, 0.5]) {
          for (const redundancy of [null, 0.3, 0.8]) {
            const [{ priority }] = await db.query<{ priority: number }>(sql`
              SELECT review_queue_priority(${confidence}::real, ${density}::real, ${coverage}::real,
                ${redundancy}::real) AS priority`);
            const value = informationValue({ confidence, density, coverage }, redundancy ?? 0);
            assert.ok(
              Math.abs(-priority - value) < 1e-6,
              `${confidence} ${density} ${coverage} ${redundancy}`,
            );
          }
        }
      }
    }
  } finally {
    await db.close();
  }
});
