/**
 * What the upload form shows of a file before it is sent: the start of the file read the way the server
 * import reads it (same encoding detection, record reader, delimiter and header detection, same names
 * for unnamed columns). Pure: runs in the browser and in tests.
 */
import { textDecoder } from "./text_decoder.ts";
import { type CsvRecord, CsvRecordReader } from "./csv_records.ts";
import { columnNames, readDialect, sepLineOf } from "./csv_dialect.ts";
import { bomLength, detectEncoding, encodingName, type TextEncodingName } from "./text_encoding.ts";

/** A line the user may choose as the header instead. */
export interface HeaderCandidate {
  line: number;
  text: string;
}

/** The preview of a file. */
export interface CsvPreview {
  encoding: TextEncodingName;
  /** "UTF-8 (detected: valid UTF-8)" and the like. */
  encodingText: string;
  encodingDetected: boolean;
  delimiter: string;
  headerLine: number;
  headerDetected: boolean;
  /** Column names, unnamed ones with the name the server gives them (`column_4`). */
  columns: string[];
  /** Unnamed columns empty in every previewed row: the server leaves them out when empty in every row. */
  emptyUnnamed: string[];
  /** The first data rows, with `columns.length` fields each (missing ones empty). */
  rows: string[][];
  /** The records at the start of the file, which the user may choose as the header. */
  candidates: HeaderCandidate[];
}

/** How many data rows the preview shows, and how many records are offered as the header. */
const PREVIEW_ROWS = 5;
const CANDIDATES = 20;

/**
 * Reads the start of a file for the preview.
 *
 * @param bytes the first bytes of the file (e.g. 64 KiB)
 * @param whole whether `bytes` is the whole file
 * @param options the user's choice of encoding and header line (1-based), else detected
 */
export function previewCsv(
  bytes: Uint8Array,
  whole: boolean,
  options: { encoding?: TextEncodingName; headerLine?: number } = {},
): CsvPreview {
  const detected = detectEncoding(bytes, whole);
  const encoding = options.encoding ?? detected.encoding;
  const text = textDecoder(encoding, { ignoreBOM: true })
    .decode(bytes.subarray(bomLength(bytes, encoding)), { stream: !whole });
  const dialect = readDialect(text, { headerLine: options.headerLine });
  const reader = new CsvRecordReader(dialect.delimiter, 100_000);
  const records: CsvRecord[] = reader.push(text);
  if (whole) records.push(...reader.end());
  const sepLine = sepLineOf(text) ? 1 : null;
  const usable = records.filter((record) => record.line !== sepLine);
  const headerIndex = usable.findIndex((record) => record.line === dialect.headerLine);
  const header = headerIndex === -1 ? [] : usable[headerIndex].fields;
  const { names, unnamed } = columnNames(header);
  const rows = (headerIndex === -1 ? [] : usable.slice(headerIndex + 1, headerIndex + 1 + PREVIEW_ROWS))
    .map((record) => names.map((_, index) => record.fields[index] ?? ""));
  const emptyUnnamed = unnamed
    .filter((index) => rows.every((row) => row[index].trim() === ""))
    .map((index) => names[index]);
  return {
    encoding,
    encodingText: options.encoding
      ? `${encodingName(encoding)} (chosen)`
      : `${encodingName(encoding)} (detected: ${detected.reason})`,
    encodingDetected: !options.encoding,
    delimiter: dialect.delimiter,
    headerLine: dialect.headerLine,
    headerDetected: dialect.headerDetected,
    columns: names.filter((name) => !emptyUnnamed.includes(name)),
    emptyUnnamed,
    rows: rows.map((row) => row.filter((_, index) => !emptyUnnamed.includes(names[index]))),
    candidates: usable.slice(0, CANDIDATES).map((record) => ({
      line: record.line,
      text: record.fields.join(dialect.delimiter === "\t" ? " ⇥ " : dialect.delimiter).slice(0, 80),
    })),
  };
}
