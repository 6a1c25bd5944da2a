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
}

/** Runs one job of a kind; its return value is stored as the job's result. */
export type JobHandler = (job: ClaimedJob, context: JobContext) => Promise<unknown>;
