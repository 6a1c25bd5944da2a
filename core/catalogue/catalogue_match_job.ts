/**
 * The `catalogue-match` job: suggests a canonical entry, with its confidence and runners-up, for every
 * undecided row of one catalogue field. In order: embeds the entries that have no vector for the running
 * model; indexes the entries and the field's decided rows (catalogue_index.ts); fits the re-ranker on the
 * decided rows (matcher.ts: leave-one-out, default weights below 20 usable decisions); matches every
 * undecided row that has a vector and writes the answer, never over a decision.
 *
 * Matching runs on the worker's thread; in the embedded shape that is the web server's, so the loop
 * yields every few milliseconds: a row costs about one cosine per document (~8 ms per 25,000 documents).
 */
import { z } from "zod";
import type { Queryable } from "../db/database.ts";
import { sql, vectorLiteral } from "../db/sql.ts";
import type { JobContext, JobHandler } from "../jobs/job_handler.ts";
import type { Embedder } from "../embedding/embedder.ts";
import { MAX_ATTEMPTS } from "../embedding/embedding_queue.ts";
import { yieldEvery } from "../runtime/yield_to_event_loop.ts";
import { CatalogueIndex } from "./catalogue_index.ts";
import { type CosineScorer, cosineScorer } from "./cosine_scorer.ts";
import { type CatalogueMatch, matchRow, rankingExample } from "./matcher.ts";
import { MIN_TRAINING_EXAMPLES, type RankingExample, trainReranker } from "./reranker.ts";

/** Entries embedded per model call and rows matched per write. */
const EMBED_BATCH = 64;
const MATCH_BATCH = 128;
/**
 * Rows whose cosines are one matrix product: 16 runs at ~1 ms per row against 22,074 entries
 * (cosine_scorer.ts) and holds the thread ~20 ms, which the embedded web server tolerates between yields.
 */
const COSINE_BATCH = 16;

const MatchPayload = z.object({ field_id: z.number().int().positive() });

/** What the job stores as its result. */
export interface CatalogueMatchResult {
  field: string;
  entries: number;
  decided: number;
  matched: number;
  /** Whether the re-ranker was fitted on this field's decisions (else its default weights served). */
  trained: boolean;
  /** Whether only rows without an answer were matched (nothing in the index changed since the last run). */
  only_new: boolean;
  /** What computed the embedding cosines (cosine_scorer.ts). */
  cosines: string;
}

/** Embeds field `fieldId`'s entries that have no vector from `embedder`'s model; returns how many. */
export async function embedEntries(
  db: Queryable,
  embedder: Embedder,
  fieldId: number,
  onProgress: (done: number, total: number) => Promise<void> = async () => {},
): Promise<number> {
  const [{ total }] = await db.query<{ total: number }>(sql`
    SELECT count(*)::int AS total FROM catalogue_entries
    WHERE field_id = ${fieldId} AND retired_at IS NULL AND (model_id IS NULL OR model_id <> ${embedder.modelId})`);
  let done = 0;
  while (done < total) {
    const batch = await db.query<{ id: number; name: string }>(sql`
      SELECT id, name FROM catalogue_entries
      WHERE field_id = ${fieldId} AND retired_at IS NULL AND (model_id IS NULL OR model_id <> ${embedder.modelId})
      ORDER BY id LIMIT ${EMBED_BATCH}`);
    if (batch.length === 0) break;
    const vectors = await embedder.embed(batch.map((entry) => entry.name));
    await db.query(sql`
      UPDATE catalogue_entries e SET model_id = ${embedder.modelId}, embedding = v.embedding::vector
      FROM unnest(${batch.map((entry) => entry.id)}::int[], ${vectors.map(vectorLiteral)}::text[])
        AS v(id, embedding)
      WHERE e.id = v.id`);
    done += batch.length;
    await onProgress(done, total);
  }
  return done;
}

/** Builds the index of field `fieldId`: its embedded entries and its decided rows that have vectors. */
export async function loadCatalogueIndex(
  db: Queryable,
  fieldId: number,
  modelId: string,
): Promise<{ index: CatalogueIndex; decided: number }> {
  const entries = await db.query<{ id: number; name: string; vector: number[] | null }>(sql`
    SELECT id, name, CASE WHEN model_id = ${modelId} THEN embedding::real[] END AS vector
    FROM catalogue_entries WHERE field_id = ${fieldId} AND retired_at IS NULL ORDER BY id`);
  const decided = await db.query<{ entry_id: number; text: string; vector: number[] }>(sql`
    SELECT m.entry_id, p.text, e.embedding::real[] AS vector
    FROM catalogue_matches m
    JOIN products p ON p.id = m.product_id
    JOIN embeddings e ON e.product_id = m.product_id AND e.model_id = ${modelId}
    JOIN catalogue_entries ce ON ce.id = m.entry_id AND ce.retired_at IS NULL
    WHERE m.field_id = ${fieldId} AND m.source <> 'suggested'
    ORDER BY m.product_id`);
  const index = CatalogueIndex.build(
    // An entry without a vector is still a class decided rows can point at; it has no name document.
    entries.map((entry) => ({
      id: String(entry.id),
      name: entry.vector ? entry.name : undefined,
      vector: entry.vector ?? undefined,
    })),
    decided.map((row) => ({ entryId: String(row.entry_id), text: row.text, vector: row.vector })),
  );
  return { index, decided: decided.length };
}

async function writeMatches(
  db: Queryable,
  fieldId: number,
  answers: { productId: number; match: CatalogueMatch }[],
): Promise<void> {
  const rows = answers.filter((answer) => answer.match.best !== null).map(({ productId, match }) => ({
    product_id: productId,
    entry_id: Number(match.best!.entryId),
    confidence: Math.min(1, Math.max(0, match.best!.confidence)),
    alternatives: match.alternatives.map((alt) => ({
      entry_id: Number(alt.entryId),
      confidence: alt.confidence,
    })),
  }));
  // A row with no candidate now (its entry was retired) keeps no stale suggestion.
  const unanswered = answers.filter((answer) => answer.match.best === null).map((answer) => answer.productId);
  if (unanswered.length > 0) {
    await db.query(sql`
      DELETE FROM catalogue_matches
      WHERE field_id = ${fieldId} AND product_id = ANY(${unanswered}::int[]) AND source = 'suggested'`);
  }
  if (rows.length === 0) return;
  await db.query(sql`
    INSERT INTO catalogue_matches (field_id, product_id, entry_id, confidence, alternatives, source)
    SELECT ${fieldId}, r.product_id, r.entry_id, r.confidence, r.alternatives, 'suggested'
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
      AS r(product_id int, entry_id int, confidence real, alternatives jsonb)
    ON CONFLICT (field_id, product_id) DO UPDATE
      SET entry_id = excluded.entry_id, confidence = excluded.confidence,
          alternatives = excluded.alternatives, updated_at = now()
      WHERE catalogue_matches.source = 'suggested'`);
}

/** The `catalogue-match` job handler. */
export function catalogueMatchHandler(): JobHandler {
  return async (job, context): Promise<CatalogueMatchResult | { skipped: string }> => {
    const { field_id: fieldId } = MatchPayload.parse(job.payload);
    const { db, embedder } = context;
    const [field] = await db.query<{ name: string; requested: string | null; changed: boolean }>(sql`
      SELECT f.name, f.match_requested_at::text AS requested,
        -- Whether the index (entries, decided rows) changed since the last run; the request that run
        -- served is later than every change it saw, as each change requests a match in its transaction.
        f.matched_at IS NULL
          OR EXISTS (SELECT 1 FROM catalogue_entries e WHERE e.field_id = f.id AND e.created_at > f.matched_at)
          OR EXISTS (SELECT 1 FROM catalogue_matches m
                     WHERE m.field_id = f.id AND m.source <> 'suggested' AND m.updated_at > f.matched_at)
          AS changed
      FROM fields f WHERE f.id = ${fieldId} AND f.kind = 'catalogue'`);
    if (!field) return { skipped: `no catalogue field with id ${fieldId}` };
    // With the same index and weights, a suggested row would get the same answer again: only rows with
    // no answer yet (new rows, rows that got their vector since) are matched.
    const onlyNew = !field.changed;
    const pending = onlyNew
      ? sql`NOT EXISTS (SELECT 1 FROM catalogue_matches m WHERE m.field_id = ${fieldId} AND m.product_id = p.id)`
      : sql`NOT EXISTS (SELECT 1 FROM catalogue_matches m
          WHERE m.field_id = ${fieldId} AND m.product_id = p.id AND m.source <> 'suggested')`;

    await embedEntries(
      db,
      embedder,
      fieldId,
      (done, total) =>
        context.progress(done, total, `${field.name}: embedding canonical entries (${done} of ${total})`),
    );
    const { index, decided } = await loadCatalogueIndex(db, fieldId, embedder.modelId);
    const pause = yieldEvery(20);
    await pause();
    const scorer = await cosineScorer(index);
    try {
      return await matchField(context, { fieldId, field, index, decided, scorer, pending, onlyNew, pause });
    } finally {
      scorer.dispose();
    }
  };
}

/** Fits the re-ranker on the field's decided rows, then matches the pending rows and records the run. */
async function matchField(
  context: JobContext,
  run: {
    fieldId: number;
    field: { name: string; requested: string | null };
    index: CatalogueIndex;
    decided: number;
    scorer: CosineScorer;
    pending: ReturnType<typeof sql>;
    onlyNew: boolean;
    pause: () => Promise<void>;
  },
): Promise<CatalogueMatchResult> {
  const { db, embedder } = context;
  const { fieldId, field, index, decided, scorer, pending, onlyNew, pause } = run;
  const examples: RankingExample[] = [];
  const decidedDocs = index.documents.flatMap((document, doc) => document.decided ? [doc] : []);
  for (let start = 0; start < decidedDocs.length; start += COSINE_BATCH) {
    const docs = decidedDocs.slice(start, start + COSINE_BATCH);
    const cosines = scorer.cosines(docs.map((doc) => index.documentVector(doc)));
    docs.forEach((doc, k) => {
      const example = rankingExample(index, doc, { cosines: cosines[k] });
      if (example) examples.push(example);
    });
    await pause();
    // Also extends the lease: thousands of decided rows take longer than one.
    if ((start / COSINE_BATCH) % 32 === 31) {
      const done = start + docs.length;
      await context.progress(
        done,
        decidedDocs.length,
        `${field.name}: learning from decided rows (${done} of ${decidedDocs.length})`,
      );
    }
  }
  const weights = trainReranker(examples);
  const trained = examples.length >= MIN_TRAINING_EXAMPLES;

  const [{ total }] = await db.query<{ total: number }>(sql`
      SELECT count(*)::int AS total FROM products p
      JOIN imports i ON i.id = p.import_id AND i.status = 'imported'
      JOIN embeddings e ON e.product_id = p.id AND e.model_id = ${embedder.modelId}
      WHERE ${pending}`);
  let matched = 0;
  let after = 0;
  while (index.entries.length > 0) {
    const rows = await db.query<{ id: number; text: string; vector: number[] }>(sql`
        SELECT p.id, p.text, e.embedding::real[] AS vector FROM products p
        JOIN imports i ON i.id = p.import_id AND i.status = 'imported'
        JOIN embeddings e ON e.product_id = p.id AND e.model_id = ${embedder.modelId}
        WHERE p.id > ${after} AND ${pending}
        ORDER BY p.id LIMIT ${MATCH_BATCH}`);
    if (rows.length === 0) break;
    const answers: { productId: number; match: CatalogueMatch }[] = [];
    for (let start = 0; start < rows.length; start += COSINE_BATCH) {
      const chunk = rows.slice(start, start + COSINE_BATCH);
      const cosines = scorer.cosines(chunk.map((row) => row.vector));
      chunk.forEach((row, k) => {
        answers.push({ productId: row.id, match: matchRow(index, row, weights, { cosines: cosines[k] }) });
      });
      await pause();
    }
    await writeMatches(db, fieldId, answers);
    after = rows[rows.length - 1].id;
    matched += rows.length;
    await context.progress(
      matched,
      Math.max(total, matched),
      `${field.name}: matching rows (${matched} of ${total})`,
    );
  }
  // The request this run served; one made meanwhile stays newer and queues the next run. Rows still
  // waiting for vectors were not matched: a new request brings the scheduler back (every 30 s while
  // they wait, at once when the last has its vector), and as nothing in the index changed, that run
  // matches only the rows with no answer.
  await db.query(sql`
    UPDATE fields SET matched_at = coalesce(${field.requested}::text::timestamptz, now()),
      match_requested_at = CASE
        WHEN EXISTS (
          SELECT 1 FROM embedding_queue q WHERE q.model_id = ${embedder.modelId} AND q.attempts < ${MAX_ATTEMPTS})
        THEN greatest(match_requested_at, clock_timestamp())
        ELSE match_requested_at END
    WHERE id = ${fieldId}`);
  return {
    field: field.name,
    entries: index.entries.length,
    decided,
    matched,
    trained,
    only_new: onlyNew,
    cosines: scorer.engine,
  };
}
