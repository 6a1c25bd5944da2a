/**
 * A worksheet's records from its header row on, as the CSV reader gives a file's: the header row chosen
 * (`headerRow`, the sheet's row number) or detected the way a CSV header is (csv_dialect.ts: titles and
 * notes above the table are skipped), and every data row as wide as the header (a sheet leaves empty
 * cells out, where a CSV file writes empty fields). Pure: the server import and the browser preview
 * read a sheet the same way.
 */
import { detectHeaderIndex, HEADER_CANDIDATES } from "./csv_dialect.ts";
import type { CsvRecord } from "./csv_records.ts";
import { ImportError } from "./import_error.ts";
import { type SheetInfo, sheetRecords, type Workbook } from "./xlsx_sheet.ts";

/** Records read before the header is detected: the candidates and the rows that show their width. */
const DETECTION_RECORDS = HEADER_CANDIDATES + 30;

/** A sheet as a table. */
export interface SheetTable {
  /** The sheet row of the header. */
  headerLine: number;
  headerDetected: boolean;
  /** The header record first, then the data rows (each padded to at least the header's width). */
  records: Generator<CsvRecord>;
  /** The records before the header was chosen, for the preview's header candidates. */
  head: CsvRecord[];
}

function padded(record: CsvRecord, width: number): CsvRecord {
  if (record.fields.length >= width) return record;
  const fields = [...record.fields];
  while (fields.length < width) fields.push("");
  return { ...record, fields };
}

/** Reads `sheet` as a table; throws {@link ImportError} "invalid" when `headerRow` is blank or past the end. */
export function sheetTable(
  workbook: Workbook,
  sheet: SheetInfo,
  headerRow: number | undefined,
  progress?: (share: number) => void,
): SheetTable {
  const rows = sheetRecords(workbook, sheet, progress);
  const head: CsvRecord[] = [];
  // next() rather than for…of: leaving a for…of would close the generator the data rows come from.
  for (let next = rows.next(); !next.done; next = rows.next()) {
    head.push(next.value);
    if (head.length >= DETECTION_RECORDS && (headerRow === undefined || next.value.line >= headerRow)) break;
  }
  const fileName = workbook.fileName;
  if (head.length === 0) {
    throw new ImportError("invalid", `Cannot import "${fileName}": sheet "${sheet.name}" is empty`);
  }
  let index: number;
  if (headerRow === undefined) {
    // Compared at one width: a sheet drops the empty cells at the end of a row.
    const width = Math.max(...head.map((record) => record.fields.length));
    index = detectHeaderIndex(head.map((record) => padded(record, width)));
  } else {
    index = head.findIndex((record) => record.line === headerRow);
    if (index === -1) {
      throw new ImportError(
        "invalid",
        `Cannot import "${fileName}": row ${headerRow} of sheet "${sheet.name}" cannot be the header: it is ` +
          `blank or past the end of the sheet`,
      );
    }
  }
  const header = head[index];
  const width = header.fields.length;
  const records = (function* () {
    yield header;
    for (const record of head.slice(index + 1)) yield padded(record, width);
    for (const record of rows) yield padded(record, width);
  })();
  return { headerLine: header.line, headerDetected: headerRow === undefined, records, head };
}
