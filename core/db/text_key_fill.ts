/**
 * Computes the stored text keys (products.text_key, products.search_key; migration 0019) of rows that
 * have none: every row from before that migration, and rows written by anything but the importer
 * (benchmarks, tests, tools). SQL cannot compute the key (see core/text_key.ts), so this is the
 * migration's backfill, done from TypeScript in batches: each batch commits on its own, so a process
 * stopped half way leaves keyed and unkeyed rows, and the next call carries on from the unkeyed ones.
 * Several processes may run it at once: they write the same keys, and only where none is yet.
 *
 * A review queue row added before its product's key took the words of the raw text; its words are
 * rewritten from the search key in the same batch.
 */
import { searchKey, textKey } from "../text_key.ts";
import type { Database, Queryable } from "./database.ts";
import { sql } from "./sql.ts";
import { yieldToEventLoop } from "../runtime/yield_to_event_loop.ts";

/** Rows keyed per statement: bounded memory and short transactions on a large catalogue. */
export const TEXT_KEY_BATCH = 1000;

/**
 * Keys every product that has no key yet; returns how many rows were keyed. migrate() runs it after the
 * scripts; the readers of the keys (the exact-match memory, reuse on append, the queue's search) run it
 * first too, so rows written without keys by other tools (benchmarks, tests, scripts) are keyed before
 * they are compared. With nothing to do it is one probe of a partial index. Given a Database, each batch
 * is a transaction of its own; given a transaction's Queryable, the batches join it.
 */
export async function fillTextKeys(db: Queryable | Database): Promise<number> {
  let filled = 0;
  let after = 0;
  for (;;) {
    const rows = await db.query<{ id: number; text: string }>(sql`
      SELECT id, text FROM products WHERE text_key IS NULL AND id > ${after}::int
      ORDER BY id LIMIT ${TEXT_KEY_BATCH}`);
    if (rows.length === 0) return filled;
    after = rows[rows.length - 1].id;
    const ids = rows.map((row) => row.id);
    const batch = async (tx: Queryable) => {
      // Queue rows are locked in product id order, as every writer of review_queue does (0018).
      await tx.query(sql`
        SELECT 1 FROM review_queue WHERE product_id = ANY(${ids}::int[])
        ORDER BY product_id, model_id FOR UPDATE`);
      await tx.query(sql`
        UPDATE products SET text_key = item.text_key, search_key = item.search_key
        FROM unnest(
          ${ids}::int[],
          ${rows.map((row) => textKey(row.text))}::text[],
          ${rows.map((row) => searchKey(row.text))}::text[]
        ) AS item(id, text_key, search_key)
        WHERE products.id = item.id AND products.text_key IS NULL`);
      await tx.query(sql`
        UPDATE review_queue SET search = to_tsvector('simple', left(products.search_key, 10000))
        FROM products
        WHERE products.id = review_queue.product_id AND products.id = ANY(${ids}::int[])`);
    };
    if ("transaction" in db) await db.transaction(batch);
    else await batch(db);
    filled += rows.length;
    // A macrotask between batches: on embedded PGlite each batch holds the server's thread (20,000 rows
    // written without keys by a benchmark held it for 85 s in one go), and requests get through here.
    await yieldToEventLoop();
  }
}
