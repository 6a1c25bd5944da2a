/**
 * Imports a spooled CSV file: papaparse in a stream (constant memory). Rows are written in committed
 * batches under an import marked 'importing', which nothing else reads, and the import is finished
 * (seed labels, reused decisions, the embedding queue, status 'imported') in one short transaction. A
 * long file therefore never holds the embedded database's single connection: progress polls, cancel and
 * reviewers go on while it is read. A file refused, cancelled or cut off half way has its rows deleted
 * and is recorded as a failed import, with its reason, for the upload history.
 */
import { textDecoder } from "./text_decoder.ts";
import fs from "node:fs";
import { type ImportCreated, MAX_VALUE_LENGTH, WORK_CHANNEL } from "../../contract/schemas.ts";
import type { Database, Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { yieldEvery } from "../runtime/yield_to_event_loop.ts";
import { ImportError } from "./import_error.ts";
import { discardImport, recordFailedImport } from "./failed_imports.ts";
import { IMPORT_KEEPALIVE_MS, importWriter, nudgeImportRecovery } from "./import_recovery.ts";
import { checkAppendHeader, inheritColumns, readAppendTarget, reuseDecisions } from "./dataset_append.ts";
import { type CsvRecord, CsvRecordReader } from "./csv_records.ts";
import { columnNames, readDialect } from "./csv_dialect.ts";
import {
  bomLength,
  detectEncoding,
  DETECTION_SAMPLE_BYTES,
  encodingName,
  firstInvalidUtf16,
  firstInvalidUtf8,
  type TextEncodingName,
  TextPosition,
} from "./text_encoding.ts";
import { searchKey, textKey } from "../text_key.ts";
import { visibleText } from "./visible_text.ts";
import { chooseSheet, openWorkbook, WORKBOOK_LIMITS } from "./xlsx_sheet.ts";
import { sheetTable } from "./xlsx_table.ts";
import { chooseTextColumns, type ColumnSample } from "./text_columns.ts";
import type { UploadTracker } from "./upload_progress.ts";
import { type FieldColumns, fieldColumnsProblem, seedCatalogueFields } from "../catalogue/catalogue_seed.ts";
import {
  type DuplicateAction,
  DuplicateFileError,
  findEarlierImport,
  forgetImport,
  readImportCreated,
  RowsDigest,
} from "./duplicate_files.ts";

/** Limits that keep one file from exhausting the server. */
export const IMPORT_LIMITS = {
  maxColumns: 1000,
  maxFieldChars: 100_000,
  maxRows: 5_000_000,
  /** Ragged rows listed in one error before giving up. */
  maxReportedProblems: 20,
  insertBatch: 500,
  /** Rows read before the text columns are chosen, when the user named none. */
  sampleRows: 200,
  /**
   * An .xlsx workbook (xlsx_archive.ts, xlsx_sheet.ts): bytes its parts may unpack to (a zip bomb stops
   * here, however small the upload), files it may hold, and cells of the sheet read.
   */
  xlsxUnpackedBytes: WORKBOOK_LIMITS.maxUnpackedBytes,
  xlsxEntries: WORKBOOK_LIMITS.maxEntries,
  xlsxCells: WORKBOOK_LIMITS.maxCells,
};

/** What to import and how. */
export interface ImportOptions {
  fileName: string;
  textColumns?: string[];
  labelColumn?: string;
  /**
   * The seed column of catalogue fields for this file, by field name (null: none); fields left out keep
   * their own. Every name must be a catalogue field and every column one of the file's.
   */
  fieldColumns?: FieldColumns;
  /** Embedding model whose queue the new products join. */
  modelId: string;
  /** Adds the file to the dataset of this import. */
  appendTo?: number;
  /** The file's encoding; detected when not given (text_encoding.ts). */
  encoding?: TextEncodingName;
  /** The file line (1-based) of the header row; detected when not given (csv_dialect.ts). */
  headerRow?: number;
  /** Live progress and the cancel switch of the upload. */
  tracker?: UploadTracker;
  /** Aborted when the client goes away: the import stops as if cancelled. */
  signal?: AbortSignal;
  /** For a file with the same rows as an earlier import (duplicate_files.ts); absent: refused. */
  onDuplicate?: DuplicateAction;
  /** An .xlsx file's sheet: its name or 1-based number; absent, the first visible sheet. */
  sheet?: string;
}

const GZIP = [0x1f, 0x8b];
const ZIP = [0x50, 0x4b, 0x03, 0x04];
/** An OLE compound file: a legacy .xls workbook, or an .xlsx saved with a password (encrypted). */
const OLE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((byte, index) => bytes[index] === byte);
}

/** Refuses compressed files before any parsing (binary ones are refused at their first NUL byte). */
function checkLeadingBytes(head: Uint8Array, fileName: string): void {
  if (head.length === 0) throw new ImportError("invalid", `Cannot import "${fileName}": the file is empty`);
  if (startsWith(head, GZIP)) {
    throw new ImportError(
      "unsupported",
      `Cannot import "${fileName}": it is gzip-compressed; upload the CSV itself`,
    );
  }
  if (startsWith(head, OLE)) {
    throw new ImportError(
      "unsupported",
      `Cannot import "${fileName}": it is a legacy Excel 97–2003 workbook (.xls) or a password-protected ` +
        `one; save it as .xlsx without a password, or as CSV (UTF-8)`,
    );
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  const handle = await fs.promises.open(path, "r");
  try {
    const head = new Uint8Array(DETECTION_SAMPLE_BYTES);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The file line and column of byte `offset`, read again from the start of the file (an error path). */
async function placeOf(
  path: string,
  offset: number,
  encoding: TextEncodingName,
  bom: number,
): Promise<{ line: number; column: number }> {
  const position = new TextPosition();
  const decoder = textDecoder(encoding);
  if (offset > bom) {
    for await (const chunk of fs.createReadStream(path, { start: bom, end: offset - 1 })) {
      position.push(decoder.decode(chunk as Uint8Array, { stream: true }));
    }
  }
  return position;
}

/** Offset in `window` of its first byte that is not valid in `encoding`, or -1. */
function firstInvalid(window: Uint8Array, encoding: TextEncodingName, atEnd: boolean): number {
  if (encoding === "utf-8") {
    // The window starts a little before the chunk: skip continuation bytes of a character begun earlier.
    let start = 0;
    while (start < 3 && start < window.length && (window[start] & 0xc0) === 0x80) start++;
    const bad = firstInvalidUtf8(window.subarray(start), !atEnd);
    return bad === -1 ? -1 : start + bad;
  }
  return firstInvalidUtf16(window, encoding === "utf-16le");
}

/**
 * Decodes the file strictly in `encoding` (byte order mark dropped), refusing NUL bytes outside
 * UTF-16; a byte that is not valid in the encoding is refused with its line and column.
 */
async function* decodedChunks(
  path: string,
  fileName: string,
  encoding: TextEncodingName,
  bom: number,
  read: { bytes: number },
): AsyncGenerator<string> {
  const decoder = textDecoder(encoding, { fatal: true, ignoreBOM: true });
  const name = encodingName(encoding);
  let offset = bom;
  let tail = new Uint8Array(0);
  const refuse = async (window: Uint8Array, windowStart: number, atEnd: boolean): Promise<never> => {
    const bad = firstInvalid(window, encoding, atEnd);
    const at = windowStart + (bad === -1 ? 0 : bad);
    const { line, column } = await placeOf(path, at, encoding, bom);
    throw new ImportError(
      "invalid",
      `Cannot import "${fileName}": it is not valid ${name} at line ${line}, column ${column} (byte ${at}); ` +
        `choose its encoding (e.g. windows-1252) or save it as CSV (UTF-8)`,
    );
  };
  const utf16 = encoding.startsWith("utf-16");
  for await (const chunk of fs.createReadStream(path, { start: bom, highWaterMark: 256 * 1024 })) {
    const bytes = chunk as Uint8Array;
    // UTF-16 text is full of NUL bytes; in any other encoding no text CSV holds one.
    const nul = utf16 ? -1 : bytes.indexOf(0);
    if (nul !== -1) {
      const { line, column } = await placeOf(path, offset + nul, encoding, bom);
      throw new ImportError(
        "unsupported",
        `Cannot import "${fileName}": byte ${offset + nul} (line ${line}, column ${column}) is a NUL byte; ` +
          `this looks like a binary file`,
      );
    }
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      const window = new Uint8Array(tail.length + bytes.length);
      window.set(tail);
      window.set(bytes, tail.length);
      return await refuse(window, offset - tail.length, false);
    }
    tail = bytes.slice(Math.max(0, bytes.length - 4));
    offset += bytes.length;
    // Before the records of this chunk are read: progress counts the bytes they came from.
    read.bytes = offset;
    yield text;
  }
  let rest: string;
  try {
    rest = decoder.decode();
  } catch {
    return await refuse(tail, offset - tail.length, true);
  }
  if (rest) yield rest;
}

/** What reading a file found out about it, known once its first records are read. */
interface FileFormat {
  /** A text file's encoding, or "xlsx" for an Excel workbook. */
  encoding: TextEncodingName | "xlsx";
  delimiter: string;
  headerLine: number;
  headerDetected: boolean;
}

/** Bytes of the start of the file the delimiter and header row are detected from. */
const DIALECT_SAMPLE_BYTES = 256 * 1024;

/**
 * Yields the CSV records of the file from its header row on (lines above it, such as a title, and
 * Excel's `sep=` line are skipped), each with the file line it starts on.
 */
async function* csvRecords(
  path: string,
  options: ImportOptions,
  read: { bytes: number },
  format: (found: FileFormat) => void,
): AsyncGenerator<CsvRecord> {
  const { fileName } = options;
  const head = await readHead(path);
  if (startsWith(head, ZIP)) return yield* xlsxRecords(path, options, read, format);
  const detected = detectEncoding(head, head.length < DETECTION_SAMPLE_BYTES);
  const encoding = options.encoding ?? detected.encoding;
  checkLeadingBytes(head, fileName);
  const bom = bomLength(head, encoding);
  const sample = textDecoder(encoding, { ignoreBOM: true })
    .decode(head.subarray(bom, bom + DIALECT_SAMPLE_BYTES), { stream: true });
  const dialect = readDialect(sample, { headerLine: options.headerRow });
  if (dialect.sepLine !== null && dialect.headerLine <= dialect.sepLine) {
    throw new ImportError(
      "invalid",
      `Cannot import "${fileName}": line ${dialect.headerLine} is Excel's "sep=" line, not a header`,
    );
  }
  format({ encoding, ...dialect });
  const reader = new CsvRecordReader(dialect.delimiter, IMPORT_LIMITS.maxFieldChars);
  let seenHeader = false;
  const fromHeader = function* (records: CsvRecord[]): Generator<CsvRecord> {
    for (const record of records) {
      if (!seenHeader) {
        if (record.line < dialect.headerLine) continue;
        if (record.line > dialect.headerLine) {
          throw new ImportError(
            "invalid",
            `Cannot import "${fileName}": line ${dialect.headerLine} cannot be the header: it is blank ` +
              `or inside a quoted value`,
          );
        }
        seenHeader = true;
      }
      yield record;
    }
  };
  for await (const text of decodedChunks(path, fileName, encoding, bom, read)) {
    yield* fromHeader(reader.push(text));
  }
  if (reader.inQuotes) {
    throw new ImportError(
      "invalid",
      `Cannot import "${fileName}": the record on line ${reader.recordLine} opens a quoted value that is ` +
        `never closed`,
    );
  }
  yield* fromHeader(reader.end());
  if (!seenHeader && dialect.headerLine > 1) {
    throw new ImportError(
      "invalid",
      `Cannot import "${fileName}": no header on line ${dialect.headerLine}: the file has ${
        reader.line - 1
      } lines`,
    );
  }
}

/**
 * Yields the records of an .xlsx file's sheet (options.sheet, else the first visible one) from its header
 * row on, each with its sheet row number as its line. The workbook is read whole: the upload limit bounds
 * the file, IMPORT_LIMITS.xlsx* what it unpacks to and the cells read.
 */
async function* xlsxRecords(
  path: string,
  options: ImportOptions,
  read: { bytes: number },
  format: (found: FileFormat) => void,
): AsyncGenerator<CsvRecord> {
  const bytes = new Uint8Array(await fs.promises.readFile(path));
  const workbook = openWorkbook(bytes, options.fileName, {
    maxUnpackedBytes: IMPORT_LIMITS.xlsxUnpackedBytes,
    maxEntries: IMPORT_LIMITS.xlsxEntries,
    maxCells: IMPORT_LIMITS.xlsxCells,
  });
  const sheet = chooseSheet(workbook, options.sheet);
  // Progress counts the file's bytes in proportion to the sheet read.
  const table = sheetTable(workbook, sheet, options.headerRow, (share) => {
    read.bytes = Math.round(share * bytes.length);
  });
  format({
    encoding: "xlsx",
    delimiter: "",
    headerLine: table.headerLine,
    headerDetected: table.headerDetected,
  });
  yield* table.records;
}

/** The header: column names, unnamed ones (Excel's padding) given a generated name. */
interface Header {
  names: string[];
  /** Indexes of the columns the header leaves unnamed. */
  unnamed: number[];
  line: number;
}

function headerFrom(record: CsvRecord, fileName: string): Header {
  const fields = record.fields.map((name) => name.trim());
  const where = `the header (line ${record.line})`;
  if (fields.length > IMPORT_LIMITS.maxColumns) {
    throw new ImportError(
      "invalid",
      `Cannot import "${fileName}": ${where} has ${fields.length} columns, the limit is ${IMPORT_LIMITS.maxColumns}`,
    );
  }
  const seen = new Set<string>();
  for (const name of fields) {
    if (name === "") continue;
    if (seen.has(name)) {
      throw new ImportError("invalid", `Cannot import "${fileName}": ${where} names column "${name}" twice`);
    }
    seen.add(name);
  }
  const { names, unnamed } = columnNames(fields);
  return { names, unnamed, line: record.line };
}

function checkColumns(header: string[], options: ImportOptions, line: number): void {
  const seedColumns = Object.values(options.fieldColumns ?? {}).filter((name): name is string =>
    name !== null
  );
  const unknown = [
    ...new Set([
      ...(options.textColumns ?? []),
      ...(options.labelColumn ? [options.labelColumn] : []),
      ...seedColumns,
    ]),
  ].filter((name) => !header.includes(name));
  if (unknown.length > 0) {
    throw new ImportError(
      "invalid",
      `Cannot import "${options.fileName}": no column named ${unknown.map((n) => `"${n}"`).join(", ")}`,
      [`The header (line ${line}) has: ${header.join(", ")}`],
    );
  }
  if (options.labelColumn && options.textColumns?.includes(options.labelColumn)) {
    throw new ImportError(
      "invalid",
      `Cannot import "${options.fileName}": "${options.labelColumn}" cannot be both a text column and the ` +
        `label column (the suggestion would read its own answer)`,
    );
  }
}

interface PendingRow {
  rowNumber: number;
  data: string;
  text: string;
  label: string | null;
}

function discarded(fileName: string): ImportError {
  return new ImportError("conflict", `Import of "${fileName}" cancelled: it stalled and was discarded`);
}

async function insertRows(
  db: Queryable,
  importId: number,
  rows: PendingRow[],
  fileName: string,
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(sql`
    INSERT INTO products (import_id, row_number, data, text, seed_label, text_key, search_key)
    SELECT ${importId}, item.row_number, item.data::jsonb, item.text, item.label, item.text_key,
           item.search_key
    FROM unnest(
      ${rows.map((row) => row.rowNumber)}::int[],
      ${rows.map((row) => row.data)}::text[],
      ${rows.map((row) => row.text)}::text[],
      ${rows.map((row) => row.label)}::text[],
      ${rows.map((row) => textKey(row.text))}::text[],
      ${rows.map((row) => searchKey(row.text))}::text[]
    ) AS item(row_number, data, text, label, text_key, search_key)`);
  // The batch's mark of life: an 'importing' import that stops getting them was left by a dead process
  // (import_recovery.ts). One that was declared dead meanwhile stops here; its rows are purged.
  const alive = await db.query(
    sql`UPDATE imports SET row_count = row_count + ${rows.length}, updated_at = now()
    WHERE id = ${importId} AND status = 'importing'
    RETURNING 1`,
  );
  if (alive.length === 0) throw discarded(fileName);
}

/** Imports the file at `path`; throws {@link ImportError} (and records a failed import) when refused. */
export async function importCsvFile(
  db: Database,
  path: string,
  options: ImportOptions,
): Promise<ImportCreated> {
  const { fileName, tracker } = options;
  let importId: number | undefined;
  let keepAlive: ReturnType<typeof setInterval> | undefined;
  try {
    // Imports whose writer died are cleaned up in the background: this upload never waits for them.
    void nudgeImportRecovery(db);
    // Before anything is written: a refusal here leaves only the failed import saying why.
    const problem = options.fieldColumns ? await fieldColumnsProblem(db, options.fieldColumns) : null;
    if (problem) {
      throw new ImportError("invalid", `Cannot import "${fileName}": ${problem.message}`, problem.details);
    }
    const target = options.appendTo === undefined
      ? undefined
      : await readAppendTarget(db, options.appendTo, fileName);
    const columns = target ? inheritColumns(target, options) : options;
    const datasetId = target?.datasetId ?? null;
    const [created] = await db.query<{ id: number }>(sql`
      INSERT INTO imports (file_name, status, dataset_id, writer)
      VALUES (${fileName}, 'importing', ${datasetId}, ${importWriter()})
      RETURNING id`);
    importId = created.id;
    const id = importId;
    // Between batches too (choosing columns, a busy server), so other processes see the writer alive.
    keepAlive = setInterval(() => {
      db.query(sql`UPDATE imports SET updated_at = now() WHERE id = ${id} AND status = 'importing'`)
        .catch(() => {});
    }, IMPORT_KEEPALIVE_MS);
    if (!target) await db.query(sql`UPDATE imports SET dataset_id = id WHERE id = ${importId}`);
    const result = await importRows(db, path, {
      ...options,
      importId,
      datasetId: target?.datasetId ?? importId,
      textColumns: columns.textColumns,
      labelColumn: columns.labelColumn,
      checkHeader: target ? (header) => checkAppendHeader(target, header, fileName) : undefined,
    });
    const answer = { ...result, appended_to: target?.importId ?? null };
    tracker?.end("done", { importId });
    // Only a wake-up: workers also poll, so a lost notification delays embedding, never the import.
    await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, ${`import:${importId}`})`).catch(() => {});
    return answer;
  } catch (error) {
    if (error instanceof DuplicateFileError && importId !== undefined && options.onDuplicate) {
      clearInterval(keepAlive);
      return await settleDuplicate(db, path, options, importId, error);
    }
    const refusal = error instanceof ImportError || error instanceof DuplicateFileError ? error : undefined;
    const message = refusal?.message ?? `Cannot import "${fileName}": the server failed while reading it`;
    const cancelled = refusal?.kind === "conflict" && !(refusal instanceof DuplicateFileError);
    tracker?.end(cancelled ? "cancelled" : "failed", { importId, error: message });
    if (importId !== undefined) await discardImport(db, importId, message);
    else if (refusal) await recordFailedImport(db, fileName, message);
    throw error;
  } finally {
    clearInterval(keepAlive);
  }
}

/**
 * A file recognised as a duplicate of `found.earlier` after it was read, and the uploader chose what to
 * do: its rows go, then it is either skipped (the answer describes the earlier import) or read again as
 * the next delivery of the earlier import's dataset.
 */
async function settleDuplicate(
  db: Database,
  path: string,
  options: ImportOptions,
  importId: number,
  found: DuplicateFileError,
): Promise<ImportCreated> {
  const earlier = found.earlier.id;
  await forgetImport(db, importId, found.message);
  if (options.onDuplicate === "skip") {
    options.tracker?.end("done", { importId: earlier });
    return { ...await readImportCreated(db, earlier), duplicate_of: earlier, duplicate_action: "skipped" };
  }
  const appended = await importCsvFile(db, path, { ...options, appendTo: earlier, onDuplicate: undefined });
  return { ...appended, duplicate_of: earlier, duplicate_action: "appended" };
}

function cancelled(options: ImportOptions): ImportError | undefined {
  if (options.tracker?.signal.aborted) {
    return new ImportError("conflict", `Import of "${options.fileName}" cancelled`);
  }
  if (options.signal?.aborted) {
    return new ImportError("conflict", `Import of "${options.fileName}" cancelled: the client disconnected`);
  }
  return undefined;
}

interface RowsOptions extends ImportOptions {
  importId: number;
  datasetId: number;
  checkHeader?: (header: string[]) => void;
}

async function importRows(
  db: Database,
  path: string,
  options: RowsOptions,
): Promise<Omit<ImportCreated, "appended_to">> {
  const { fileName, importId, tracker } = options;
  let header: Header | undefined;
  let format: FileFormat | undefined;
  let textColumns: string[] | undefined = options.textColumns;
  const sample: CsvRecord[] = [];
  let pending: PendingRow[] = [];
  const problems: string[] = [];
  const read = { bytes: 0 };
  const digest = new RowsDigest();
  let rowCount = 0;
  let labelledCount = 0;
  // Unnamed columns (Excel pads rows with empty cells) are dropped when empty in every row. Deciding
  // needs the whole file, and rows are written in batches as they are read; so only one flag per
  // unnamed column is kept (constant memory), rows are stored with every column, and the columns left
  // empty are removed from the stored rows by one UPDATE at the end, before the import is visible.
  const filled = new Set<number>();
  // In-process PGlite resolves queries as microtasks: without a macrotask now and then, the server
  // would not read a poll, a cancel or a disconnect until the whole file is in.
  const breathe = yieldEvery(50);

  const toRow = (record: CsvRecord, rowNumber: number): PendingRow => {
    const data: Record<string, string> = {};
    header!.names.forEach((name, index) => (data[name] = record.fields[index]));
    // What is embedded and matched is the visible text of HTML-ish values; `data` keeps them as they came.
    const text = textColumns!.map((name) => visibleText(data[name]).trim()).filter((value) => value !== "")
      .join(" | ");
    let label: string | null = null;
    if (options.labelColumn) {
      label = data[options.labelColumn].trim() || null;
      if (label && label.length > MAX_VALUE_LENGTH) {
        problems.push(
          `line ${record.line}: the label is ${label.length} characters, the limit is ${MAX_VALUE_LENGTH}`,
        );
      }
    }
    if (label) labelledCount++;
    return { rowNumber, data: JSON.stringify(data), text, label };
  };

  const flush = async (force: boolean) => {
    if (problems.length > 0) return;
    if (pending.length >= IMPORT_LIMITS.insertBatch || (force && pending.length > 0)) {
      await insertRows(db, importId, pending, fileName);
      pending = [];
      await breathe();
      const stop = cancelled(options);
      if (stop) throw stop;
      await tracker?.report({ rowsRead: rowCount, bytesRead: read.bytes, importId });
    }
  };

  const chooseColumns = () => {
    const samples: ColumnSample[] = header!.names.map((name, index) => ({
      name,
      values: sample.map((record) => record.fields[index] ?? ""),
    }));
    textColumns = chooseTextColumns(samples, options.labelColumn);
    sample.forEach((record, index) => pending.push(toRow(record, rowCount - sample.length + index + 1)));
    sample.length = 0;
  };

  const records = csvRecords(path, options, read, (found) => (format = found));
  for await (const record of records) {
    if (!header) {
      header = headerFrom(record, fileName);
      digest.add(header.names);
      const named = header.names.filter((_, index) => !header!.unnamed.includes(index));
      options.checkHeader?.(named);
      checkColumns(header.names, options, header.line);
      continue;
    }
    rowCount++;
    if (rowCount > IMPORT_LIMITS.maxRows) {
      throw new ImportError(
        "invalid",
        `Cannot import "${fileName}": more than ${IMPORT_LIMITS.maxRows} rows`,
      );
    }
    const width = header.names.length;
    // Excel leaves a row's trailing padding cells out now and then: missing unnamed cells are empty.
    while (record.fields.length < width && header.unnamed.includes(record.fields.length)) {
      record.fields.push("");
    }
    if (record.fields.length !== width) {
      problems.push(
        `line ${record.line} has ${record.fields.length} fields, the header (line ${header.line}) has ${width}`,
      );
    } else if (record.overlong) {
      problems.push(
        `line ${record.line} has a field longer than ${IMPORT_LIMITS.maxFieldChars} characters ` +
          `(an unterminated quote?)`,
      );
    }
    if (problems.length >= IMPORT_LIMITS.maxReportedProblems) break;
    if (problems.length > 0) continue;
    for (const index of header.unnamed) {
      if (record.fields[index].trim() !== "") filled.add(index);
    }
    digest.add(record.fields);
    if (!textColumns) {
      sample.push(record);
      if (sample.length >= IMPORT_LIMITS.sampleRows) chooseColumns();
    } else {
      pending.push(toRow(record, rowCount));
    }
    await flush(false);
  }
  // Stopped early (too many problems): close the file.
  await records.return(undefined);

  if (!header) throw new ImportError("invalid", `Cannot import "${fileName}": the file has no rows`);
  // A short file's rows wait in the sample until the columns are chosen; only then are their labels
  // checked, so choose before deciding whether the file has problems.
  if (!textColumns && problems.length === 0) chooseColumns();
  if (problems.length > 0) {
    throw new ImportError(
      "invalid",
      `Cannot import "${fileName}": ${problems[0]}` +
        (problems.length > 1 ? ` (and ${problems.length - 1} more: see details)` : ""),
      problems,
    );
  }
  if (rowCount === 0) {
    throw new ImportError(
      "invalid",
      `Cannot import "${fileName}": the header (line ${header.line}) has no data rows below it`,
    );
  }
  await flush(true);
  const stop = cancelled(options);
  if (stop) throw stop;
  const dropped = header.unnamed.filter((index) => !filled.has(index)).map((index) => header!.names[index]);
  if (dropped.length > 0) {
    await db.query(sql`UPDATE products SET data = data - ${dropped}::text[] WHERE import_id = ${importId}`);
  }
  const columns = header.names.filter((name) => !dropped.includes(name));
  // Appending: the header was checked without its unnamed columns; one that kept values is a column the
  // dataset does not have.
  if (dropped.length < header.unnamed.length) options.checkHeader?.(columns);
  textColumns = textColumns!.filter((name) => !dropped.includes(name));
  const rowsSha256 = digest.hex();
  // An explicit append is the uploader's choice already; so is on_duplicate=import.
  const earlier = options.appendTo === undefined
    ? await findEarlierImport(db, rowsSha256, importId)
    : undefined;
  if (earlier && options.onDuplicate !== "import") throw new DuplicateFileError(fileName, earlier);
  tracker?.finishing();
  const { encoding } = format!;

  const reusedCount = await db.transaction(async (tx) => {
    await tx.query(sql`
      INSERT INTO product_labels (product_id, value, source)
      SELECT id, seed_label, 'seed' FROM products WHERE import_id = ${importId} AND seed_label IS NOT NULL`);
    const reused = await reuseDecisions(tx, importId, options.datasetId);
    await seedCatalogueFields(tx, importId, options.fieldColumns);
    // Queued here, in the transaction that makes them visible: never before the file is fully read.
    await tx.query(sql`
      INSERT INTO embedding_queue (model_id, product_id)
      SELECT ${options.modelId}, id FROM products WHERE import_id = ${importId}
      ON CONFLICT DO NOTHING`);
    const finished = await tx.query(sql`
      UPDATE imports
      SET status = 'imported',
          columns = ${JSON.stringify(columns)}::text::jsonb,
          text_columns = ${JSON.stringify(textColumns)}::text::jsonb,
          label_column = ${options.labelColumn ?? null},
          row_count = ${rowCount},
          labelled_count = ${labelledCount},
          encoding = ${encoding},
          header_line = ${header.line},
          rows_sha256 = ${rowsSha256},
          updated_at = now()
      WHERE id = ${importId} AND status = 'importing'
      RETURNING id`);
    // Discarded as stale meanwhile (this process stalled past the limit): its rows are partly gone.
    if (finished.length === 0) throw discarded(fileName);
    return reused;
  });
  return {
    import_id: importId,
    file_name: fileName,
    row_count: rowCount,
    labelled_count: labelledCount,
    columns,
    text_columns: textColumns,
    label_column: options.labelColumn ?? null,
    dataset_id: options.datasetId,
    reused_count: reusedCount,
    encoding,
    header_line: header.line,
    dropped_columns: dropped,
    ...(earlier ? { duplicate_of: earlier.id, duplicate_action: "imported" as const } : {}),
  };
}
