/**
 * The review queue = active learning: embedded products that carry no label yet (no seed label, no
 * decision, not auto-accepted), the most informative first — uncertainty (1 − confidence) × density (how
 * typical the row is) × novelty (how far the closest labelled row is), stored as rank_priority (migration
 * 0014, review_rank.ts); ties (rows whose density is not measured yet) by lowest confidence, then smallest
 * margin — and no two near-duplicates in one window of DIVERSITY_WINDOW rows (diverse_order.ts), so each
 * decision teaches the model something new. Rows still waiting for their vector are left out: their
 * suggestion is about to appear.
 *
 * The rows come from review_queue (migration 0006), a table kept by triggers that holds exactly the
 * waiting rows with their rank, so a page is an ordered index scan from a keyset cursor rather than a
 * sort of every waiting row (at 100k products: ~970 ms → a few ms, see bench/queue.ts).
 */
import type { ReviewItem, ReviewPage, ReviewQuery } from "../../contract/schemas.ts";
import type { Database, Queryable } from "../db/database.ts";
import { sql, type SqlQuery } from "../db/sql.ts";
import { fillTextKeys } from "../db/text_key_fill.ts";
import { DomainError } from "../domain_error.ts";
import { searchKey } from "../text_key.ts";
import { DiverseOrder } from "./diverse_order.ts";
import { decodeCursor, encodeCursor, type RankKey } from "./review_cursor.ts";
import { notLeasedToOthers } from "./review_leases.ts";

/** Rows per diversity window: the review page's size. */
export const DIVERSITY_WINDOW = 20;
/** Cosine similarity above which two rows count as near-duplicates. */
export const NEAR_DUPLICATE_COSINE = 0.95;
/**
 * `total` is exact up to this many rows, then reported as this many with `total_capped` ("1,000+"). An
 * exact count of 90,000 waiting rows reads them all on every page (PGlite has no autovacuum, so no
 * index-only count: 30–60 ms at 10k rows, more than the rest of the page), and so does a cap of 10,000.
 * Counting to 1,000 costs ~1 ms. The exact figures per import are on the imports page (reviewed_count).
 */
export const TOTAL_CAP = 1000;
/**
 * `similar_to` searches this many nearest vectors (the HNSW index's ef_search; pgvector's maximum): an
 * approximate index cannot page on past its candidate list (pgvector 0.6 has no iterative scans), and an
 * exact scan of 100k vectors takes ~100 ms on PGlite.
 */
export const SIMILAR_NEIGHBOURS = 1000;
/**
 * Rows shown on earlier pages that a cursor still has to skip (see nextRankCursor). Past this, the
 * oldest are dropped and the cursor moves past them: near-duplicates postponed that far come back on
 * the next pass from the start.
 */
const MAX_CURSOR_SEEN = 1000;
/** Candidates laid out per near-duplicate query: about what one page of 20 needs. */
const PAIR_BATCH = 60;

interface Candidate {
  id: number;
  rank_priority: number;
  rank_confidence: number;
  rank_margin: number;
}

/**
 * A query as the queue reads it: `reviewer` set (a name, or null for an anonymous reader) leaves out the
 * rows leased to other reviewers (review_leases.ts); left undefined, leases are not looked at.
 */
export type QueueQuery = ReviewQuery & { reviewer?: string | null };

/** Reads one page of the queue for the embedding model `modelId`. */
export async function readReviewPage(db: Database, query: QueueQuery, modelId: string): Promise<ReviewPage> {
  // The search words of rows written without keys (by tools other than the importer) come from the key.
  if (query.q !== undefined) await fillTextKeys(db);
  return query.similar_to === undefined
    ? await readRankPage(db, query, modelId)
    : await readSimilarPage(db, query, modelId);
}

/**
 * The filters every kind of page shares, on review_queue aliased `q`. For `q` the planner walks the rank
 * index testing each row's stored tsvector when the words are common, and reads the GIN index when they
 * are rare. Forcing the GIN path, or fetching the matching ids first, was slower for common words
 * ("black", 18k of 90k rows: 35–190 ms instead of 5–9 on PostgreSQL) and no faster for rare ones.
 */
function filters(query: QueueQuery): SqlQuery {
  const ranged = query.min_confidence !== undefined || query.max_confidence !== undefined;
  return sql`
    ${query.import_id === undefined ? sql`` : sql`AND q.import_id = ${query.import_id}::int`}
    ${query.suggestion === undefined ? sql`` : sql`AND q.suggestion = ${query.suggestion}::text`}
    ${
    ranged
      ? sql`AND q.suggestion IS NOT NULL
        AND q.rank_confidence BETWEEN ${query.min_confidence ?? 0}::real AND ${
        query.max_confidence ?? 1
      }::real`
      : sql``
  }
    ${query.q === undefined ? sql`` : textFilter(query.q)}
    ${query.reviewer === undefined ? sql`` : notLeasedToOthers(query.reviewer)}`;
}

/**
 * The search box's filter: every word as a prefix ({@link textQuery}), and every word that holds a
 * character other than a letter or a digit (`C++`, `50%`, `3/4"`) also as typed, anywhere in the row's
 * search key. The full-text parser drops such characters (`C++` would search `c`, `%` nothing at all), and
 * a reviewer who types them means them. Words of letters and digits only are left to the index; a query of
 * symbols only (`%`) is the substring test alone, a scan of the queue in rank order that stops at the page.
 */
function textFilter(text: string): SqlQuery {
  const key = searchKey(text);
  const exact = key.split(" ").filter((word) => SYMBOL.test(word));
  return sql`
    ${WORD.test(key) ? sql`AND q.search @@ ${textQuery(key)}` : sql``}
    ${
    exact.length === 0 ? sql`` : sql`AND EXISTS (
      SELECT 1 FROM products p WHERE p.id = q.product_id
        AND NOT EXISTS (SELECT 1 FROM unnest(${exact}::text[]) word
          WHERE strpos(coalesce(p.search_key, p.text), word) = 0))`
  }`;
}

/** A letter or a digit: what the full-text parser indexes. */
const WORD = /[\p{L}\p{N}]/u;
/** A character the parser drops or splits words on. */
const SYMBOL = /[^\p{L}\p{N}]/u;

/**
 * Every word of `text` as a prefix, AND-ed: the words are cut by the same parser that indexed the rows
 * (so "12.5" or "cc640wn" match as stored) and quoted, so no character of the input is tsquery syntax.
 * Rows are indexed by their search key (core/text_key.ts) and the query is keyed the same way, so
 * `crème` finds `Cre\u0300me` and `creme`.
 */
function textQuery(text: string): SqlQuery {
  return sql`(SELECT to_tsquery('simple', string_agg(
      '''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''':*', ' & '))
    FROM unnest(to_tsvector('simple', ${searchKey(text)}::text)))`;
}

async function countMatching(db: Queryable, modelId: string, query: ReviewQuery): Promise<number> {
  const cap = TOTAL_CAP + 1;
  const [{ total }] = await db.query<{ total: number }>(sql`
    SELECT count(*)::int AS total FROM (
      SELECT 1 FROM review_queue q WHERE q.model_id = ${modelId} ${filters(query)} LIMIT ${cap}
    ) matching`);
  return total;
}

function afterKey(key: RankKey | null, inclusive: boolean): SqlQuery {
  if (key === null) return sql``;
  const bound = sql`(${key.priority}::real, ${key.confidence}::real, ${key.margin}::real, ${key.id}::int)`;
  return inclusive
    ? sql`AND (q.rank_priority, q.rank_confidence, q.rank_margin, q.product_id) >= ${bound}`
    : sql`AND (q.rank_priority, q.rank_confidence, q.rank_margin, q.product_id) > ${bound}`;
}

function keyOf(candidate: Candidate): RankKey {
  return {
    priority: candidate.rank_priority,
    confidence: candidate.rank_confidence,
    margin: candidate.rank_margin,
    id: candidate.id,
  };
}

/**
 * The queue's order. A page lays out diversity windows from its starting key; a candidate postponed as a
 * near-duplicate stays after the cursor, so the cursor is "from key P on, except these rows already
 * shown" (P = the first candidate read but not shown). `offset` pages (kept for older clients) lay out the
 * windows from the start of the queue, as before, and read everything before the page.
 */
async function readRankPage(db: Queryable, query: ReviewQuery, modelId: string): Promise<ReviewPage> {
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (cursor !== undefined && cursor.kind !== "rank") {
    throw new DomainError(
      "invalid",
      "Cannot read the review queue: the cursor belongs to a similar_to query",
    );
  }
  const offset = cursor === undefined ? query.offset : 0;
  const start = cursor?.from ?? null;
  const skip = cursor?.seen ?? [];
  const wanted = offset + query.limit;
  // Candidates come in chunks growing 4× (an index scan each), and are laid out in batches, each with
  // one query for its near-duplicate pairs.
  let chunkSize = Math.min(1000, Math.max(2 * wanted, 50));

  // Near-duplicate pairs among the candidates, found by the database: sending 50 vectors of 384
  // floats as text for the comparison in JS took most of a page's time on PGlite (~25 ms of ~30).
  const near = new Map<number, Set<number>>();
  const order = new DiverseOrder(
    DIVERSITY_WINDOW,
    NEAR_DUPLICATE_COSINE,
    (a, b) => near.get(a.id)?.has(b.id) ?? false,
  );
  const read: Candidate[] = [];
  const considered: Candidate[] = [];
  let buffer: Candidate[] = [];
  let fetchedAll = false;
  while (order.ordered.length < wanted) {
    if (buffer.length === 0) {
      if (fetchedAll) break;
      const last = read.at(-1);
      const chunk = await db.query<Candidate>(sql`
        SELECT q.product_id AS id, q.rank_priority, q.rank_confidence, q.rank_margin
        FROM review_queue q
        WHERE q.model_id = ${modelId} ${filters(query)}
          ${last === undefined ? afterKey(start, true) : afterKey(keyOf(last), false)}
          ${skip.length === 0 ? sql`` : sql`AND q.product_id <> ALL(${skip}::int[])`}
        ORDER BY q.rank_priority, q.rank_confidence, q.rank_margin, q.product_id
        LIMIT ${chunkSize}`);
      read.push(...chunk);
      buffer = chunk;
      fetchedAll = chunk.length < chunkSize;
      chunkSize = Math.min(chunkSize * 4, 1000);
      if (chunk.length === 0) {
        order.add([], true);
        break;
      }
    }
    const batch = buffer.splice(0, PAIR_BATCH);
    // Only candidates still waiting for a window can meet the new ones in it.
    const placed = new Set(order.ordered);
    const open = [...considered.filter((candidate) => !placed.has(candidate.id)), ...batch];
    considered.push(...batch);
    for (const pair of await nearPairs(db, modelId, batch, open)) {
      if (!near.has(pair.a)) near.set(pair.a, new Set());
      if (!near.has(pair.b)) near.set(pair.b, new Set());
      near.get(pair.a)!.add(pair.b);
      near.get(pair.b)!.add(pair.a);
    }
    order.add(batch, fetchedAll && buffer.length === 0);
  }
  const exhausted = fetchedAll && buffer.length === 0;
  const ids = order.ordered.slice(offset, wanted);
  const shown = new Set(order.ordered.slice(0, wanted));
  const [items, total, next] = await Promise.all([
    readItems(db, ids),
    countMatching(db, modelId, query),
    nextRankCursor(db, modelId, read, shown, skip, exhausted),
  ]);
  return {
    items,
    total: Math.min(total, TOTAL_CAP),
    total_capped: total > TOTAL_CAP,
    limit: query.limit,
    offset,
    next_cursor: next,
  };
}

/** Near-duplicate pairs (cosine > NEAR_DUPLICATE_COSINE) between `chunk` and the `open` candidates. */
async function nearPairs(
  db: Queryable,
  modelId: string,
  chunk: Candidate[],
  open: Candidate[],
): Promise<{ a: number; b: number }[]> {
  if (chunk.length === 0) return [];
  // Rows with one text key (core/text_key.ts) are duplicates whatever their vectors say: the model
  // reads `Straße` and `STRASSE`, `ﬁle` and `file` as different words (cosine 0.66 and 0.84).
  return await db.query<{ a: number; b: number }>(sql`
    SELECT a.product_id AS a, b.product_id AS b
    FROM embeddings a
    JOIN embeddings b ON b.model_id = a.model_id AND b.product_id = ANY(${open.map((c) => c.id)}::int[])
      AND b.product_id <> a.product_id
    JOIN products pa ON pa.id = a.product_id
    JOIN products pb ON pb.id = b.product_id
    WHERE a.model_id = ${modelId} AND a.product_id = ANY(${chunk.map((c) => c.id)}::int[])
      AND ((a.embedding <=> b.embedding) < ${
    1 - NEAR_DUPLICATE_COSINE
  }::float8 OR pa.text_key = pb.text_key)`);
}

/**
 * The cursor after a page: from P = the first candidate read but not shown (or just after the last one
 * read), skipping the rows already shown at or after P — this page's and the still-waiting rows the
 * previous cursor skipped. Rows decided meanwhile drop out of that list, so it stays about one page long
 * while the reviewer decides.
 */
async function nextRankCursor(
  db: Queryable,
  modelId: string,
  read: Candidate[],
  shown: Set<number>,
  skipped: number[],
  exhausted: boolean,
): Promise<string | null> {
  const pending = read.find((candidate) => !shown.has(candidate.id));
  if (pending === undefined && exhausted) return null;
  if (read.length === 0) return null;
  const from = keyOf(pending ?? read[read.length - 1]);
  const candidates = [...new Set([...skipped, ...shown])];
  const still = await db.query<Candidate>(sql`
    SELECT q.product_id AS id, q.rank_priority, q.rank_confidence, q.rank_margin FROM review_queue q
    WHERE q.model_id = ${modelId} AND q.product_id = ANY(${candidates}::int[])
      ${afterKey(from, true)}
    ORDER BY q.rank_priority, q.rank_confidence, q.rank_margin, q.product_id`);
  if (still.length > MAX_CURSOR_SEEN) {
    const kept = still.slice(still.length - MAX_CURSOR_SEEN);
    return encodeCursor({
      kind: "rank",
      from: keyOf(kept[0]),
      seen: kept.map((row) => row.id),
    });
  }
  return encodeCursor({ kind: "rank", from, seen: still.map((row) => row.id) });
}

/**
 * Nearest first to one product's vector, among the SIMILAR_NEIGHBOURS nearest vectors (HNSW), then the
 * filters; near-duplicates are the point here, so no diversity. Keyset on (distance, id).
 */
async function readSimilarPage(db: Database, query: ReviewQuery, modelId: string): Promise<ReviewPage> {
  const target = query.similar_to!;
  const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (cursor !== undefined && (cursor.kind !== "similar" || cursor.target !== target)) {
    throw new DomainError(
      "invalid",
      `Cannot read rows similar to product ${target}: the cursor belongs to another query`,
    );
  }
  // The vector goes back as a parameter: ordered by distance to a constant, the planner can use HNSW.
  const [product] = await db.query<{ vector: string | null }>(sql`
    SELECT (
      SELECT embedding::text FROM embeddings
      WHERE embeddings.product_id = products.id AND embeddings.model_id = ${modelId}
    ) AS vector
    FROM products WHERE id = ${target}::int`);
  if (product === undefined) throw new DomainError("not_found", `No product with id ${target}`);
  if (product.vector === null) {
    throw new DomainError("invalid", `Cannot find rows similar to product ${target}: it has no vector yet`);
  }
  const offset = cursor === undefined ? query.offset : 0;
  const nearest = await db.transaction(async (tx) => {
    // SET LOCAL: the wider search lasts only for this transaction's statement.
    await tx.query(sql`SELECT set_config('hnsw.ef_search', ${String(SIMILAR_NEIGHBOURS)}, true)`);
    return await tx.query<{ id: number; distance: number }>(sql`
      SELECT embeddings.product_id AS id, embeddings.embedding <=> ${product.vector}::vector AS distance
      FROM embeddings
      ORDER BY embeddings.embedding <=> ${product.vector}::vector
      LIMIT ${SIMILAR_NEIGHBOURS}`);
  });
  // The waiting ones among them, by primary key: joined in one statement, the planner hashed all of
  // review_queue instead (~130 ms of a 290 ms page on PGlite).
  const distances = new Map(nearest.map((row) => [row.id, row.distance]));
  const waiting = await db.query<{ id: number }>(sql`
    SELECT q.product_id AS id FROM review_queue q
    WHERE q.model_id = ${modelId} AND q.product_id = ANY(${nearest.map((row) => row.id)}::int[])
      AND q.product_id <> ${target}::int ${filters(query)}`);
  const matching = waiting.map((row) => ({ id: row.id, distance: distances.get(row.id)! }))
    .sort((a, b) => a.distance - b.distance || a.id - b.id);
  const from = cursor?.kind === "similar"
    ? matching.findIndex((row) =>
      row.distance > cursor.distance || (row.distance === cursor.distance && row.id > cursor.id)
    )
    : offset;
  const rows = from === -1 ? [] : matching.slice(from, from + query.limit + 1);
  const page = rows.slice(0, query.limit);
  const items = await readItems(db, page.map((row) => row.id));
  const distance = new Map(page.map((row) => [row.id, row.distance]));
  const last = page.at(-1);
  return {
    items: items.map((item) => ({ ...item, similarity: 1 - distance.get(item.product_id)! })),
    total: matching.length,
    total_capped: false,
    limit: query.limit,
    offset,
    next_cursor: rows.length > query.limit && last
      ? encodeCursor({ kind: "similar", target, distance: last.distance, id: last.id })
      : null,
  };
}

/** The rows to show, in the order of `ids`. */
async function readItems(db: Queryable, ids: number[]): Promise<ReviewItem[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<ReviewItem>(sql`
    SELECT products.id AS product_id, products.import_id, products.row_number, imports.columns, products.data,
           products.text,
           suggestions.value AS suggestion, suggestions.confidence, suggestions.source, suggestions.margin,
           suggestions.model_version
    FROM products
    JOIN imports ON imports.id = products.import_id
    LEFT JOIN suggestions ON suggestions.product_id = products.id
    WHERE products.id = ANY(${ids}::int[])`);
  const byId = new Map(rows.map((row) => [row.product_id, row]));
  return ids.map((id) => byId.get(id)).filter((item): item is ReviewItem => item !== undefined);
}
