/**
 * Diversity on a review page: candidates arrive in queue order (least certain first) and are laid out
 * in windows of a fixed size; a candidate whose cosine similarity to an item already in the window is
 * above the threshold waits for a later window. Near-duplicates thus never share a page, and a reviewer's
 * twenty decisions teach the model twenty different things; nothing is dropped, only postponed.
 *
 * The windows have a fixed size, independent of the page asked for, so the order is one function of the
 * queue's state and any limit/offset pages through it consistently.
 */

/** A queue candidate with its unit-length embedding (or none, when `near` is given instead). */
export interface Candidate {
  id: number;
  vector?: ArrayLike<number>;
}

/** Says whether two candidates are near-duplicates. */
export type NearTest = (a: Candidate, b: Candidate) => boolean;

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** Builds the diverse order incrementally, as candidates are read in chunks. */
export class DiverseOrder {
  /** Ids in their final order: only complete windows, until the last candidate has arrived. */
  readonly ordered: number[] = [];
  #pending: Candidate[] = [];
  #window: Candidate[] = [];

  #near: NearTest;

  /**
   * Near-duplicates are candidates whose vectors' cosine similarity is above `threshold`, or those `near`
   * says are (the review queue asks the database, so that no vector has to travel: see review_queue.ts).
   */
  constructor(readonly windowSize: number, readonly threshold: number, near?: NearTest) {
    this.#near = near ?? ((a, b) => dot(a.vector!, b.vector!) > threshold);
  }

  /** Adds the next candidates in queue order; `last` says no more will come. */
  add(candidates: Candidate[], last: boolean): void {
    this.#pending.push(...candidates);
    for (;;) {
      for (let at = 0; this.#window.length < this.windowSize && at < this.#pending.length;) {
        const candidate = this.#pending[at];
        if (this.#window.every((picked) => !this.#near(picked, candidate))) {
          this.#window.push(candidate);
          this.#pending.splice(at, 1);
        } else {
          at++;
        }
      }
      const full = this.#window.length === this.windowSize;
      if (!full && !(last && this.#window.length > 0)) return;
      this.ordered.push(...this.#window.map((candidate) => candidate.id));
      this.#window = [];
    }
  }
}
