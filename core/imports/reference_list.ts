/**
 * A catalogue field's reference list, as uploaded: a CSV of canonical names with optional attribute
 * columns (core/catalogue/catalogue_entries.ts stores them).
 */
import { MAX_VALUE_LENGTH } from "../../contract/schemas.ts";
import { DomainError } from "../domain_error.ts";
import type { EntryInput } from "../catalogue/catalogue_entries.ts";
import { CsvRecordReader } from "./csv_records.ts";
import { guessDelimiter } from "./csv_dialect.ts";
import { detectEncoding } from "./text_encoding.ts";

/** A reference list holds at most this many entries: well past the 100,000 a catalogue field is built for. */
export const MAX_REFERENCE_ENTRIES = 500_000;

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
