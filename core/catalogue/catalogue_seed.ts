/**
 * Seed decisions of catalogue fields at import: a catalogue field with a seed column (its own, or the one
 * the upload chose for this file) takes that column's non-empty values in a newly imported file as decided
 * (source 'seed'), each value an entry (created when the field has none of that name, by key). Runs in the
 * transaction that makes the import visible, so a failed import leaves no entry and no decision; then every
 * catalogue field is asked to match the new rows.
 */
import { MAX_VALUE_LENGTH } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { textKey } from "../text_key.ts";
import { addEntries } from "./catalogue_entries.ts";

/** A file's seed column by catalogue field name, null for none (UploadOptions' field_columns). */
export type FieldColumns = Record<string, string | null>;

/**
 * Why `columns` cannot apply to an import: it names no field, or the label field (whose seed values are
 * the label column's); null when every name is a catalogue field.
 */
export async function fieldColumnsProblem(
  db: Queryable,
  columns: FieldColumns,
): Promise<{ message: string; details: string[] } | null> {
  const names = Object.keys(columns);
  if (names.length === 0) return null;
  const fields = await db.query<{ name: string; kind: string }>(sql`
    SELECT name, kind FROM fields ORDER BY position, id`);
  const unknown = names.filter((name) => !fields.some((field) => field.name === name));
  const details = [`The fields are: ${fields.map((field) => `${field.name} (${field.kind})`).join(", ")}`];
  if (unknown.length > 0) {
    return { message: `no field named ${unknown.map((name) => `"${name}"`).join(", ")}`, details };
  }
  const label = fields.find((field) => field.kind === "label" && names.includes(field.name));
  if (label) {
    return {
      message: `"${label.name}" is the label field: its seed values come from the label column, not a ` +
        `seed column`,
      details,
    };
  }
  return null;
}

/**
 * Seeds the catalogue fields from import `importId`'s rows; returns the decisions stored per field name.
 * A field named in `columns` takes its values from that column (none when null), the others from their
 * own seed column.
 */
export async function seedCatalogueFields(
  tx: Queryable,
  importId: number,
  columns: FieldColumns = {},
): Promise<Record<string, number>> {
  const catalogue = await tx.query<{ id: number; name: string; seed_column: string | null }>(sql`
    SELECT id, name, seed_column FROM fields WHERE kind = 'catalogue' ORDER BY position`);
  const fields = catalogue.map((field) => ({
    ...field,
    seed_column: Object.hasOwn(columns, field.name) ? columns[field.name] : field.seed_column,
  }));
  const seeded: Record<string, number> = {};
  for (const field of fields) {
    if (field.seed_column === null) continue;
    const values = await tx.query<{ value: string }>(sql`
      SELECT DISTINCT btrim(data ->> ${field.seed_column}) AS value FROM products
      WHERE import_id = ${importId} AND btrim(data ->> ${field.seed_column}) <> ''
        AND length(btrim(data ->> ${field.seed_column})) <= ${MAX_VALUE_LENGTH}`);
    if (values.length === 0) continue;
    await addEntries(tx, field.id, values.map(({ value }) => ({ name: value })), "seed");
    const keys = values.map(({ value }) => ({ value, key: textKey(value) }));
    const rows = await tx.query(sql`
      INSERT INTO catalogue_matches (field_id, product_id, entry_id, confidence, alternatives, source)
      SELECT ${field.id}, p.id, e.id, 1, '[]', 'seed'
      FROM products p
      JOIN jsonb_to_recordset(${JSON.stringify(keys)}::text::jsonb) AS v(value text, key text)
        ON btrim(p.data ->> ${field.seed_column}) = v.value
      JOIN catalogue_entries e ON e.field_id = ${field.id} AND e.name_key = v.key
      WHERE p.import_id = ${importId}
      ON CONFLICT (field_id, product_id) DO NOTHING
      RETURNING product_id`);
    seeded[field.name] = rows.length;
  }
  if (fields.length > 0) {
    await tx.query(sql`UPDATE fields SET match_requested_at = now() WHERE kind = 'catalogue'`);
  }
  return seeded;
}
