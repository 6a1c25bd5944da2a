/**
 * A catalogue field's entries as people see them: listed (searched by name, with how many rows are
 * decided to each) and retired — an entry added by mistake stops being suggested, and the decisions that
 * named it stay in the history (migration 0026).
 */
import type { Database, Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { textKey } from "../text_key.ts";

/** One entry of the list. */
export interface EntryRow {
  entry_id: number;
  name: string;
  attributes: Record<string, string>;
  source: "upload" | "seed" | "review";
  /** Rows whose standing value is this entry (a decision or a seed value). */
  decided: number;
}

/**
 * Field `field`'s entries in id order, `limit` at most after entry `after`; with `q`, those whose name
 * holds it (compared by core/text_key.ts' key). Retired entries are left out.
 */
export async function listEntries(
  db: Queryable,
  field: { id: number },
  query: { q?: string; limit: number; after?: number },
): Promise<{ entries: EntryRow[]; next_after: number | null }> {
  // LIKE's own characters in the search are literal.
  const pattern = query.q ? `%${textKey(query.q).replace(/[\\%_]/g, (char) => `\\${char}`)}%` : "%";
  const rows = await db.query<EntryRow>(sql`
    SELECT e.id AS entry_id, e.name, e.attributes, e.source,
      (SELECT count(*)::int FROM catalogue_matches m WHERE m.entry_id = e.id AND m.source <> 'suggested')
        AS decided
    FROM catalogue_entries e
    WHERE e.field_id = ${field.id} AND e.retired_at IS NULL AND e.id > ${query.after ?? 0}
      AND e.name_key LIKE ${pattern}
    ORDER BY e.id
    LIMIT ${query.limit + 1}`);
  const more = rows.length > query.limit;
  const entries = rows.slice(0, query.limit);
  return { entries, next_after: more ? entries[entries.length - 1].entry_id : null };
}

/**
 * Retires entry `entryId` of field `field`: it is no longer suggested (the field is matched again in
 * full). Throws DomainError "not_found" for no such entry (or one retired already), "conflict" while rows
 * are decided to it (a decision or a seed value: change those first).
 */
export async function retireEntry(
  db: Database,
  field: { id: number; name: string },
  entryId: number,
): Promise<{ entry_id: number; name: string }> {
  return await db.transaction(async (tx) => {
    const [entry] = await tx.query<{ name: string }>(sql`
      SELECT name FROM catalogue_entries
      WHERE id = ${entryId} AND field_id = ${field.id} AND retired_at IS NULL
      FOR UPDATE`);
    if (!entry) {
      throw new DomainError("not_found", `Cannot retire: the field "${field.name}" has no entry ${entryId}`);
    }
    const [{ decided }] = await tx.query<{ decided: number }>(sql`
      SELECT count(*)::int AS decided FROM catalogue_matches WHERE entry_id = ${entryId} AND source <> 'suggested'`);
    if (decided > 0) {
      throw new DomainError(
        "conflict",
        `Cannot retire "${entry.name}": ${decided} row${
          decided === 1 ? " is" : "s are"
        } decided to it; change ${decided === 1 ? "that decision" : "those decisions"} first`,
      );
    }
    await tx.query(sql`UPDATE catalogue_entries SET retired_at = now() WHERE id = ${entryId}`);
    // Rows suggested this entry get another; their runners-up may name it too, so every row is matched.
    await tx.query(
      sql`UPDATE fields SET match_requested_at = now(), matched_at = NULL WHERE id = ${field.id}`,
    );
    return { entry_id: entryId, name: entry.name };
  });
}
