/** Jobs as the API shows them: status, live progress, result or last error. */
import type { JobView } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";

const ISO = 'YYYY-MM-DD"T"HH24:MI:SS"Z"';

const columns = sql`
  SELECT id, kind, status, attempts, last_error, progress, result,
    to_char(created_at AT TIME ZONE 'UTC', ${ISO}) AS created_at,
    to_char(finished_at AT TIME ZONE 'UTC', ${ISO}) AS finished_at
  FROM jobs`;

/** One job, or undefined. */
export async function readJob(db: Queryable, id: number): Promise<JobView | undefined> {
  const [job] = await db.query<JobView>(sql`${columns} WHERE id = ${id}`);
  return job;
}

/** The newest job of `kind`, or null. */
export async function latestJob(db: Queryable, kind: string): Promise<JobView | null> {
  const [job] = await db.query<JobView>(sql`${columns} WHERE kind = ${kind} ORDER BY id DESC LIMIT 1`);
  return job ?? null;
}
