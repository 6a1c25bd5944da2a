/**
 * The job queue for background work other than embedding (retrain, rescore, …). Same shape as the
 * embedding queue: one claiming statement with FOR UPDATE SKIP LOCKED and a lease, retries with
 * exponential back-off up to max_attempts, the last error kept. NOTIFY on WORK_CHANNEL only wakes.
 */
import { type JobKind, type JobProgress, WORK_CHANNEL } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { RETRY_AT } from "../db/retry_backoff.ts";

/** A job leased to a worker. */
export interface ClaimedJob {
  id: number;
  kind: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

/** Adds a job and wakes the workers; returns its id. */
export async function enqueueJob(
  db: Queryable,
  kind: JobKind,
  payload: Record<string, unknown> = {},
  options: { priority?: number; maxAttempts?: number } = {},
): Promise<number> {
  const [job] = await db.query<{ id: number }>(sql`
    INSERT INTO jobs (kind, payload, priority, max_attempts)
    VALUES (${kind}, ${JSON.stringify(payload)}::text::jsonb, ${options.priority ?? 0}, ${
    options.maxAttempts ?? 3
  })
    RETURNING id`);
  await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, ${`job:${job.id}`})`);
  return job.id;
}

/**
 * Fails, with the reason, every running job whose lease expired on its last attempt: the worker running
 * it died (kill -9, lost host) and no attempt is left, so no claim would ever take it again and it would
 * stay 'running' for good (and a retrain's version 'training': migration 0010's trigger fails that).
 * Earlier attempts' expired leases are left to the claim, which retries them. Any worker may run this;
 * the row locks make one of them do it. Returns the ids failed.
 */
export async function failExpiredJobs(db: Queryable, kinds: string[]): Promise<number[]> {
  const rows = await db.query<{ id: number }>(sql`
    UPDATE jobs SET status = 'failed', finished_at = now(), updated_at = now(),
      last_error = format('The worker running attempt %s of %s (%s) stopped: its lease ended at %s',
        attempts, max_attempts, locked_by, to_char(locked_until AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')),
      locked_by = NULL, locked_until = NULL
    WHERE id IN (
      SELECT id FROM jobs
      WHERE status = 'running' AND locked_until < now() AND attempts >= max_attempts
        AND kind = ANY(${kinds}::text[])
      FOR UPDATE SKIP LOCKED)
    RETURNING id`);
  return rows.map((row) => row.id);
}

/**
 * Leases the next available job of one of `kinds` to `workerId`, after failing those of its kinds whose
 * last attempt's lease expired ({@link failExpiredJobs}).
 */
export async function claimJob(
  db: Queryable,
  options: { kinds: string[]; workerId: string; leaseSeconds: number },
): Promise<ClaimedJob | undefined> {
  await failExpiredJobs(db, options.kinds);
  const [job] = await db.query<ClaimedJob>(sql`
    WITH picked AS (
      SELECT id FROM jobs
      WHERE kind = ANY(${options.kinds}::text[])
        AND attempts < max_attempts
        AND ((status = 'queued' AND run_at <= now()) OR (status = 'running' AND locked_until < now()))
      ORDER BY priority DESC, run_at, id
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs SET status = 'running', locked_by = ${options.workerId},
      locked_until = now() + make_interval(secs => ${options.leaseSeconds}),
      attempts = jobs.attempts + 1, updated_at = now()
    FROM picked WHERE jobs.id = picked.id
    RETURNING jobs.id, jobs.kind, jobs.payload, jobs.attempts, jobs.max_attempts`);
  return job;
}

/** Records progress and extends the lease; false when the lease was lost to another worker. */
export async function reportJobProgress(
  db: Queryable,
  options: { jobId: number; workerId: string; leaseSeconds: number; progress: JobProgress },
): Promise<boolean> {
  const rows = await db.query(sql`
    UPDATE jobs SET progress = ${JSON.stringify(options.progress)}::text::jsonb,
      locked_until = now() + make_interval(secs => ${options.leaseSeconds}), updated_at = now()
    WHERE id = ${options.jobId} AND locked_by = ${options.workerId} AND status = 'running'
    RETURNING 1`);
  return rows.length === 1;
}

/** Marks a job done with its result. */
export async function completeJob(
  db: Queryable,
  options: { jobId: number; workerId: string; result: unknown },
): Promise<void> {
  await db.query(sql`
    UPDATE jobs SET status = 'done', result = ${JSON.stringify(options.result ?? null)}::text::jsonb,
      locked_by = NULL, locked_until = NULL, finished_at = now(), updated_at = now()
    WHERE id = ${options.jobId} AND locked_by = ${options.workerId}`);
}

/** Records a failure: retried after a back-off, or failed for good after max_attempts. */
export async function failJob(
  db: Queryable,
  options: { jobId: number; workerId: string; error: string },
): Promise<void> {
  await db.query(sql`
    UPDATE jobs SET
      status = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
      finished_at = CASE WHEN attempts >= max_attempts THEN now() ELSE NULL END,
      run_at = ${RETRY_AT},
      last_error = ${options.error.slice(0, 2000)},
      locked_by = NULL, locked_until = NULL, updated_at = now()
    WHERE id = ${options.jobId} AND locked_by = ${options.workerId}`);
}
