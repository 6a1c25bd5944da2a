/**
 * Review leases (migration 0013): a card served to a reviewer is theirs for LEASE_SECONDS, so two
 * reviewers on one queue are not served the same card and do not decide it twice. Kept apart from the
 * queue's order (review_queue.ts): a page is ranked as usual, rows leased to someone else are left out
 * by one filter, and the rows served are claimed afterwards. A claim that loses a race (another reviewer
 * claimed the row between the read and the claim) drops the row from the page.
 *
 * A lease ends when it expires, when the row is decided (by anyone: see feedback.ts) or when its
 * reviewer (a signed-in account) starts the queue again (the first page, no cursor).
 */
import type { Queryable } from "../db/database.ts";
import { sql, type SqlQuery } from "../db/sql.ts";

/**
 * How long a served card stays reserved, in seconds. A page of 20 cards is read with the next one
 * fetched ahead, so a reviewer holds about two pages: at ~3 s a card, about two minutes of work. A
 * reviewer who leaves loses their cards to the others after this long.
 */
export const LEASE_SECONDS = 180;

/**
 * SQL condition on review_queue aliased `q`: the row is not leased to anyone but `reviewer` (null: to
 * anyone). Expired leases count as none.
 */
export function notLeasedToOthers(reviewer: string | null): SqlQuery {
  return reviewer === null
    ? sql`AND NOT EXISTS (SELECT 1 FROM review_leases l
        WHERE l.product_id = q.product_id AND l.expires_at > now())`
    : sql`AND NOT EXISTS (SELECT 1 FROM review_leases l
        WHERE l.product_id = q.product_id AND l.reviewer <> ${reviewer}::text AND l.expires_at > now())`;
}

/**
 * Leases `productIds` to `reviewer` for `seconds` (renewing their own leases), in one statement; rows
 * leased to someone else meanwhile are not taken. Returns the ids now leased to `reviewer`, as a set.
 */
export async function claimLeases(
  db: Queryable,
  reviewer: string,
  productIds: number[],
  seconds = LEASE_SECONDS,
): Promise<Set<number>> {
  if (productIds.length === 0) return new Set();
  // ON CONFLICT … WHERE is evaluated on the committed row after waiting for a concurrent claim, so of
  // two reviewers claiming one row at once exactly one gets it back. A row decided between the page's
  // read and this claim (its lease already ended by the decision) is not claimed: it has a label now.
  const rows = await db.query<{ product_id: number }>(sql`
    INSERT INTO review_leases (product_id, reviewer, expires_at)
    SELECT id, ${reviewer}::text, now() + make_interval(secs => ${seconds}::int)
    FROM unnest(${productIds}::int[]) AS served (id)
    WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = served.id)
    ON CONFLICT (product_id) DO UPDATE SET reviewer = excluded.reviewer, expires_at = excluded.expires_at
      WHERE review_leases.reviewer = excluded.reviewer OR review_leases.expires_at <= now()
    RETURNING product_id`);
  return new Set(rows.map((row) => row.product_id));
}

/** Ends `reviewer`'s leases except on `keep` (their queue starts again), and expired ones of anybody. */
export async function releaseLeases(db: Queryable, reviewer: string, keep: number[] = []): Promise<void> {
  await db.query(sql`
    DELETE FROM review_leases
    WHERE (reviewer = ${reviewer}::text AND product_id <> ALL(${keep}::int[])) OR expires_at <= now()`);
}

/** Ends every lease on `productIds` (they were decided). */
export async function endLeases(db: Queryable, productIds: number[]): Promise<void> {
  if (productIds.length === 0) return;
  await db.query(sql`DELETE FROM review_leases WHERE product_id = ANY(${productIds}::int[])`);
}
