/**
 * The contract between the worker loop and the code that runs one kind of job (retrain, re-score): the
 * loop claims, leases and finishes jobs; a handler only does the work and reports progress.
 */
import type { Database } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import type { ClaimedJob } from "./jobs.ts";

/** What a job handler gets besides the job itself. */
export interface JobContext {
  db: Database;
  embedder: Embedder;
  workerId: string;
  /** Reports progress and extends the lease; throws when the lease was lost to another worker. */
  progress(done: number, total: number, message: string): Promise<void>;
  /**
   * Hands over work that follows the job and must not hold it: a version's learning curve, drawn once the
   * version serves, so the job (and the re-score it queued) need not wait for it. `work` starts at once and
   * runs beside the next jobs; `stopped` aborts when the worker stops, which then waits for it. A failure is
   * logged under `name`: the job's own result stands.
   */
  followUp(name: string, work: (stopped: AbortSignal) => Promise<void>): void;
}

/** Runs one job of a kind; its return value is stored as the job's result. */
export type JobHandler = (job: ClaimedJob, context: JobContext) => Promise<unknown>;
