/**
 * Fields: the normalised values a product carries (migration 0024). `category` (kind `label`) is the
 * value the classifier, the review queue and the models serve; fields of kind `catalogue` match each row
 * to an entry of a canonical list (core/catalogue/). Names are unique and never change: they are export
 * column names and URL path segments.
 */
import { type Field, FieldInput } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { parseInput } from "../parse_input.ts";

/** More fields than this is a mistake in a script, not a catalogue. */
export const MAX_FIELDS = 20;

interface FieldRow {
  id: number;
  name: string;
  kind: "label" | "catalogue";
  seed_column: string | null;
  position: number;
}

/** Every field with its counts, in position order (`category` first). */
export async function listFields(db: Queryable): Promise<Field[]> {
  return await db.query<Field>(sql`
    SELECT f.id, f.name, f.kind, f.seed_column, f.position,
      (SELECT count(*)::int FROM catalogue_entries e WHERE e.field_id = f.id AND e.retired_at IS NULL)
        AS entries,
      (SELECT count(*)::int FROM catalogue_entries e
        WHERE e.field_id = f.id AND e.embedding IS NULL AND e.retired_at IS NULL)
        AS unembedded_entries,
      (SELECT count(*)::int FROM catalogue_matches m WHERE m.field_id = f.id AND m.source <> 'suggested')
        AS decided,
      (SELECT count(*)::int FROM catalogue_matches m WHERE m.field_id = f.id AND m.source = 'suggested')
        AS suggested
    FROM fields f ORDER BY f.position, f.id`);
}

/** The field named `name`; throws DomainError "not_found" when there is none. */
export async function readField(db: Queryable, name: string): Promise<FieldRow> {
  const [field] = await db.query<FieldRow>(sql`
    SELECT id, name, kind, seed_column, position FROM fields WHERE name = ${name}`);
  if (!field) throw new DomainError("not_found", `Cannot find the field "${name}"`);
  return field;
}

/**
 * The catalogue field named `name`; throws DomainError "not_found" when there is none and "invalid"
 * when it is a label field (its values are served by the classifier routes, not the catalogue's).
 */
export async function readCatalogueField(db: Queryable, name: string): Promise<FieldRow> {
  const field = await readField(db, name);
  if (field.kind !== "catalogue") {
    throw new DomainError(
      "invalid",
      `The field "${name}" is a label field: its values are reviewed on the review page, not matched to a catalogue`,
    );
  }
  return field;
}

/**
 * Adds a field after the existing ones. Throws DomainError "invalid" for a bad name or kind, "conflict"
 * for a name in use, "too_large" past {@link MAX_FIELDS}. Only `catalogue` fields can be added: the one
 * label field is `category`.
 */
export async function addField(db: Queryable, input: unknown): Promise<FieldRow> {
  const { name, kind, seed_column } = parseInput(FieldInput, input, "field");
  if (kind !== "catalogue") {
    throw new DomainError(
      "invalid",
      `Cannot add the label field "${name}": the label field is "category"; add "${name}" as a catalogue field (its values are matched to a list that grows from decisions)`,
    );
  }
  const rows = await db.query<FieldRow & { taken: boolean; count: number }>(sql`
    WITH existing AS (SELECT count(*)::int AS count, coalesce(max(position), -1) AS last,
                             bool_or(name = ${name}) AS taken FROM fields)
    INSERT INTO fields (name, kind, seed_column, position, match_requested_at)
    SELECT ${name}, ${kind}, ${seed_column ?? null}, last + 1, now() FROM existing
    WHERE NOT coalesce(taken, false) AND count < ${MAX_FIELDS}
    ON CONFLICT (name) DO NOTHING
    RETURNING id, name, kind, seed_column, position`);
  if (rows.length === 0) {
    const [{ count, taken }] = await db.query<{ count: number; taken: boolean }>(sql`
      SELECT count(*)::int AS count, coalesce(bool_or(name = ${name}), false) AS taken FROM fields`);
    if (taken) {
      throw new DomainError("conflict", `Cannot add the field "${name}": a field of that name exists`);
    }
    throw new DomainError(
      "too_large",
      `Cannot add the field "${name}": ${count} fields is the most a catalogue has`,
    );
  }
  return rows[0];
}

/**
 * Asks for `fieldIds` (every catalogue field when omitted) to be matched again; see catalogue_schedule.ts.
 * `full`: every undecided row, not only those with no answer yet — for a change the match job cannot see
 * from timestamps (an entry named again after it was retired).
 */
export async function requestCatalogueMatch(
  db: Queryable,
  fieldIds?: number[],
  options: { full?: boolean } = {},
): Promise<void> {
  const full = options.full ?? false;
  if (fieldIds) {
    await db.query(sql`
      UPDATE fields SET match_requested_at = now(), matched_at = CASE WHEN ${full} THEN NULL ELSE matched_at END
      WHERE id = ANY(${fieldIds}::int[])`);
  } else {
    await db.query(sql`
      UPDATE fields SET match_requested_at = now(), matched_at = CASE WHEN ${full} THEN NULL ELSE matched_at END
      WHERE kind = 'catalogue'`);
  }
}
