/**
 * When a catalogue field is matched again. Anything a field's suggestions depend on — new rows, new
 * entries, new decisions (a decided row is a document of the index and a training example of the
 * re-ranker) — sets fields.match_requested_at; the match job sets matched_at to the request it served.
 * Workers check on their idle ticks, as the auto-retrain scheduler does: a few indexed reads.
 *
 * One match job per field at a time (queued or running): requests made while one runs are served by
 * the next, so a burst of decisions costs one extra match, not one per decision. While rows wait for
 * their vectors, a field is matched at most every {@link MATCH_WAIT_SECONDS} (a job that ends with rows
 * still waiting makes a new request), so a new file is matched as its rows get vectors and once more when
 * the last one has, not batch by batch; those runs match only rows with no answer yet.
 */
import { WORK_CHANNEL } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { MAX_ATTEMPTS } from "../embedding/embedding_queue.ts";

/** While rows wait for vectors, a field is matched again this long after its last match job started. */
export const MATCH_WAIT_SECONDS = 30;

/**
 * Queues a match job for one catalogue field whose request is unserved and that has no job queued or
 * running. Returns the job and field, or null when none is due.
 */
export async function scheduleCatalogueMatch(
  db: Queryable,
  modelId: string,
): Promise<{ job_id: number; field: string } | null> {
  const [due] = await db.query<{ id: number; name: string }>(sql`
    SELECT f.id, f.name FROM fields f
    WHERE f.kind = 'catalogue' AND f.match_requested_at IS NOT NULL
      AND (f.matched_at IS NULL OR f.matched_at < f.match_requested_at)
      AND NOT EXISTS (
        SELECT 1 FROM jobs j WHERE j.kind = 'catalogue-match' AND j.status IN ('queued', 'running')
          AND j.payload ->> 'field_id' = f.id::text)
      AND (NOT EXISTS (
          SELECT 1 FROM embedding_queue q WHERE q.model_id = ${modelId} AND q.attempts < ${MAX_ATTEMPTS})
        OR coalesce((
          SELECT j.created_at FROM jobs j
          WHERE j.kind = 'catalogue-match' AND j.payload ->> 'field_id' = f.id::text
          ORDER BY j.created_at DESC LIMIT 1), f.match_requested_at)
          < now() - make_interval(secs => ${MATCH_WAIT_SECONDS}))
    ORDER BY f.match_requested_at
    LIMIT 1`);
  if (!due) return null;
  // The unique index of migration 0024 keeps two workers' ticks from queueing the same field twice.
  const [job] = await db.query<{ id: number }>(sql`
    INSERT INTO jobs (kind, payload, priority, max_attempts)
    VALUES ('catalogue-match', ${JSON.stringify({ field_id: due.id })}::text::jsonb, 0, 3)
    ON CONFLICT DO NOTHING
    RETURNING id`);
  if (!job) return null;
  await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, ${`job:${job.id}`})`);
  return { job_id: job.id, field: due.name };
}
