/**
 * The canonical entries of a catalogue field: a reference list the user uploads (a CSV of canonical
 * names with optional attribute columns), the values of a seed column, and names reviewers type. Two
 * names with the same core/text_key.ts key are one entry: the first spelling stays.
 */
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { textKey } from "../text_key.ts";
import { MAX_VALUE_LENGTH } from "../../contract/schemas.ts";
import { CsvRecordReader } from "../imports/csv_records.ts";
import { guessDelimiter } from "../imports/csv_dialect.ts";
import { detectEncoding } from "../imports/text_encoding.ts";

/** A reference list holds at most this many entries: well past the 100,000 a catalogue field is built for. */
export const MAX_REFERENCE_ENTRIES = 500_000;
/** Entries inserted per statement. */
const INSERT_BATCH = 1_000;

/** A canonical name with its attributes (the other columns of its reference-list row). */
export interface EntryInput {
  name: string;
  attributes?: Record<string, string>;
}

/**
 * Reads a reference list: a CSV file (UTF-8, UTF-16 with a byte order mark, or Windows-1252; delimiter
 * guessed among `,` `;` tab `|`) whose header names the columns. The canonical name is the column `name`
 * (any case), else the first column; the other non-empty cells become the entry's attributes. Rows with
 * an empty name are skipped.
 *
 * Throws DomainError "malformed" without a header or rows, "invalid" for a name longer than
 * MAX_VALUE_LENGTH (with its line), "too_large" past {@link MAX_REFERENCE_ENTRIES}.
 */
export function parseReferenceList(bytes: Uint8Array): { entries: EntryInput[]; rows: number } {
  const { encoding, bom } = detectEncoding(bytes, true);
  const text = new TextDecoder(encoding).decode(bytes.subarray(bom));
  const reader = new CsvRecordReader(guessDelimiter(text.slice(0, 64 * 1024)), 100_000);
  const records = [...reader.push(text), ...reader.end()]
    .filter((record) => record.fields.some((field) => field.trim() !== ""));
  if (records.length < 2) {
    throw new DomainError(
      "malformed",
      "Cannot read the reference list: it needs a header row and at least one row",
    );
  }
  const header = records[0].fields.map((name) => name.trim());
  const nameAt = Math.max(0, header.findIndex((name) => name.toLowerCase() === "name"));
  if (records.length - 1 > MAX_REFERENCE_ENTRIES) {
    throw new DomainError(
      "too_large",
      `Cannot read the reference list: ${records.length - 1} rows, more than ${MAX_REFERENCE_ENTRIES}`,
    );
  }
  const entries: EntryInput[] = [];
  for (const record of records.slice(1)) {
    const name = (record.fields[nameAt] ?? "").trim();
    if (name === "") continue;
    if (name.length > MAX_VALUE_LENGTH) {
      throw new DomainError(
        "invalid",
        `Cannot read the reference list: the name on line ${record.line} has ${name.length} characters, more than ${MAX_VALUE_LENGTH}`,
      );
    }
    const attributes: Record<string, string> = {};
    record.fields.forEach((value, at) => {
      const column = header[at];
      if (at !== nameAt && column && value.trim() !== "") attributes[column] = value.trim();
    });
    entries.push({ name, attributes });
  }
  return { entries, rows: records.length - 1 };
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
      ON CONFLICT (field_id, name_key) DO NOTHING
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
    SELECT id, name FROM catalogue_entries WHERE field_id = ${fieldId} AND name_key = ${key}`);
  return { ...existing, created: false };
}
