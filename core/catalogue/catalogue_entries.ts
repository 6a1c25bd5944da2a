/**
 * The canonical entries of a catalogue field: a reference list the user uploads (a CSV of canonical
 * names with optional attribute columns), the values of a seed column, and names reviewers type. Two
 * names with the same core/text_key.ts key are one entry: the first spelling stays.
 */
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { textKey } from "../text_key.ts";

/** Entries inserted per statement. */
const INSERT_BATCH = 1_000;

/** A canonical name with its attributes (the other columns of its reference-list row). */
export interface EntryInput {
  name: string;
  attributes?: Record<string, string>;
}

/**
 * Adds `entries` to field `fieldId` as `source`; a name whose key the field already holds is left as it
 * is. Returns how many were added and how many existed. Run it in the caller's transaction so that a
 * failed upload adds nothing.
 */
export async function addEntries(
  tx: Queryable,
  fieldId: number,
  entries: EntryInput[],
  source: "upload" | "seed" | "review",
): Promise<{ added: number; existing: number }> {
  const seen = new Set<string>();
  const distinct = entries.filter((entry) => {
    const key = textKey(entry.name);
    if (key === "" || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  let added = 0;
  for (let start = 0; start < distinct.length; start += INSERT_BATCH) {
    const batch = distinct.slice(start, start + INSERT_BATCH);
    const rows = await tx.query(sql`
      INSERT INTO catalogue_entries (field_id, name, name_key, attributes, source)
      SELECT ${fieldId}, e.name, e.key, e.attributes, ${source}
      FROM jsonb_to_recordset(${
      JSON.stringify(batch.map((entry) => ({
        name: entry.name,
        key: textKey(entry.name),
        attributes: entry.attributes ?? {},
      })))
    }::text::jsonb) AS e(name text, key text, attributes jsonb)
      -- A retired entry named again is wanted again; any other existing name is left as it is.
      ON CONFLICT (field_id, name_key) DO UPDATE SET retired_at = NULL
        WHERE catalogue_entries.retired_at IS NOT NULL
      RETURNING id`);
    added += rows.length;
  }
  return { added, existing: entries.length - added };
}

/**
 * The id of field `fieldId`'s entry named `name` (by key), created with `source` when there is none;
 * `created` says which.
 */
export async function entryNamed(
  tx: Queryable,
  fieldId: number,
  name: string,
  source: "seed" | "review",
): Promise<{ id: number; name: string; created: boolean }> {
  const key = textKey(name);
  if (key === "") throw new DomainError("invalid", "Cannot create an entry with an empty name");
  const inserted = await tx.query<{ id: number; name: string }>(sql`
    INSERT INTO catalogue_entries (field_id, name, name_key, source)
    VALUES (${fieldId}, ${name.trim()}, ${key}, ${source})
    ON CONFLICT (field_id, name_key) DO NOTHING
    RETURNING id, name`);
  if (inserted.length > 0) return { ...inserted[0], created: true };
  const [existing] = await tx.query<{ id: number; name: string }>(sql`
    UPDATE catalogue_entries SET retired_at = NULL
    WHERE field_id = ${fieldId} AND name_key = ${key}
    RETURNING id, name`);
  return { ...existing, created: false };
}

/** Whether `entryId` is an entry of field `fieldId`, retired or not. */
export async function isEntryOf(q: Queryable, fieldId: number, entryId: number): Promise<boolean> {
  const rows = await q.query(
    sql`SELECT 1 FROM catalogue_entries WHERE id = ${entryId} AND field_id = ${fieldId}`,
  );
  return rows.length > 0;
}

/**
 * Field `field`'s entry `entryId` when it stands (not retired): what a decision may name. Throws
 * DomainError "not_found" otherwise.
 */
export async function standingEntry(
  q: Queryable,
  field: { id: number; name: string },
  entryId: number,
): Promise<{ id: number; name: string }> {
  const [entry] = await q.query<{ id: number; name: string }>(sql`
    SELECT id, name FROM catalogue_entries WHERE id = ${entryId} AND field_id = ${field.id} AND retired_at IS NULL`);
  if (!entry) {
    throw new DomainError("not_found", `Cannot decide: the field "${field.name}" has no entry ${entryId}`);
  }
  return entry;
}
