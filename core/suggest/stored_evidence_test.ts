/**
 * The evidence is gathered twice: in SQL where the rows live (stored_evidence.ts: scoring on the request
 * path and in workers) and in memory (evidence.ts: training, evaluation, auto-activation). Both must say
 * the same about the same rows, or a version measured on one would be served on the other. Real products
 * and the real model; labelled rows of every source, texts repeated with other case and spacing.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import type { Evidence } from "../learning/ensemble.ts";
import { gatherEvidence, type LabelledRow, type LabelName } from "../learning/evidence.ts";
import { embedMissingLabelNames } from "./label_names.ts";
import { sql, vectorLiteral } from "../db/sql.ts";
import { gatherStoredEvidence } from "./stored_evidence.ts";
import { fillTextKeys } from "../db/text_key_fill.ts";
import { datasetRows, openTestDatabase, testEmbedder } from "../../testing/testing.ts";
import { loadTf } from "../runtime/tf_backend.ts";

const K = 10;
const TOP = 20;
const TEMPERATURE = 0.05;
/** float4 vectors in pgvector against float32 products in TensorFlow.js. */
const TOLERANCE = 1e-4;

let db: Database;
let embedder: Embedder;

before(async () => {
  db = await openTestDatabase();
  embedder = await testEmbedder();
});
after(() => db?.close());

interface Stored {
  id: number;
  text: string;
  vector: number[];
  label?: { value: string; source: "seed" | "human" | "auto" | "reused" };
}

async function store(texts: string[], labels: (Stored["label"] | undefined)[]): Promise<Stored[]> {
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('evidence.csv', 'imported') RETURNING id`);
  const vectors = await embedder.embed(texts);
  const stored: Stored[] = [];
  for (const [index, text] of texts.entries()) {
    const [row] = await db.query<{ id: number }>(sql`
      INSERT INTO products (import_id, row_number, data, text)
      VALUES (${created.id}, ${index + 1}, '{}'::jsonb, ${text}) RETURNING id`);
    await db.query(sql`INSERT INTO embeddings (product_id, model_id, embedding)
      VALUES (${row.id}, ${embedder.modelId}, ${vectorLiteral(vectors[index])}::vector)`);
    const label = labels[index];
    if (label) {
      await db.query(sql`INSERT INTO product_labels (product_id, value, source)
        VALUES (${row.id}, ${label.value}, ${label.source})`);
    }
    stored.push({ id: row.id, text, vector: vectors[index], label });
  }
  return stored;
}

function assertScoresAgree(
  sqlSide: Map<string, number> | undefined,
  tsSide: Map<string, number> | undefined,
  what: string,
) {
  assert.deepEqual([...(sqlSide?.keys() ?? [])].sort(), [...(tsSide?.keys() ?? [])].sort(), what);
  for (const [value, score] of sqlSide ?? []) {
    const other = tsSide!.get(value)!;
    assert.ok(Math.abs(score - other) < TOLERANCE, `${what}: ${value} ${score} vs ${other}`);
  }
}

test("SQL and TypeScript gather the same kNN vote, memory and label-name evidence", async () => {
  const rows = datasetRows(160).filter((row) => row.title.trim() && row.category.trim());
  const labelled = rows.slice(0, 100);
  const unlabelled = rows.slice(100, 130);
  // Texts a person already decided, typed again with other case, spacing and Unicode forms (decomposed
  // accents, zero-width and no-break spaces, full-width letters): the exact-match memory.
  const retyped = [
    (title: string) => `  ${title.toUpperCase().replace(/ /g, "  ")} `,
    (title: string) => `${title} Cafe\u0301 cre\u0300me`.replace(/ /g, "\u00a0"),
    (title: string) => title.replace(/ /g, "\u200b \t"),
    (title: string) =>
      `\ufeff${title.replace(/[a-z]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0))}`,
  ];
  const twins = labelled.slice(0, 8).map((row, index) => retyped[index % retyped.length](row.title));
  // The decided texts the second form retypes carry the accents composed.
  const decided = labelled.map((row, index) =>
    index < 8 && index % 4 === 1 ? `${row.title} Café crème` : row.title
  );
  const sources = ["seed", "seed", "human", "seed", "auto", "reused"] as const;
  const stored = await store(
    [...decided, ...unlabelled.map((row) => row.title), ...twins],
    [
      ...labelled.map((row, index) => ({ value: row.category, source: sources[index % sources.length] })),
      ...unlabelled.map(() => undefined),
      ...twins.map(() => undefined),
    ],
  );
  // store() writes rows as other tools do, without keys: the start-up fill computes them.
  assert.equal(await fillTextKeys(db), stored.length);
  await embedMissingLabelNames(db, embedder);
  const targets = stored.filter((row) => !row.label);

  const fromSql = await gatherStoredEvidence(db, {
    modelId: embedder.modelId,
    productIds: targets.map((row) => row.id),
    k: K,
    zeroShotTop: TOP,
    zeroShotTemperature: TEMPERATURE,
  });

  // The same rules written out here: only seed labels and people's decisions vote and feed the memory;
  // label names are every value but auto-accepted ones, embedded as the names themselves.
  const voters: LabelledRow[] = stored
    .filter((row) => row.label && (row.label.source === "seed" || row.label.source === "human"))
    .map((row) => ({
      text: row.text,
      value: row.label!.value,
      vector: row.vector,
      human: row.label!.source === "human",
    }));
  const nameValues = [
    ...new Set(
      stored.filter((row) => row.label && row.label.source !== "auto").map((row) => row.label!.value),
    ),
  ];
  const nameVectors = await embedder.embed(nameValues);
  const labelNames: LabelName[] = nameValues.map((value, index) => ({ value, vector: nameVectors[index] }));
  const tf = await loadTf();
  const fromTs = gatherEvidence(tf, targets, {
    rows: voters,
    labelNames,
    k: K,
    zeroShotTop: TOP,
    zeroShotTemperature: TEMPERATURE,
  });

  let memoryMatches = 0;
  targets.forEach((target, index) => {
    const left: Evidence = fromSql.get(target.id)!;
    const right = fromTs[index];
    const what = `"${target.text.trim().slice(0, 40)}"`;
    assertScoresAgree(left.knn?.shares, right.knn?.shares, `kNN vote shares of ${what}`);
    assertScoresAgree(left.knn?.best, right.knn?.best, `kNN closest voters of ${what}`);
    assertScoresAgree(left.zeroShot, right.zeroShot, `zero-shot of ${what}`);
    const memory = (matches: Evidence["memory"]) =>
      [...(matches ?? [])].map(({ value, count, human }) => ({ value, count, human })).sort((a, b) =>
        a.value.localeCompare(b.value)
      );
    assert.deepEqual(memory(left.memory), memory(right.memory), `memory of ${what}`);
    if (left.memory?.length) memoryMatches++;
  });
  // The twins of seed and human decisions match; those of the auto and reused labels must not.
  assert.equal(memoryMatches, 6);
  assert.ok(fromTs.every((evidence) => evidence.knn && evidence.knn.shares.size > 0));
});
