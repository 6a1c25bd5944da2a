/**
 * The decisions that stand: for each decided row its latest decision not withdrawn, newest first. This is
 * where a reviewer finds a decision of an earlier page to change (a new decision with
 * `expected_feedback_id` set to the one shown, so a decision made meanwhile is never overwritten unseen)
 * or to undo (withdraw_decision.ts). Superseded and withdrawn decisions stay in `feedback` as history and
 * are not listed.
 */
import type { DecisionPage, DecisionsQuery } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";

/**
 * One page of standing decisions, newest first, keyed by feedback id (`next_before` continues it; null on
 * the last page). Both anti-joins walk indexes: `feedback_withdrawals` by its key and `feedback` by
 * (product_id, created_at), so a page costs `limit` index probes per decision scanned.
 */
export async function readDecisions(db: Queryable, query: DecisionsQuery): Promise<DecisionPage> {
  const rows = await db.query<DecisionPage["items"][number]>(sql`
    SELECT f.id AS feedback_id, f.product_id, f.approved, f.value, f.reviewer,
           to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
           p.import_id, p.row_number, p.text
    FROM feedback f
    JOIN products p ON p.id = f.product_id
    WHERE NOT EXISTS (SELECT 1 FROM feedback_withdrawals w WHERE w.feedback_id = f.id)
      AND NOT EXISTS (
        SELECT 1 FROM feedback later
        WHERE later.product_id = f.product_id AND later.id > f.id
          AND NOT EXISTS (SELECT 1 FROM feedback_withdrawals w WHERE w.feedback_id = later.id))
      ${query.import_id === undefined ? sql`` : sql`AND p.import_id = ${query.import_id}::int`}
      ${query.reviewer === undefined ? sql`` : sql`AND f.reviewer = ${query.reviewer}::text`}
      ${query.before === undefined ? sql`` : sql`AND f.id < ${query.before}::int`}
    ORDER BY f.id DESC
    LIMIT ${query.limit + 1}`);
  const more = rows.length > query.limit;
  const items = more ? rows.slice(0, query.limit) : rows;
  return { items, next_before: more ? items[items.length - 1].feedback_id : null };
}
