/**
 * Reads one worksheet of an .xlsx workbook as records, the shape the CSV reader gives (csv_records.ts),
 * so an Excel file goes through the same header detection, column choice, validation, limits and
 * progress as a CSV file. A record's `line` is the sheet's row number, the one Excel shows. Cells are
 * read as the person sees them (xlsx_cells.ts). Pure: the server import and the browser preview read a
 * workbook the same way.
 *
 * Limits, besides the archive's (xlsx_archive.ts): `maxCells` cells read (a sheet can declare millions of
 * empty styled cells); a cell address past Excel's own grid (column XFD, row 1,048,576) is a damaged file.
 */
import { ImportError } from "./import_error.ts";
import type { CsvRecord } from "./csv_records.ts";
import { type ArchiveLimits, unpackWorkbook } from "./xlsx_archive.ts";
import { type CellContext, cellText, type NumberView, numberView } from "./xlsx_cells.ts";
import {
  attributes,
  decodeExcelEscapes,
  decodeXml,
  elements,
  firstElement,
  stringItemText,
} from "./xlsx_xml.ts";

/** Limits of one workbook: the archive's and the cells of the sheet read. */
export interface WorkbookLimits extends ArchiveLimits {
  maxCells: number;
}

/**
 * The limits the server import and the preview apply by default (csv_import.ts IMPORT_LIMITS): a zip
 * bomb stops at 200 MiB unpacked however small the upload; 5,000,000 cells is 100,000 rows of 50 columns.
 */
export const WORKBOOK_LIMITS: WorkbookLimits = {
  maxUnpackedBytes: 200 * 1024 * 1024,
  maxEntries: 10_000,
  maxCells: 5_000_000,
};

/** Excel's grid (ECMA-376 Part 1, §18.3.1.73 row, §18.3.1.4 c). */
const MAX_COLUMNS = 16_384;
const MAX_ROWS = 1_048_576;

/** A sheet of the workbook, in the workbook's order. */
export interface SheetInfo {
  name: string;
  /** 1-based position in the workbook. */
  number: number;
  hidden: boolean;
  part: string;
}

/** A workbook unpacked and its shared parts read. */
export interface Workbook {
  fileName: string;
  sheets: SheetInfo[];
  context: CellContext;
  parts: Map<string, Uint8Array>;
  limits: WorkbookLimits;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

function partText(workbook: Pick<Workbook, "parts">, name: string): string | undefined {
  const bytes = workbook.parts.get(name);
  return bytes === undefined ? undefined : utf8.decode(bytes);
}

function damaged(fileName: string, why: string): ImportError {
  return new ImportError(
    "invalid",
    `Cannot import "${fileName}": the workbook is damaged: ${why}. Open and save it again in Excel, or ` +
      `save it as CSV (UTF-8)`,
  );
}

/** Unpacks `bytes` (an .xlsx file) and reads its sheet list, shared strings, styles and date system. */
export function openWorkbook(bytes: Uint8Array, fileName: string, limits: WorkbookLimits): Workbook {
  const parts = unpackWorkbook(bytes, fileName, limits);
  const workbookXml = partText({ parts }, "xl/workbook.xml")!;
  if (/<!DOCTYPE|<!\[CDATA\[/i.test(workbookXml)) throw damaged(fileName, "xl/workbook.xml has a DOCTYPE");
  const targets = new Map<string, string>();
  for (const relation of elements(partText({ parts }, "xl/_rels/workbook.xml.rels") ?? "", "Relationship")) {
    const found = attributes(relation.attributes);
    const target = found.get("Target");
    if (found.get("Id") && target) {
      const path = target.startsWith("/") ? target.slice(1) : `xl/${target}`;
      targets.set(found.get("Id")!, path.replace(/\\/g, "/").toLowerCase());
    }
  }
  const sheets: SheetInfo[] = [];
  for (const sheet of elements(workbookXml, "sheet")) {
    const found = attributes(sheet.attributes);
    const part = targets.get(found.get("id") ?? "");
    if (!part) continue;
    const state = found.get("state");
    sheets.push({
      name: found.get("name") ?? `Sheet${sheets.length + 1}`,
      number: sheets.length + 1,
      hidden: state === "hidden" || state === "veryHidden",
      part,
    });
  }
  if (sheets.length === 0) throw damaged(fileName, "it lists no worksheet");
  const properties = attributes(firstElement(workbookXml, "workbookPr")?.attributes ?? "");
  const date1904 = ["1", "true"].includes(properties.get("date1904") ?? "");
  const sharedStrings = [...elements(partText({ parts }, "xl/sharedstrings.xml") ?? "", "si")]
    .map((item) => stringItemText(item.inner ?? ""));
  return {
    fileName,
    sheets,
    context: { sharedStrings, styles: readStyles(partText({ parts }, "xl/styles.xml")), date1904 },
    parts,
    limits,
  };
}

/** The number view of each cell style (cellXfs), by the `s` index cells carry. */
function readStyles(xml: string | undefined): NumberView[] {
  if (!xml) return [];
  const codes = new Map<number, string>();
  for (const format of elements(xml, "numFmt")) {
    const found = attributes(format.attributes);
    codes.set(Number(found.get("numFmtId")), found.get("formatCode") ?? "");
  }
  const cellXfs = firstElement(xml, "cellXfs")?.inner ?? "";
  return [...elements(cellXfs, "xf")].map((xf) => {
    const id = Number(attributes(xf.attributes).get("numFmtId") ?? 0);
    return numberView(id, codes.get(id));
  });
}

/**
 * The sheet chosen: `choice` is a sheet name, or its 1-based number when no sheet has that name;
 * absent, the first visible sheet. Throws {@link ImportError} "invalid" naming the sheets there are.
 */
export function chooseSheet(workbook: Workbook, choice: string | undefined): SheetInfo {
  const { sheets, fileName } = workbook;
  if (choice === undefined || choice === "") return sheets.find((sheet) => !sheet.hidden) ?? sheets[0];
  const named = sheets.find((sheet) => sheet.name === choice) ??
    (/^\d+$/.test(choice) ? sheets.find((sheet) => sheet.number === Number(choice)) : undefined);
  if (!named) {
    throw new ImportError(
      "invalid",
      `Cannot import "${fileName}": it has no sheet "${choice}"; its sheets are ${
        sheets.map((sheet) => `"${sheet.name}"`).join(", ")
      }`,
    );
  }
  return named;
}

/** Column index (0-based) of a cell reference's letters (`B7` → 1), or -1 when past the grid. */
function columnOf(reference: string): number {
  let column = 0;
  for (const char of reference) {
    const code = char.charCodeAt(0) & ~32;
    if (code < 65 || code > 90) break;
    column = column * 26 + code - 64;
    if (column > MAX_COLUMNS) return -1;
  }
  return column - 1;
}

/**
 * The non-blank rows of `sheet` as records: cells as text, trailing empty cells dropped, missing cells
 * empty; `progress` is told the share of the sheet read (0–1) as it goes.
 */
export function* sheetRecords(
  workbook: Workbook,
  sheet: SheetInfo,
  progress?: (share: number) => void,
): Generator<CsvRecord> {
  const { fileName, context, limits } = workbook;
  const xml = partText(workbook, sheet.part);
  if (xml === undefined) throw damaged(fileName, `its sheet "${sheet.name}" (${sheet.part}) is missing`);
  if (/<!DOCTYPE/i.test(xml)) throw damaged(fileName, `its sheet "${sheet.name}" has a DOCTYPE`);
  const data = firstElement(xml, "sheetData");
  let cells = 0;
  let lastRow = 0;
  let step = 0;
  const rows = data?.inner ?? "";
  for (const row of elements(rows, "row")) {
    const rowNumber = Number(attributes(row.attributes).get("r") ?? lastRow + 1);
    if (!Number.isInteger(rowNumber) || rowNumber <= lastRow || rowNumber > MAX_ROWS) {
      throw damaged(fileName, `sheet "${sheet.name}" has a row numbered "${rowNumber}" after row ${lastRow}`);
    }
    lastRow = rowNumber;
    const fields: string[] = [];
    for (const cell of elements(row.inner ?? "", "c")) {
      if (++cells > limits.maxCells) {
        throw new ImportError(
          "too_large",
          `Cannot import "${fileName}": sheet "${sheet.name}" has more than ${limits.maxCells} cells ` +
            `(row ${rowNumber}); split it or save it as CSV (UTF-8)`,
        );
      }
      const found = attributes(cell.attributes);
      const reference = found.get("r");
      const column = reference === undefined ? fields.length : columnOf(reference);
      if (column < fields.length || column < 0) {
        throw damaged(
          fileName,
          `sheet "${sheet.name}" has a cell "${reference}" out of place in row ${rowNumber}`,
        );
      }
      const type = found.get("t");
      const inner = cell.inner ?? "";
      const value = type === "inlineStr"
        ? stringItemText(firstElement(inner, "is")?.inner ?? "")
        : valueText(inner);
      const text = cellText({ type, value }, Number(found.get("s") ?? 0), context);
      if (text === undefined) {
        throw damaged(
          fileName,
          `sheet "${sheet.name}" cell ${reference ?? `in row ${rowNumber}`} holds "${value}"`,
        );
      }
      while (fields.length < column) fields.push("");
      fields.push(text);
    }
    while (fields.length > 0 && fields[fields.length - 1] === "") fields.pop();
    if (progress && ++step % 200 === 0) progress(row.end / rows.length);
    if (fields.length > 0) yield { fields, line: rowNumber };
  }
  progress?.(1);
}

function valueText(inner: string): string | undefined {
  const v = firstElement(inner, "v");
  return v === undefined ? undefined : decodeExcelEscapes(decodeXml(v.inner ?? ""));
}
