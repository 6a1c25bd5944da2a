/**
 * How a CSV file is written, read from its first characters: the delimiter (Excel's `sep=` line, else
 * the candidate that splits the lines most consistently) and the header row (the first line that looks
 * like column names above rows of the same width: titles and blank lines above it are skipped). Pure:
 * the server import and the browser preview decide the same way.
 */
import { type CsvRecord, CsvRecordReader } from "./csv_records.ts";

/** Delimiters tried, in order of preference on a tie. */
export const DELIMITERS = [",", ";", "\t", "|"] as const;

/** How many non-blank records at the start are header candidates. */
export const HEADER_CANDIDATES = 20;
/** How many records below a candidate set the width it must have. */
const WIDTH_SAMPLE = 30;

/** The dialect of a file. */
export interface CsvDialect {
  delimiter: string;
  /** The file line of Excel's `sep=` line, which is not a record; null when the file has none. */
  sepLine: number | null;
  /** The file line (1-based) of the header row. */
  headerLine: number;
  /** Whether the header line was detected (true) or chosen by the caller (false). */
  headerDetected: boolean;
}

/** Excel's dialect line: `sep=;` alone on the first line. */
const SEP_LINE = /^sep=(.)[ \t]*(?:\r\n|\r|\n|$)/;

/** The delimiter named by an Excel `sep=` first line, with that line's length; null when none. */
export function sepLineOf(text: string): { delimiter: string; length: number } | null {
  const match = SEP_LINE.exec(text);
  return match ? { delimiter: match[1], length: match[0].length } : null;
}

/** Reads the records of `text` (the start of a file) with `delimiter`, at most `limit`. */
export function sampleRecords(text: string, delimiter: string, limit = 200, firstLine = 1): CsvRecord[] {
  const reader = new CsvRecordReader(delimiter, 100_000);
  // Line numbers continue from `firstLine`: records of a sample past a skipped line keep file lines.
  for (let line = 1; line < firstLine; line++) reader.push("\n");
  const records = reader.push(text);
  // The last record of a sample may be cut; keep it only when the sample is the whole text.
  return records.slice(0, limit);
}

function mode(values: number[]): number {
  const counts = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (const value of values) {
    const count = (counts.get(value) ?? 0) + 1;
    counts.set(value, count);
    if (count > bestCount) [best, bestCount] = [value, count];
  }
  return best;
}

/** The delimiter under which most of the sample's records have the same number (> 1) of fields. */
export function guessDelimiter(text: string): string {
  let best: string = DELIMITERS[0];
  let bestScore = 0;
  for (const delimiter of DELIMITERS) {
    const widths = sampleRecords(text, delimiter, 50).map((record) => record.fields.length);
    const width = mode(widths);
    if (width < 2) continue;
    const score = widths.filter((value) => value === width).length;
    if (score > bestScore) [best, bestScore] = [delimiter, score];
  }
  return best;
}

const NUMBER = /^[-+]?[\d\s.,']*\d[\d\s.,']*%?$/;

/**
 * Index in `records` of the likely header: the first of the first {@link HEADER_CANDIDATES} whose width
 * is the modal width of the records below it and whose cells are mostly filled and mostly not numbers.
 * Excel pads rows with empty cells, so a header may end in empty names; a title line above the header
 * has one filled cell. 0 when none fits (the first record is the header, as in most files).
 */
export function detectHeaderIndex(records: CsvRecord[]): number {
  for (let index = 0; index < Math.min(HEADER_CANDIDATES, records.length - 1); index++) {
    const fields = records[index].fields.map((field) => field.trim());
    const below = records.slice(index + 1, index + 1 + WIDTH_SAMPLE).map((record) => record.fields.length);
    if (fields.length !== mode(below)) continue;
    const filled = fields.filter((field) => field !== "");
    if (filled.length * 2 < fields.length || filled.length === 0) continue;
    if (fields.length > 1 && filled.length < 2) continue;
    // Headers may hold a year ("2024"); a data row is mostly numbers (sku, price, stock).
    if (filled.filter((field) => NUMBER.test(field)).length * 2 >= filled.length) continue;
    return index;
  }
  return 0;
}

/**
 * Names for the columns of a header row: unnamed ones (Excel pads rows with empty cells) are called
 * `column_<n>` (n 1-based), suffixed `_2`, `_3`... when the header already uses that name.
 */
export function columnNames(fields: string[]): { names: string[]; unnamed: number[] } {
  const trimmed = fields.map((name) => name.trim());
  const seen = new Set(trimmed.filter((name) => name !== ""));
  const unnamed: number[] = [];
  const names = trimmed.map((name, index) => {
    if (name !== "") return name;
    unnamed.push(index);
    let generated = `column_${index + 1}`;
    for (let suffix = 2; seen.has(generated); suffix++) generated = `column_${index + 1}_${suffix}`;
    seen.add(generated);
    return generated;
  });
  return { names, unnamed };
}

/**
 * Reads the dialect from the start of a file.
 *
 * @param text the decoded start of the file (byte order mark removed), e.g. its first 64 KiB
 * @param options `delimiter` and `headerLine` (a 1-based file line) given by the user win over detection
 */
export function readDialect(
  text: string,
  options: { delimiter?: string; headerLine?: number } = {},
): CsvDialect {
  const sep = sepLineOf(text);
  const body = sep ? text.slice(sep.length) : text;
  const firstLine = sep ? 2 : 1;
  const delimiter = options.delimiter ?? sep?.delimiter ?? guessDelimiter(body);
  if (options.headerLine !== undefined) {
    return { delimiter, sepLine: sep ? 1 : null, headerLine: options.headerLine, headerDetected: false };
  }
  const records = sampleRecords(body, delimiter, 200, firstLine);
  const index = detectHeaderIndex(records);
  return {
    delimiter,
    sepLine: sep ? 1 : null,
    headerLine: records[index]?.line ?? firstLine,
    headerDetected: true,
  };
}
