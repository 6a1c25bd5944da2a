/**
 * The audit trail: who did what, when. Append-only — the table's trigger refuses UPDATE, DELETE and
 * TRUNCATE, and this module only inserts and reads. Kinds are short dotted words (`upload`, `feedback`,
 * `user.create`, `token.revoke`, `login.failed`, …) so ops can filter by them.
 */
import type { AuditEntry, AuditQuery } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";

/** Who acted, as the audit trail records it. */
export interface AuditActor {
  name: string | null;
  id: number | null;
  /** session, token, cli or system */
  via: string;
}

/** Longest JSON text kept for one entry's details; longer details are cut and marked. */
const MAX_DETAILS_CHARS = 4000;

/** Appends one entry. */
export async function recordAudit(
  db: Queryable,
  actor: AuditActor,
  kind: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  let text = JSON.stringify(details);
  if (text.length > MAX_DETAILS_CHARS) {
    text = JSON.stringify({ truncated: true, excerpt: text.slice(0, MAX_DETAILS_CHARS) });
  }
  await db.query(sql`
    INSERT INTO audit_log (actor, actor_id, via, kind, details)
    VALUES (${actor.name}, ${actor.id}, ${actor.via}, ${kind.slice(0, 100)}, ${text}::text::jsonb)`);
}

/** Entries newest first, filtered by actor name and kind, paged by id. */
export function readAudit(db: Queryable, query: AuditQuery): Promise<AuditEntry[]> {
  const user = query.user ?? null;
  const kind = query.kind ?? null;
  const before = query.before_id ?? null;
  return db.query<AuditEntry>(sql`
    SELECT id::int AS id, at::text AS at, actor, via, kind, details
    FROM audit_log
    WHERE (${user}::text IS NULL OR actor = ${user}::text)
      AND (${kind}::text IS NULL OR kind = ${kind}::text)
      AND (${before}::bigint IS NULL OR id < ${before}::bigint)
    ORDER BY id DESC
    LIMIT ${query.limit}`);
}

/** The actors and kinds present, for the filter menus. */
export async function auditFacets(db: Queryable): Promise<{ actors: string[]; kinds: string[] }> {
  const actors = await db.query<{ value: string }>(sql`
    SELECT DISTINCT actor AS value FROM audit_log WHERE actor IS NOT NULL ORDER BY 1 LIMIT 500`);
  const kinds = await db.query<{ value: string }>(sql`
    SELECT DISTINCT kind AS value FROM audit_log ORDER BY 1 LIMIT 500`);
  return { actors: actors.map((row) => row.value), kinds: kinds.map((row) => row.value) };
}
