/**
 * Imports a spooled CSV file: papaparse in a stream (constant memory), one transaction for the import
 * row, every product, the seed labels and the embedding queue, so a file that fails half way leaves
 * nothing behind. A refused file is recorded as a failed import, with its reason, for the upload history.
 */
import fs from "node:fs";
import { Readable } from "node:stream";
import Papa from "papaparse";
import { type ImportCreated, MAX_VALUE_LENGTH, WORK_CHANNEL } from "../../contract/schemas.ts";
import type { Database, Queryable } from "../../gpu-worker/lib/database.ts";
import { sql } from "../../gpu-worker/lib/sql.ts";
import { ImportError } from "./import_error.ts";
import { chooseTextColumns, type ColumnSample } from "./text_columns.ts";

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
async function* utf8Chunks(path: string, fileName: string): AsyncGenerator<string> {
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
  }
  try {
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch {
    throw new ImportError(422, `Cannot import "${fileName}": it ends inside a UTF-8 character`);
  }
}

/** Yields the CSV records (arrays of fields) of the file, via papaparse's streaming parser. */
async function* csvRecords(path: string, fileName: string): AsyncGenerator<string[]> {
  const head = new Uint8Array(4);
  const fd = fs.openSync(path, "r");
  const read = fs.readSync(fd, head, 0, 4, 0);
  fs.closeSync(fd);
  checkLeadingBytes(head.subarray(0, read), fileName);
  const parser = Papa.parse(Papa.NODE_STREAM_INPUT, { header: false, skipEmptyLines: "greedy" });
  const source = Readable.from(utf8Chunks(path, fileName), { objectMode: false });
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

async function insertRows(tx: Queryable, importId: number, rows: PendingRow[]): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(sql`
    INSERT INTO products (import_id, row_number, data, text, seed_label)
    SELECT ${importId}, item.row_number, item.data::jsonb, item.text, item.label
    FROM unnest(
      ${rows.map((row) => row.rowNumber)}::int[],
      ${rows.map((row) => row.data)}::text[],
      ${rows.map((row) => row.text)}::text[],
      ${rows.map((row) => row.label)}::text[]
    ) AS item(row_number, data, text, label)`);
}

/** Imports the file at `path`; throws {@link ImportError} (and records a failed import) when refused. */
export async function importCsvFile(
  db: Database,
  path: string,
  options: ImportOptions,
): Promise<ImportCreated> {
  try {
    const created = await db.transaction((tx) => importInTransaction(tx, path, options));
    await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, ${`import:${created.import_id}`})`);
    return created;
  } catch (error) {
    if (error instanceof ImportError) await recordFailedImport(db, options.fileName, error.message);
    throw error;
  }
}

/** Records a refused upload as a failed import, with its reason, for the upload history. */
export async function recordFailedImport(db: Queryable, fileName: string, message: string): Promise<void> {
  await db.query(sql`
    INSERT INTO imports (file_name, status, error) VALUES (${fileName}, 'failed', ${message})`);
}

async function importInTransaction(
  tx: Queryable,
  path: string,
  options: ImportOptions,
): Promise<ImportCreated> {
  const { fileName } = options;
  const [created] = await tx.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES (${fileName}, 'imported') RETURNING id`);
  let header: string[] | undefined;
  let textColumns: string[] | undefined = options.textColumns;
  const sample: string[][] = [];
  let pending: PendingRow[] = [];
  const problems: string[] = [];
  let rowCount = 0;
  let labelledCount = 0;

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
      await insertRows(tx, created.id, pending);
      pending = [];
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

  for await (const record of csvRecords(path, fileName)) {
    if (!header) {
      header = headerFrom(record, fileName);
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

  await tx.query(sql`
    INSERT INTO product_labels (product_id, value, source)
    SELECT id, seed_label, 'seed' FROM products WHERE import_id = ${created.id} AND seed_label IS NOT NULL`);
  await tx.query(sql`
    INSERT INTO embedding_queue (model_id, product_id)
    SELECT ${options.modelId}, id FROM products WHERE import_id = ${created.id}`);
  await tx.query(sql`
    UPDATE imports
    SET columns = ${JSON.stringify(header)}::text::jsonb,
        text_columns = ${JSON.stringify(textColumns)}::text::jsonb,
        label_column = ${options.labelColumn ?? null},
        row_count = ${rowCount},
        labelled_count = ${labelledCount},
        updated_at = now()
    WHERE id = ${created.id}`);
  return {
    import_id: created.id,
    file_name: fileName,
    row_count: rowCount,
    labelled_count: labelledCount,
    columns: header,
    text_columns: textColumns!,
    label_column: options.labelColumn ?? null,
  };
}
