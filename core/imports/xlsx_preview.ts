/**
 * What the upload form shows of an .xlsx file before it is sent: the sheet read the way the server
 * import reads it (xlsx_sheet.ts, xlsx_table.ts: same sheet choice, header detection, cell text and
 * names for unnamed columns), in the shape of the CSV preview (csv_preview.ts) plus the workbook's sheets
 * to choose from. Pure: runs in the browser and in tests. A workbook is a zip, whose directory is at its
 * end: the whole file is read, under the same limits as on the server.
 */
import { columnNames } from "./csv_dialect.ts";
import type { CsvPreview } from "./csv_preview.ts";
import { chooseSheet, openWorkbook, type WorkbookLimits } from "./xlsx_sheet.ts";
import { sheetTable } from "./xlsx_table.ts";

/** The preview of a workbook's sheet. */
export interface XlsxPreview extends Omit<CsvPreview, "encoding"> {
  encoding: "xlsx";
  /** The visible sheets' names, in the workbook's order, and the one shown. */
  sheets: string[];
  sheet: string;
}

const PREVIEW_ROWS = 5;
const CANDIDATES = 20;

/** True when `head` (the first bytes of a file) starts a zip archive, as an .xlsx workbook does. */
export function looksLikeXlsx(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/**
 * Reads the start of sheet `options.sheet` (else the first visible one) of the workbook `bytes`.
 * Throws ImportError (import_error.ts) as the server would refuse the file.
 */
export function previewXlsx(
  bytes: Uint8Array,
  fileName: string,
  limits: WorkbookLimits,
  options: { sheet?: string; headerLine?: number } = {},
): XlsxPreview {
  const workbook = openWorkbook(bytes, fileName, limits);
  const sheet = chooseSheet(workbook, options.sheet);
  const table = sheetTable(workbook, sheet, options.headerLine);
  const records = table.records;
  const header = records.next().value!.fields;
  const { names, unnamed } = columnNames(header);
  const rows: string[][] = [];
  for (let next = records.next(); !next.done && rows.length < PREVIEW_ROWS; next = records.next()) {
    rows.push(names.map((_, index) => next.value.fields[index] ?? ""));
  }
  const emptyUnnamed = unnamed
    .filter((index) => rows.every((row) => row[index].trim() === ""))
    .map((index) => names[index]);
  return {
    encoding: "xlsx",
    encodingText: "Excel workbook (.xlsx)",
    encodingDetected: true,
    delimiter: "",
    headerLine: table.headerLine,
    headerDetected: table.headerDetected,
    columns: names.filter((name) => !emptyUnnamed.includes(name)),
    emptyUnnamed,
    rows: rows.map((row) => row.filter((_, index) => !emptyUnnamed.includes(names[index]))),
    candidates: table.head.slice(0, CANDIDATES).map((record) => ({
      line: record.line,
      text: record.fields.join(" | ").slice(0, 80),
    })),
    sheets: workbook.sheets.filter((candidate) => !candidate.hidden || candidate === sheet).map((s) =>
      s.name
    ),
    sheet: sheet.name,
  };
}
