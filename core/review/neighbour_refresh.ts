/**
 * Re-scoring the nearest waiting rows of new decisions, off the request path and in batches. A decision
 * used to re-score its 20 nearest waiting rows before answering (most of its 0.3–0.8 s), one decision at
 * a time; here the decision answers once stored, and the rows decided meanwhile are re-scored together
 * in one refreshAroundLabels call as soon as the previous batch ends (their neighbourhoods overlap, and
 * one scoring pass over 20·n rows costs far less than n passes). The next card still benefits: the
 * queue's next page is read after the batch has usually finished (tens of milliseconds).
 *
 * The batch is durable: a decision's transaction records its row in `neighbour_refresh` (migration
 * 0022, {@link queueNeighbourRefresh}), and a row leaves that table only after its neighbours were
 * re-scored. A process killed in between leaves the rows there, and the next start drains them
 * ({@link NeighbourRefresher.nudge}); several processes draining at once only repeat work.
 */
import type { ModelRuntime } from "../models/active_model.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { refreshAroundLabels } from "../suggest/suggestions.ts";

/** Rows taken per batch: a burst of decisions is re-scored in a few passes, none too long to wait for. */
const BATCH_ROWS = 200;

/**
 * Records, inside the caller's transaction, that `productIds` changed label (a decision, an undo): their
 * neighbours are re-scored by the next {@link NeighbourRefresher} batch. A row recorded again before its
 * batch ran gets the later time, so a batch under way does not remove it.
 */
export async function queueNeighbourRefresh(tx: Queryable, productIds: number[]): Promise<void> {
  if (productIds.length === 0) return;
  await tx.query(sql`
    INSERT INTO neighbour_refresh (product_id)
    SELECT DISTINCT id FROM unnest(${productIds}::int[]) AS id ORDER BY id
    ON CONFLICT (product_id) DO UPDATE SET changed_at = clock_timestamp()`);
}

/**
 * After the transaction that recorded `productIds` (with `neighbours`) committed: starts the refresher's
 * batch and returns 0, or, without a refresher, re-scores their neighbours now and returns how many.
 */
export async function refreshNeighbours(
  db: Queryable,
  productIds: number[],
  options: { neighbours?: NeighbourRefresher; modelId: string; models?: ModelRuntime },
): Promise<number> {
  if (options.neighbours) {
    options.neighbours.nudge();
    return 0;
  }
  return await refreshAroundLabels(db, {
    modelId: options.modelId,
    labelledIds: productIds,
    models: options.models,
  });
}

/** Runs neighbour re-scoring for the rows recorded in `neighbour_refresh`; see the module comment. */
export class NeighbourRefresher {
  /** A nudge came since the current pass started: look at the table again when it ends. */
  #again = false;
  #running: Promise<void> | null = null;
  #closed = false;
  /** Rows re-scored so far (the sum of refreshAroundLabels' counts). */
  refreshed = 0;
  /** Batches run so far. */
  batches = 0;

  constructor(
    private readonly db: Queryable,
    private readonly options: {
      modelId: string;
      models?: ModelRuntime;
      log?: (message: string) => void;
    },
  ) {}

  /**
   * Starts a batch for the rows recorded by {@link queueNeighbourRefresh} (call after their transaction
   * committed, and once at start-up for what a dead process left); returns at once.
   */
  nudge(): void {
    if (this.#closed) return;
    this.#again = true;
    if (this.#running === null) this.#running = this.#drain();
  }

  /** Resolves once everything recorded so far (and meanwhile) has been re-scored. */
  async idle(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  /** Stops taking work and waits for the batch under way (call before closing the database). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#again && !this.#closed) {
        this.#again = false;
        for (;;) {
          // The time as whole microseconds in text: a timestamp sent back as a parameter loses its
          // microseconds on the way (postgres.js reads it as a Date), and would then match nothing.
          const rows = await this.db.query<{ product_id: number; stamp: string }>(sql`
            SELECT product_id, (extract(epoch FROM changed_at) * 1000000)::bigint::text AS stamp
            FROM neighbour_refresh
            ORDER BY changed_at, product_id LIMIT ${BATCH_ROWS}`);
          if (rows.length === 0) break;
          const ids = rows.map((row) => row.product_id);
          try {
            this.refreshed += await refreshAroundLabels(this.db, {
              modelId: this.options.modelId,
              labelledIds: ids,
              models: this.options.models,
            });
            this.batches++;
          } catch (error) {
            // The rows stay recorded: the next decision's nudge (or the next start) tries them again.
            (this.options.log ?? console.error)(
              `re-scoring the neighbours of ${ids.length} decided rows failed: ${(error as Error).message}`,
            );
            return;
          }
          // Only as recorded when read: a row decided again meanwhile waits for the next batch.
          const removed = await this.db.query<{ product_id: number }>(sql`
            DELETE FROM neighbour_refresh
            USING unnest(${ids}::int[], ${rows.map((row) => row.stamp)}::bigint[]) AS done(id, stamp)
            WHERE neighbour_refresh.product_id = done.id
              AND (extract(epoch FROM neighbour_refresh.changed_at) * 1000000)::bigint = done.stamp
            RETURNING neighbour_refresh.product_id`);
          // Every row was recorded again meanwhile (or another process took them): the next nudge reads
          // them; reading them again here could go round without end.
          if (removed.length === 0 || this.#closed) return;
        }
      }
    } finally {
      this.#running = null;
    }
  }
}
