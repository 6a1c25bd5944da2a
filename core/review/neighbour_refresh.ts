/**
 * Re-scoring the nearest waiting rows of new decisions, off the request path and in batches. A decision
 * used to re-score its 20 nearest waiting rows before answering (most of its 0.3–0.8 s), one decision at
 * a time; here the decision answers once stored, and the rows decided meanwhile are re-scored together
 * in one refreshAroundLabels call as soon as the previous batch ends (their neighbourhoods overlap, and
 * one scoring pass over 20·n rows costs far less than n passes). The next card still benefits: the
 * queue's next page is read after the batch has usually finished (tens of milliseconds).
 *
 * Per process and in memory: a batch lost with the process leaves those neighbours with their previous
 * suggestion until they are next scored (a retrain's rescore, another decision nearby); no decision is
 * lost with it.
 */
import type { ModelRuntime } from "../models/active_model.ts";
import type { Queryable } from "../db/database.ts";
import { refreshAroundLabels } from "../suggest/suggestions.ts";

/** Queues and runs neighbour re-scoring for decided products; see the module comment. */
export class NeighbourRefresher {
  #pending = new Set<number>();
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

  /** Queues the neighbours of `productIds` (just decided) for re-scoring; returns at once. */
  add(productIds: number[]): void {
    if (this.#closed) return;
    for (const id of productIds) this.#pending.add(id);
    if (this.#running === null && this.#pending.size > 0) this.#running = this.#drain();
  }

  /** Resolves once everything queued so far (and queued meanwhile) has been re-scored. */
  async idle(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  /** Stops taking work and waits for the batch under way (call before closing the database). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pending.clear();
    await this.idle();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.size > 0) {
        const ids = [...this.#pending];
        this.#pending.clear();
        try {
          this.refreshed += await refreshAroundLabels(this.db, {
            modelId: this.options.modelId,
            labelledIds: ids,
            models: this.options.models,
          });
          this.batches++;
        } catch (error) {
          // Suggestions stay as they were; the decisions themselves are stored.
          (this.options.log ?? console.error)(
            `re-scoring the neighbours of ${ids.length} decided rows failed: ${(error as Error).message}`,
          );
        }
      }
    } finally {
      this.#running = null;
    }
  }
}
