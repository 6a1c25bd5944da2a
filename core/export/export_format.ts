/**
 * Writing export lines: CSV (RFC 4180, CRLF, formula cells neutralised) and JSON Lines (plain data).
 * Both are built by string concatenation per line; a page of lines is encoded once by the caller.
 */

/** A cell of an export: text, a number (the confidence), or nothing. */
export type ExportCell = string | number | null;

/** Media types and file extensions of the export formats. */
export const EXPORT_FORMATS = {
  csv: { contentType: "text/csv; charset=utf-8", extension: "csv" },
  jsonl: { contentType: "application/jsonl; charset=utf-8", extension: "jsonl" },
} as const;

// A spreadsheet evaluates a cell that starts with one of these as a formula (CSV injection, OWASP).
const FORMULA_START = /^[=+\-@\t\r]/;
// A signed plain number ("-5", "+1.25") evaluates to itself, so it is left alone: negative prices and
// deltas must reach the next system as numbers, not as text with a quote in front.
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/;
const NEEDS_QUOTES = /["\r\n]|^\s|\s$/;

/** The field delimiters an export may use: a comma, or what Excel expects in locales with a decimal comma. */
export const EXPORT_DELIMITERS = { comma: ",", semicolon: ";", tab: "\t" } as const;
/** A delimiter's name in the API. */
export type ExportDelimiter = keyof typeof EXPORT_DELIMITERS;
/** The byte order mark that makes Excel read a CSV file as UTF-8 rather than the system's code page. */
export const UTF8_BOM = "\uFEFF";

/** Prefixes a cell a spreadsheet would run as a formula with a single quote, so it shows as text. */
export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) && !PLAIN_NUMBER.test(text) ? `'${text}` : text;
}

/**
 * One CSV field: neutralised, then quoted when it holds a quote, the delimiter (`,` by default), a line
 * break or an edge space.
 */
export function csvField(cell: ExportCell, delimiter = ","): string {
  if (cell === null) return "";
  if (typeof cell === "number") return String(cell);
  const text = neutraliseCell(cell);
  return NEEDS_QUOTES.test(text) || text.includes(delimiter) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF terminator, fields separated by `delimiter` (`,` by default). */
export function csvLine(cells: ExportCell[], delimiter = ","): string {
  let line = "";
  for (let i = 0; i < cells.length; i++) line += (i === 0 ? "" : delimiter) + csvField(cells[i], delimiter);
  return line + "\r\n";
}

/**
 * One JSON Lines record. Written key by key so the keys keep the export's column order (a plain object
 * would move integer-like column names such as "2024" to the front). Values are data, never neutralised.
 */
export function jsonLine(keys: string[], cells: ExportCell[]): string {
  let line = "{";
  for (let i = 0; i < keys.length; i++) {
    line += (i === 0 ? "" : ",") + JSON.stringify(keys[i]) + ":" + JSON.stringify(cells[i]);
  }
  return line + "}\n";
}

/** A file name safe in a Content-Disposition header: ASCII letters, digits, dot, dash, underscore. */
export function safeFileName(name: string, fallback = "export"): string {
  const ascii = name.normalize("NFKD").replace(/[\u0300-\u036f]/g, "");
  const safe = ascii.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._-]+|[._-]+$/g, "").slice(0, 100);
  return safe || fallback;
}
