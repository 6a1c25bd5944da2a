/**
 * The product's own review queue for the learning benchmark: the pool stored in an embedded PGlite
 * database (products, vectors, suggestions, labels), pages read with readReviewPage (core/review/review_queue.ts)
 * from the review_queue table its triggers keep, the density and the spread top of the queue filled in as
 * the idle worker fills them (fillMissingDensity, spreadQueueTop) and the coverage stored as scoring
 * stores it (storeCoverage). Only the suggestions
 * come from the simulation's in-memory scoring (the same ensemble; stored_evidence_test.ts checks that the
 * SQL evidence agrees with it), written the way score_products.ts writes them.
 */
import type { ReviewQuery } from "../contract/schemas.ts";
import type { Database } from "../core/db/database.ts";
import type { Evidence, ScoredSuggestion } from "../core/learning/ensemble.ts";
import type { LabelledRow } from "../core/learning/evidence.ts";
import {
  fillMissingDensity,
  needsSpread,
  spreadQueueTop,
  storeCoverage,
} from "../core/suggest/review_rank.ts";
import { sql, vectorLiteral } from "../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../testing/testing.ts";
import { readReviewPage } from "../core/review/review_queue.ts";

/** A pool stored in a database of its own, read through the product's queue. */
export class ProductQueue {
  private constructor(private db: Database, private ids: number[], private at: Map<number, number>) {}

  /** Stores `pool` (product i gets id ids[i]) with its vectors and measures the density of every row. */
  static async open(pool: LabelledRow[]): Promise<ProductQueue> {
    const db = await openTestDatabase();
    const [{ id: importId }] = await db.query<{ id: number }>(sql`
      INSERT INTO imports (file_name, columns, text_columns, row_count, status)
      VALUES ('pool.csv', '["title"]', '["title"]', ${pool.length}, 'imported') RETURNING id`);
    const ids: number[] = [];
    for (let start = 0; start < pool.length; start += 500) {
      const slice = pool.slice(start, start + 500);
      const rows = await db.query<{ id: number }>(sql`
        INSERT INTO products (import_id, row_number, data, text)
        SELECT ${importId}::int, item.n, jsonb_build_object('title', item.text), item.text
        FROM unnest(${slice.map((_, k) => start + k + 1)}::int[], ${slice.map((row) => row.text)}::text[])
          AS item(n, text)
        ORDER BY item.n
        RETURNING id`);
      const sliceIds = rows.map((row) => row.id);
      await db.query(sql`
        INSERT INTO embeddings (product_id, model_id, embedding)
        SELECT item.id, ${TEST_MODEL_ID}, item.v::vector
        FROM unnest(${sliceIds}::int[], ${slice.map((row) => vectorLiteral(row.vector))}::text[])
          AS item(id, v)`);
      ids.push(...sliceIds);
    }
    while (await fillMissingDensity(db, { modelId: TEST_MODEL_ID, limit: 256 }) > 0) {
      // The worker's idle sweep, run to the end.
    }
    return new ProductQueue(db, ids, new Map(ids.map((id, k) => [id, k])));
  }

  /**
   * Stores the scores of pool rows `rows` (pool indices): each row's suggestion (none when null) and its
   * coverage, the similarity of the closest labelled row in its kNN evidence, as scoring stores them.
   */
  async store(rows: number[], answers: (ScoredSuggestion | null)[], evidence: Evidence[]): Promise<void> {
    await storeCoverage(
      this.db,
      TEST_MODEL_ID,
      new Map(rows.map((at, k) => [this.ids[at], Math.max(0, ...(evidence[k].knn?.best.values() ?? []))])),
    );
    const written = rows.flatMap((at, k) => answers[k] ? [{ id: this.ids[at], ...answers[k]! }] : []);
    const cleared = rows.filter((_, k) => !answers[k]).map((at) => this.ids[at]);
    if (cleared.length > 0) {
      await this.db.query(sql`DELETE FROM suggestions WHERE product_id = ANY(${cleared}::int[])`);
    }
    if (written.length === 0) return;
    await this.db.query(sql`
      INSERT INTO suggestions (product_id, value, confidence, source, margin, raw_confidence)
      SELECT * FROM unnest(${written.map((row) => row.id)}::int[], ${written.map((row) => row.value)}::text[],
        ${written.map((row) => row.confidence)}::real[], ${written.map((row) => row.source)}::text[],
        ${written.map((row) => row.margin)}::real[], ${written.map((row) => row.raw)}::real[])
      ON CONFLICT (product_id) DO UPDATE
        SET value = excluded.value, confidence = excluded.confidence, source = excluded.source,
            margin = excluded.margin, raw_confidence = excluded.raw_confidence`);
  }

  /** The first page of `size` rows (pool indices), as GET /products-for-review serves it. */
  async page(size: number): Promise<number[]> {
    // The worker, idle while the reviewer reads, brings the top of the queue up to date.
    while (await needsSpread(this.db, TEST_MODEL_ID)) {
      await spreadQueueTop(this.db, { modelId: TEST_MODEL_ID });
    }
    const page = await readReviewPage(this.db, { limit: size, offset: 0 } as ReviewQuery, TEST_MODEL_ID);
    return page.items.map((item) => this.at.get(item.product_id)!);
  }

  /** Records a person's decision on each of `rows` (pool indices): they leave the queue. */
  async label(rows: number[], values: string[]): Promise<void> {
    await this.db.query(sql`
      INSERT INTO product_labels (product_id, value, source)
      SELECT * FROM unnest(${rows.map((at) => this.ids[at])}::int[], ${values}::text[], ${
      rows.map(() => "human")
    }::text[])`);
  }

  /** Closes the database. */
  close(): Promise<void> {
    return this.db.close();
  }
}
