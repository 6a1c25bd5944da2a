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
const GZIP = [0x1f, 0x8b];
/** The first bytes of a zip archive: an .xlsx workbook sent as the reference list. */
const ZIP = [0x50, 0x4b, 0x03, 0x04];

/**
 * Reads a reference list: a CSV file (UTF-8, UTF-16 with a byte order mark, or Windows-1252; delimiter
 * guessed among `,` `;` tab `|`) whose header names the columns. The canonical name is the column `name`
 * (any case), else the first column; the other non-empty cells become the entry's attributes. Rows with
 * an empty name are skipped and counted (`skipped`).
 *
 * Throws DomainError "unsupported" for a compressed, zipped or binary file (a NUL byte: no text CSV but UTF-16
 * holds one), "invalid" without a header and a row, for a row wider or narrower than the header (with its
 * line, as an import says it) or a name longer than MAX_VALUE_LENGTH, "too_large" past
 * {@link MAX_REFERENCE_ENTRIES}.
 */
export function parseReferenceList(
  bytes: Uint8Array,
): { entries: EntryInput[]; rows: number; skipped: number } {
  if (GZIP.every((byte, at) => bytes[at] === byte)) {
    throw new DomainError(
      "unsupported",
      "Cannot read the reference list: it is compressed (gzip); send the CSV itself",
    );
  }
  if (ZIP.every((byte, at) => bytes[at] === byte)) {
    throw new DomainError(
      "unsupported",
      "Cannot read the reference list: it is a zip archive (an Excel workbook?); save it as CSV",
    );
  }
  const { encoding, bom } = detectEncoding(bytes, true);
  const text = new TextDecoder(encoding).decode(bytes.subarray(bom));
  // Checked on the decoded text: UTF-16's NUL bytes are gone by then, a binary file's remain.
  const nul = text.indexOf("\u0000");
  if (nul >= 0) {
    throw new DomainError(
      "unsupported",
      `Cannot read the reference list: character ${
        nul + 1
      } is a NUL byte; this looks like a binary file, not CSV`,
    );
  }
  const reader = new CsvRecordReader(guessDelimiter(text.slice(0, 64 * 1024)), 100_000);
  const records = [...reader.push(text), ...reader.end()]
    .filter((record) => record.fields.some((field) => field.trim() !== ""));
  if (records.length < 2) {
    throw new DomainError(
      "invalid",
      "Cannot read the reference list: it needs a header row and at least one row",
    );
  }
  const header = records[0].fields.map((name) => name.trim());
  const ragged = records.find((record) => record.fields.length !== header.length);
  if (ragged) {
    throw new DomainError(
      "invalid",
      `Cannot read the reference list: line ${ragged.line} has ${ragged.fields.length} fields, the header (line ${
        records[0].line
      }) has ${header.length}`,
    );
  }
  const nameAt = Math.max(0, header.findIndex((name) => name.toLowerCase() === "name"));
  if (records.length - 1 > MAX_REFERENCE_ENTRIES) {
    throw new DomainError(
      "too_large",
      `Cannot read the reference list: ${records.length - 1} rows, more than ${MAX_REFERENCE_ENTRIES}`,
    );
  }
  const entries: EntryInput[] = [];
  let skipped = 0;
  for (const record of records.slice(1)) {
    const name = (record.fields[nameAt] ?? "").trim();
    if (name === "") {
      skipped++;
      continue;
    }
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
  return { entries, rows: records.length - 1, skipped };
}
