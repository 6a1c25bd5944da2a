/**
 * Leases of holders that are gone. A worker killed mid-batch or mid-job (kill -9, OOM) keeps its leases
 * until they run out (WORKER_LEASE_SECONDS, 120 by default): embedding and a retrain would wait that
 * long after a restart. A process starting up ends them at once when it knows the holder is dead: on
 * the embedded database every holder but itself (it holds the data-dir lock), on a server the holders
 * on its own host whose process has ended ({@link holderIsGone}). The claims then retry the work, or
 * fail a job whose last attempt it was (jobs.ts, failExpiredJobs).
 */
import type { Database } from "../db/database.ts";
import { holderIsGone, isHeldHere } from "../runtime/process_identity.ts";
import { sql } from "../db/sql.ts";

/** Ends the leases of gone holders; returns how many jobs and queued products were released. */
export async function releaseLeasesOfGoneHolders(db: Database): Promise<{ jobs: number; products: number }> {
  // The embedded database is opened by one process only (data-dir lock or in memory).
  const ownsDatabase = db.kind === "pglite";
  const holders = await db.query<{ holder: string }>(sql`
    SELECT locked_by AS holder FROM jobs WHERE status = 'running' AND locked_by IS NOT NULL
    UNION
    SELECT DISTINCT locked_by FROM embedding_queue WHERE locked_by IS NOT NULL`);
  const gone = holders.map((row) => row.holder)
    .filter((holder) => ownsDatabase ? !isHeldHere(holder) : holderIsGone(holder));
  if (gone.length === 0) return { jobs: 0, products: 0 };
  // Just expired rather than released: the job claim then retries it, or fails it with the reason when
  // it was its last attempt, exactly as after a lease running out.
  const jobs = await db.query(sql`
    UPDATE jobs SET locked_until = now() - interval '1 millisecond', updated_at = now()
    WHERE status = 'running' AND locked_by = ANY(${gone}::text[])
    RETURNING 1`);
  const products = await db.query(sql`
    UPDATE embedding_queue SET locked_by = NULL, locked_until = NULL
    WHERE locked_by = ANY(${gone}::text[])
    RETURNING 1`);
  return { jobs: jobs.length, products: products.length };
}
