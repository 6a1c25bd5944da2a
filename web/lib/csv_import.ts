/**
 * Imports a spooled CSV file: papaparse in a stream (constant memory). Rows are written in committed
 * batches under an import marked 'importing', which nothing else reads, and the import is finished
 * (seed labels, reused decisions, the embedding queue, status 'imported') in one short transaction. A
 * long file therefore never holds the embedded database's single connection: progress polls, cancel and
 * reviewers go on while it is read. A file refused, cancelled or cut off half way has its rows deleted
 * and is recorded as a failed import, with its reason, for the upload history.
 */
import fs from "node:fs";
import { Readable } from "node:stream";
import Papa from "papaparse";
import { type ImportCreated, MAX_VALUE_LENGTH, WORK_CHANNEL } from "../../contract/schemas.ts";
import type { Database, Queryable } from "../../gpu-worker/lib/database.ts";
import { sql } from "../../gpu-worker/lib/sql.ts";
import { yieldEvery } from "../../gpu-worker/lib/yield_to_event_loop.ts";
import { ImportError } from "./import_error.ts";
import { discardImport, recordFailedImport } from "./failed_imports.ts";
import { IMPORT_KEEPALIVE_MS, importWriter, nudgeImportRecovery } from "./import_recovery.ts";
import { checkAppendHeader, inheritColumns, readAppendTarget, reuseDecisions } from "./dataset_append.ts";
import { chooseTextColumns, type ColumnSample } from "./text_columns.ts";
import type { UploadTracker } from "./upload_progress.ts";

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
};

/** What to import and how. */
export interface ImportOptions {
  fileName: string;
  textColumns?: string[];
  labelColumn?: string;
  /** Embedding model whose queue the new products join. */
  modelId: string;
  /** Adds the file to the dataset of this import. */
  appendTo?: number;
  /** Live progress and the cancel switch of the upload. */
  tracker?: UploadTracker;
  /** Aborted when the client goes away: the import stops as if cancelled. */
  signal?: AbortSignal;
}

const GZIP = [0x1f, 0x8b];
const ZIP = [0x50, 0x4b, 0x03, 0x04];
const UTF16_LE = [0xff, 0xfe];
const UTF16_BE = [0xfe, 0xff];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((byte, index) => bytes[index] === byte);
}

/** Refuses compressed, binary and non-UTF-8 files before any parsing. */
function checkLeadingBytes(head: Uint8Array, fileName: string): void {
  if (head.length === 0) throw new ImportError(422, `Cannot import "${fileName}": the file is empty`);
  if (startsWith(head, GZIP)) {
    throw new ImportError(415, `Cannot import "${fileName}": it is gzip-compressed; upload the CSV itself`);
  }
  if (startsWith(head, ZIP)) {
    throw new ImportError(
      415,
      `Cannot import "${fileName}": it is a zip archive or an Excel workbook; save it as CSV (UTF-8)`,
    );
  }
  if (startsWith(head, UTF16_LE) || startsWith(head, UTF16_BE)) {
    throw new ImportError(422, `Cannot import "${fileName}": it is UTF-16 encoded; save it as CSV (UTF-8)`);
  }
}

/** Decodes the file as strict UTF-8 (BOM dropped), refusing NUL bytes, which no text CSV contains. */
async function* utf8Chunks(path: string, fileName: string, read: { bytes: number }): AsyncGenerator<string> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let offset = 0;
  for await (const chunk of fs.createReadStream(path, { highWaterMark: 256 * 1024 })) {
    const bytes = chunk as Uint8Array;
    const nul = bytes.indexOf(0);
    if (nul !== -1) {
      throw new ImportError(
        415,
        `Cannot import "${fileName}": byte ${offset + nul} is a NUL byte; this looks like a binary file`,
      );
    }
    try {
      yield decoder.decode(bytes, { stream: true });
    } catch {
      throw new ImportError(
        422,
        `Cannot import "${fileName}": it is not valid UTF-8 (near byte ${offset}); save it as CSV (UTF-8)`,
      );
    }
    offset += bytes.length;
    read.bytes = offset;
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch {
    throw new ImportError(422, `Cannot import "${fileName}": it ends inside a UTF-8 character`);
  }
}

/** Yields the CSV records (arrays of fields) of the file, via papaparse's streaming parser. */
async function* csvRecords(
  path: string,
  fileName: string,
  read: { bytes: number },
): AsyncGenerator<string[]> {
  const head = new Uint8Array(4);
  const fd = fs.openSync(path, "r");
  const headLength = fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  checkLeadingBytes(head.subarray(0, headLength), fileName);
  const parser = Papa.parse(Papa.NODE_STREAM_INPUT, { header: false, skipEmptyLines: "greedy" });
  const source = Readable.from(utf8Chunks(path, fileName, read), { objectMode: false });
  source.on("error", (error) => parser.destroy(error));
  source.pipe(parser);
  for await (const record of parser as AsyncIterable<string[]>) yield record;
}

function headerFrom(record: string[], fileName: string): string[] {
  const header = record.map((name) => name.trim());
  if (header.length > IMPORT_LIMITS.maxColumns) {
    throw new ImportError(
      422,
      `Cannot import "${fileName}": ${header.length} columns, the limit is ${IMPORT_LIMITS.maxColumns}`,
    );
  }
  if (header.every((name) => name === "")) {
    throw new ImportError(422, `Cannot import "${fileName}": the first row must be a header of column names`);
  }
  const blank = header.findIndex((name) => name === "");
  if (blank !== -1) {
    throw new ImportError(422, `Cannot import "${fileName}": column ${blank + 1} of the header has no name`);
  }
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) {
      throw new ImportError(422, `Cannot import "${fileName}": the header names column "${name}" twice`);
    }
    seen.add(name);
  }
  return header;
}

function checkColumns(header: string[], options: ImportOptions): void {
  const unknown = [...(options.textColumns ?? []), ...(options.labelColumn ? [options.labelColumn] : [])]
    .filter((name) => !header.includes(name));
  if (unknown.length > 0) {
    throw new ImportError(
      422,
      `Cannot import "${options.fileName}": no column named ${unknown.map((n) => `"${n}"`).join(", ")}`,
      [`The header has: ${header.join(", ")}`],
    );
  }
  if (options.labelColumn && options.textColumns?.includes(options.labelColumn)) {
    throw new ImportError(
      422,
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
  return new ImportError(409, `Import of "${fileName}" cancelled: it stalled and was discarded`);
}

async function insertRows(
  db: Queryable,
  importId: number,
  rows: PendingRow[],
  fileName: string,
): Promise<void> {
  if (rows.length === 0) return;
  await db.query(sql`
    INSERT INTO products (import_id, row_number, data, text, seed_label)
    SELECT ${importId}, item.row_number, item.data::jsonb, item.text, item.label
    FROM unnest(
      ${rows.map((row) => row.rowNumber)}::int[],
      ${rows.map((row) => row.data)}::text[],
      ${rows.map((row) => row.text)}::text[],
      ${rows.map((row) => row.label)}::text[]
    ) AS item(row_number, data, text, label)`);
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
    const refusal = error instanceof ImportError ? error : undefined;
    const message = refusal?.message ?? `Cannot import "${fileName}": the server failed while reading it`;
    const cancelled = refusal?.status === 409;
    tracker?.end(cancelled ? "cancelled" : "failed", { importId, error: message });
    if (importId !== undefined) await discardImport(db, importId, message);
    else if (refusal) await recordFailedImport(db, fileName, message);
    throw error;
  } finally {
    clearInterval(keepAlive);
  }
}

function cancelled(options: ImportOptions): ImportError | undefined {
  if (options.tracker?.signal.aborted) {
    return new ImportError(409, `Import of "${options.fileName}" cancelled`);
  }
  if (options.signal?.aborted) {
    return new ImportError(409, `Import of "${options.fileName}" cancelled: the client disconnected`);
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
  let header: string[] | undefined;
  let textColumns: string[] | undefined = options.textColumns;
  const sample: string[][] = [];
  let pending: PendingRow[] = [];
  const problems: string[] = [];
  const read = { bytes: 0 };
  let rowCount = 0;
  let labelledCount = 0;
  // In-process PGlite resolves queries as microtasks: without a macrotask now and then, the server
  // would not read a poll, a cancel or a disconnect until the whole file is in.
  const breathe = yieldEvery(50);

  const toRow = (record: string[], rowNumber: number): PendingRow => {
    const data: Record<string, string> = {};
    header!.forEach((name, index) => (data[name] = record[index]));
    const text = textColumns!.map((name) => data[name].trim()).filter((value) => value !== "").join(" | ");
    let label: string | null = null;
    if (options.labelColumn) {
      label = data[options.labelColumn].trim() || null;
      if (label && label.length > MAX_VALUE_LENGTH) {
        problems.push(
          `row ${rowNumber}: the label is ${label.length} characters, the limit is ${MAX_VALUE_LENGTH}`,
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
    const samples: ColumnSample[] = header!.map((name, index) => ({
      name,
      values: sample.map((record) => record[index] ?? ""),
    }));
    textColumns = chooseTextColumns(samples, options.labelColumn);
    sample.forEach((record, index) => pending.push(toRow(record, index + 1)));
    sample.length = 0;
  };

  for await (const record of csvRecords(path, fileName, read)) {
    if (!header) {
      header = headerFrom(record, fileName);
      options.checkHeader?.(header);
      checkColumns(header, options);
      continue;
    }
    rowCount++;
    if (rowCount > IMPORT_LIMITS.maxRows) {
      throw new ImportError(422, `Cannot import "${fileName}": more than ${IMPORT_LIMITS.maxRows} rows`);
    }
    if (record.length !== header.length) {
      problems.push(`row ${rowCount} has ${record.length} fields, header has ${header.length}`);
    } else if (record.some((field) => field.length > IMPORT_LIMITS.maxFieldChars)) {
      problems.push(
        `row ${rowCount} has a field longer than ${IMPORT_LIMITS.maxFieldChars} characters ` +
          `(an unterminated quote?)`,
      );
    }
    if (problems.length >= IMPORT_LIMITS.maxReportedProblems) break;
    if (problems.length > 0) continue;
    if (!textColumns) {
      sample.push(record);
      if (sample.length >= IMPORT_LIMITS.sampleRows) chooseColumns();
    } else {
      pending.push(toRow(record, rowCount));
    }
    await flush(false);
  }

  if (!header) throw new ImportError(422, `Cannot import "${fileName}": the file has no rows`);
  // A short file's rows wait in the sample until the columns are chosen; only then are their labels
  // checked, so choose before deciding whether the file has problems.
  if (!textColumns && problems.length === 0) chooseColumns();
  if (problems.length > 0) {
    throw new ImportError(
      422,
      `Cannot import "${fileName}": ${problems[0]}` +
        (problems.length > 1 ? ` (and ${problems.length - 1} more: see details)` : ""),
      problems,
    );
  }
  if (rowCount === 0) {
    throw new ImportError(422, `Cannot import "${fileName}": the header has no data rows below it`);
  }
  await flush(true);
  const stop = cancelled(options);
  if (stop) throw stop;
  tracker?.finishing();

  const reusedCount = await db.transaction(async (tx) => {
    await tx.query(sql`
      INSERT INTO product_labels (product_id, value, source)
      SELECT id, seed_label, 'seed' FROM products WHERE import_id = ${importId} AND seed_label IS NOT NULL`);
    const reused = await reuseDecisions(tx, importId, options.datasetId);
    // Queued here, in the transaction that makes them visible: never before the file is fully read.
    await tx.query(sql`
      INSERT INTO embedding_queue (model_id, product_id)
      SELECT ${options.modelId}, id FROM products WHERE import_id = ${importId}
      ON CONFLICT DO NOTHING`);
    const finished = await tx.query(sql`
      UPDATE imports
      SET status = 'imported',
          columns = ${JSON.stringify(header)}::text::jsonb,
          text_columns = ${JSON.stringify(textColumns)}::text::jsonb,
          label_column = ${options.labelColumn ?? null},
          row_count = ${rowCount},
          labelled_count = ${labelledCount},
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
    columns: header,
    text_columns: textColumns!,
    label_column: options.labelColumn ?? null,
    dataset_id: options.datasetId,
    reused_count: reusedCount,
  };
}
