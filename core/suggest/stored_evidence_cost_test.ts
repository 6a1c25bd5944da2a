/**
 * What scoring a batch costs must not grow with the labelled set where it need not, and rewriting a
 * statement for that must not change a bit of what it returns (stored_evidence.ts): the exact-match
 * memory is looked up from the targets, not from every label; zero-shot computes each distance once.
 * Synthetic vectors and texts (no model): 2,000 seed labels, a few targets with labelled twins of every
 * source. Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL + pgvector.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../db/database.ts";
import { seededRandom } from "../learning/training.ts";
import { sql, type SqlQuery, vectorLiteral } from "../db/sql.ts";
import { fillTextKeys } from "../db/text_key_fill.ts";
import { gatherStoredEvidence, memoryQuery } from "./stored_evidence.ts";
import { zeroShotScores } from "../learning/ensemble.ts";
import { openTestDatabase } from "../../testing/testing.ts";

const MODEL = "test-model";
const LABELS = 2000;
let db: Database;
/** Unlabelled rows, some with labelled twins (same text key), some with none. */
let targets: number[];

function unitVectors(count: number, seed: number): number[][] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const vector = Array.from({ length: 384 }, () => next() - 0.5);
    const norm = Math.hypot(...vector);
    return vector.map((x) => x / norm);
  });
}

before(async () => {
  db = await openTestDatabase();
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('cost.csv', 'imported') RETURNING id`);
  // Labelled rows "item n", then twins retyped with other case and spacing, labelled by each source,
  // then the targets: twins of some of them, and rows whose text nothing else has.
  const sources = ["seed", "human", "auto", "reused"];
  const twins = Array.from({ length: 12 }, (_, i) => ({ text: `ITEM  ${i % 4}`, source: sources[i % 4] }));
  const texts = [
    ...Array.from({ length: LABELS }, (_, i) => `item ${i}`),
    ...twins.map((twin) => twin.text),
    ...Array.from({ length: 6 }, (_, i) => ` Item ${i} `),
    ...Array.from({ length: 6 }, (_, i) => `nothing like it ${i}`),
    "",
  ];
  const ids = (await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    SELECT ${created.id}, item.n, '{}'::jsonb, item.text
    FROM unnest(${texts.map((_, i) => i + 1)}::int[], ${texts}::text[]) AS item(n, text)
    ORDER BY item.n RETURNING id`)).map((row) => row.id).sort((a, b) => a - b);
  const values = [
    ...Array.from({ length: LABELS }, (_, i) => `value ${i % 40}`),
    ...twins.map((_, i) => `twin value ${i % 3}`),
  ];
  const labelSources = [...Array.from({ length: LABELS }, () => "seed"), ...twins.map((twin) => twin.source)];
  await db.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT * FROM unnest(${ids.slice(0, values.length)}::int[], ${values}::text[], ${labelSources}::text[])`);
  targets = ids.slice(values.length);
  // Only the targets have vectors (zero-shot compares them with the label names): the memory needs none.
  await db.query(sql`
    INSERT INTO embeddings (product_id, model_id, embedding)
    SELECT item.id, ${MODEL}, item.embedding::vector
    FROM unnest(${targets}::int[], ${unitVectors(targets.length, 5).map(vectorLiteral)}::text[])
      AS item(id, embedding)`);
  const names = [...new Set(values)];
  await db.query(sql`
    INSERT INTO label_embeddings (value, model_id, embedding)
    SELECT item.value, ${MODEL}, item.embedding::vector
    FROM unnest(${names}::text[], ${unitVectors(names.length, 9).map(vectorLiteral)}::text[])
      AS item(value, embedding)`);
  await fillTextKeys(db);
});
after(() => db?.close());

/** The exact-match memory as it was written before: one join from the targets through twins to labels. */
function joinedMemoryQuery(ids: number[]): SqlQuery {
  return sql`
    SELECT target.id AS product_id, labels.value, count(*)::int AS count,
           bool_or(labels.source = 'human') AS human
    FROM products target
    JOIN products twin
      ON twin.text_key = target.text_key AND twin.id <> target.id
    JOIN product_labels labels ON labels.product_id = twin.id AND labels.source IN ('seed', 'human')
    WHERE target.id = ANY(${ids}::int[]) AND target.text_key <> ''
    GROUP BY target.id, labels.value`;
}

type MemoryRow = { product_id: number; value: string; count: number; human: boolean };
const inOrder = (rows: MemoryRow[]) =>
  [...rows].sort((a, b) => a.product_id - b.product_id || a.value.localeCompare(b.value));

test("the exact-match memory looked up from the targets is the join's, row for row", async () => {
  const found = inOrder(await db.query<MemoryRow>(memoryQuery(targets)));
  assert.deepEqual(found, inOrder(await db.query<MemoryRow>(joinedMemoryQuery(targets))));
  // The twins of seed and human labels count, auto-accepted and reused ones do not; six targets match.
  assert.equal(new Set(found.map((row) => row.product_id)).size, 6);
  assert.ok(found.some((row) => row.human) && found.some((row) => !row.human));
});

/** Rows each scan of `relation` produced in the executed plan of `query`, summed over its loops. */
async function rowsRead(query: SqlQuery, relation: string): Promise<number> {
  const [{ plan }] = await db.query<{ plan: unknown }>({
    text: `EXPLAIN (ANALYZE, FORMAT JSON) ${query.text}`,
    values: query.values,
  }).then((rows) => rows.map((row) => ({ plan: Object.values(row)[0] })));
  const parsed = typeof plan === "string" ? JSON.parse(plan) : plan;
  let read = 0;
  const visit = (node: Record<string, unknown>) => {
    if (node["Relation Name"] === relation) {
      read += ((node["Actual Rows"] as number) + ((node["Rows Removed by Filter"] as number) ?? 0)) *
        (node["Actual Loops"] as number);
    }
    for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) visit(child);
  };
  visit((parsed as { Plan: Record<string, unknown> }[])[0].Plan);
  return read;
}

test("the exact-match memory of a batch reads its twins' labels, not every label", async () => {
  // Eight targets, as the worker scores them: 2,000 labels exist, 18 are their twins'.
  const batch = targets.slice(0, 8);
  const read = await rowsRead(memoryQuery(batch), "product_labels");
  assert.ok(read < 100, `read ${read} product_labels rows for 8 targets among ${LABELS} labels`);
});

test("zero-shot similarities are 1 - the cosine distance, bit for bit, nearest names first", async () => {
  const evidence = await gatherStoredEvidence(db, {
    modelId: MODEL,
    productIds: targets,
    k: 10,
    zeroShotTop: 20,
    zeroShotTemperature: 0.05,
  });
  // What the statement computed before: 1 - (distance), ordered by the distance.
  const expected = await db.query<{ product_id: number; value: string; similarity: number }>(sql`
    SELECT targets.product_id, nearest.value, nearest.similarity
    FROM embeddings targets
    CROSS JOIN LATERAL (
      SELECT names.value, 1 - (names.embedding <=> targets.embedding) AS similarity
      FROM label_embeddings names
      WHERE names.model_id = ${MODEL}
      ORDER BY names.embedding <=> targets.embedding LIMIT 20
    ) nearest
    WHERE targets.model_id = ${MODEL} AND targets.product_id = ANY(${targets}::int[])`);
  for (const id of targets) {
    const own = expected.filter((row) => row.product_id === id);
    assert.deepEqual(evidence.get(id)!.zeroShot, zeroShotScores(own, 0.05), `product ${id}`);
  }
});
