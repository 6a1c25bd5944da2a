/**
 * What the review queue's order is made of besides confidence (migration 0014): each waiting row's density
 * (how typical it is of the data), coverage (how close a labelled row already is) and redundancy (how
 * close a row ranked above it is). The database turns them into the sort key with
 * review_queue_priority(confidence, density, coverage, redundancy); this module keeps the inputs up to
 * date. Density and redundancy are filled in by the worker when it is idle (a nearest-neighbour search per
 * row; a greedy pass over the top of the queue), coverage by scoring (score_products.ts), which finds each
 * row's closest labelled rows anyway.
 */
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { yieldEvery } from "../runtime/yield_to_event_loop.ts";

/** A row's density is its mean cosine similarity to this many nearest embedded rows (itself excluded). */
export const QUEUE_DENSITY_NEIGHBOURS = 20;
/**
 * The priority counts density to this power (information density's beta, Settles & Craven 2008), as
 * review_queue_priority does since migration 0027, which gives the measurements behind the choice.
 */
export const QUEUE_DENSITY_POWER = 1.5;

/**
 * Computes the density of up to `limit` waiting rows of `modelId` that have none yet (HNSW search for the
 * QUEUE_DENSITY_NEIGHBOURS nearest vectors of any row, labelled or not) and updates their sort key.
 * A row with no other vector gets density 0. Returns how many rows were updated (0: none left).
 */
export async function fillMissingDensity(
  db: Queryable,
  options: { modelId: string; limit: number },
): Promise<number> {
  const rows = await db.query<{ product_id: number }>(sql`
    UPDATE review_queue q
    SET density = measured.density,
        rank_priority = review_queue_priority(q.rank_confidence, measured.density, q.coverage, q.redundancy)
    FROM (
      SELECT waiting.product_id, coalesce((
        SELECT avg(1 - nearest.distance) FROM (
          SELECT other.embedding <=> own.embedding AS distance FROM embeddings other
          WHERE other.model_id = ${options.modelId} AND other.product_id <> own.product_id
          ORDER BY other.embedding <=> own.embedding
          LIMIT ${QUEUE_DENSITY_NEIGHBOURS}
        ) nearest), 0)::real AS density
      FROM (
        SELECT product_id FROM review_queue
        WHERE model_id = ${options.modelId} AND density IS NULL
        ORDER BY product_id LIMIT ${options.limit}
      ) waiting
      JOIN embeddings own ON own.model_id = ${options.modelId} AND own.product_id = waiting.product_id
    ) measured
    WHERE q.model_id = ${options.modelId} AND q.product_id = measured.product_id
    RETURNING q.product_id`);
  return rows.length;
}

/** Whether some waiting row of `modelId` still has no density. */
export async function hasMissingDensity(db: Queryable, modelId: string): Promise<boolean> {
  const rows = await db.query(sql`
    SELECT 1 FROM review_queue WHERE model_id = ${modelId} AND density IS NULL LIMIT 1`);
  return rows.length > 0;
}

/**
 * Stores each row's coverage (cosine similarity to its closest labelled row, 0 with none; by product id)
 * in the queue and updates its sort key; rows not waiting are left alone.
 */
export async function storeCoverage(
  db: Queryable,
  modelId: string,
  coverage: Map<number, number>,
): Promise<void> {
  if (coverage.size === 0) return;
  await setRankColumn(db, modelId, "coverage", [...coverage.keys()], [...coverage.values()], {
    onlyChanged: true,
  });
}

/**
 * Sets one of the queue's rank inputs (coverage or redundancy) for the rows `ids` (values by position)
 * and recomputes their sort key; with `onlyChanged`, rows already holding the value are not written.
 * Rows are locked in product id order first: two of these statements (a decision's re-score storing
 * coverage, the worker's spread storing redundancy) would otherwise lock in hash-join order and deadlock
 * on PostgreSQL.
 */
async function setRankColumn(
  db: Queryable,
  modelId: string,
  column: "coverage" | "redundancy",
  ids: number[],
  values: number[],
  options: { onlyChanged: boolean },
): Promise<void> {
  const target = column === "coverage" ? sql`coverage` : sql`redundancy`;
  const coverage = column === "coverage" ? sql`item.value` : sql`q.coverage`;
  const redundancy = column === "redundancy" ? sql`item.value` : sql`q.redundancy`;
  const changed = options.onlyChanged ? sql`AND q.${target} IS DISTINCT FROM item.value` : sql``;
  await db.query(sql`
    WITH item AS (
      SELECT * FROM unnest(${ids}::int[], ${values}::real[]) AS item(id, value)
    ), locked AS (
      SELECT q.product_id FROM review_queue q JOIN item ON q.product_id = item.id
      WHERE q.model_id = ${modelId} ${changed}
      ORDER BY q.product_id FOR UPDATE OF q
    )
    UPDATE review_queue q
    SET ${target} = item.value,
        rank_priority = review_queue_priority(q.rank_confidence, q.density, ${coverage}, ${redundancy})
    FROM item JOIN locked ON locked.product_id = item.id
    WHERE q.model_id = ${modelId} AND q.product_id = item.id`);
}

/** spreadQueueTop reads this many rows from the top of the queue. */
export const SPREAD_CANDIDATES = 1000;
/** … and picks this many greedily (five pages); the other candidates keep their similarity to those. */
export const SPREAD_PICKS = 100;
/**
 * Candidates' vectors are read this many per statement: on embedded PGlite a statement holds the web
 * server's thread, and reading 2,000 vectors as real[] took 5.5 s on 2 busy cores (load 16).
 */
const SPREAD_READ = 200;

/** Whether a row among the first SPREAD_PICKS of the queue has no redundancy: spreadQueueTop is due. */
export async function needsSpread(db: Queryable, modelId: string): Promise<boolean> {
  const rows = await db.query(sql`
    SELECT 1 FROM (
      SELECT redundancy FROM review_queue WHERE model_id = ${modelId}
      ORDER BY rank_priority, rank_confidence, rank_margin, product_id LIMIT ${SPREAD_PICKS}
    ) top WHERE redundancy IS NULL LIMIT 1`);
  return rows.length > 0;
}

/**
 * What review_queue_priority computes, as a positive value (most informative = largest): confidence −1
 * when the row has no suggestion, density NULL while unmeasured, all in [−1, 1].
 */
export function informationValue(
  row: { confidence: number; density: number | null; coverage: number },
  redundancy: number,
) {
  return Math.pow(Math.max(row.density ?? 0, 0), QUEUE_DENSITY_POWER) *
    (1 - Math.min(Math.max(row.coverage, redundancy, 0), 1)) * (1 - Math.max(row.confidence, 0));
}

/**
 * Ranks the top of the queue so that its pages spread over the data: reads the first `candidates` rows
 * with their vectors and picks `picks` of them greedily, each time the one of highest value
 * (uncertainty × density^1.5 × (1 − max(coverage, similarity to the rows picked before))); a picked row's
 * redundancy is its similarity to the rows picked before it, an unpicked candidate's to all picked rows.
 * Picked values never grow, so the stored sort keys put the picks in pick order. Returns the candidates
 * updated. Costs reading the candidates' vectors and candidates × picks × dimensions multiply-adds (38M
 * at the defaults).
 */
export async function spreadQueueTop(
  db: Queryable,
  options: { modelId: string; candidates?: number; picks?: number },
): Promise<number> {
  const rows = await db.query<
    { id: number; confidence: number; density: number | null; coverage: number }
  >(sql`
    SELECT product_id AS id, rank_confidence AS confidence, density, coverage FROM review_queue
    WHERE model_id = ${options.modelId}
    ORDER BY rank_priority, rank_confidence, rank_margin, product_id
    LIMIT ${options.candidates ?? SPREAD_CANDIDATES}`);
  if (rows.length === 0) return 0;
  const pause = yieldEvery();
  const at = new Map(rows.map((row, i) => [row.id, i]));
  let vectors = new Float32Array(0);
  let dimensions = 0;
  for (let start = 0; start < rows.length; start += SPREAD_READ) {
    const ids = rows.slice(start, start + SPREAD_READ).map((row) => row.id);
    const read = await db.query<{ id: number; vector: number[] }>(sql`
      SELECT product_id AS id, embedding::real[] AS vector FROM embeddings
      WHERE model_id = ${options.modelId} AND product_id = ANY(${ids}::int[])`);
    for (const { id, vector } of read) {
      if (dimensions === 0) {
        dimensions = vector.length;
        vectors = new Float32Array(rows.length * dimensions);
      }
      vectors.set(vector, at.get(id)! * dimensions);
    }
    await pause();
  }
  const redundancy = new Float64Array(rows.length);
  const picked = new Uint8Array(rows.length);
  const picks = Math.min(options.picks ?? SPREAD_PICKS, rows.length);
  for (let n = 0; n < picks; n++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let i = 0; i < rows.length; i++) {
      if (picked[i]) continue;
      const value = informationValue(rows[i], redundancy[i]);
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    picked[best] = 1;
    const offset = best * dimensions;
    for (let i = 0; i < rows.length; i++) {
      if (picked[i]) continue;
      let dot = 0;
      for (let d = 0, at = i * dimensions; d < dimensions; d++) dot += vectors[at + d] * vectors[offset + d];
      if (dot > redundancy[i]) redundancy[i] = dot;
    }
    await pause();
  }
  await setRankColumn(db, options.modelId, "redundancy", rows.map((row) => row.id), Array.from(redundancy), {
    onlyChanged: false,
  });
  return rows.length;
}
