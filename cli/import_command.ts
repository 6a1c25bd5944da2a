/**
 * `csv-sorter import <file.csv>`: streams the file as the body of POST /upload-csv (text/csv, options in
 * the query string, as the upload page does), so a file of any size never sits in memory; prints the new
 * import's id, and with --wait follows its embedding.
 */
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { z } from "zod";
import { ImportCreated } from "../contract/schemas.ts";
import { type CommandContext, printResult, progressFor } from "./context.ts";
import { openFile } from "./open_file.ts";
import { checkFailedRows, followImport, importSummary } from "./wait_command.ts";

const SampleCreated = ImportCreated.extend({ sample: z.literal(true) });

/** Options of `import`, validated. */
export interface ImportOptions {
  file: string;
  textColumns?: string[];
  labelColumn?: string;
  /** The seed column of catalogue fields for this file, by field name (null: none for this file). */
  fieldColumns?: Record<string, string | null>;
  appendTo?: number;
  /** The file's encoding (utf-8, utf-16le, utf-16be, windows-1252); the server detects it when absent. */
  encoding?: string;
  /** The file line (1-based) of the header row; the server detects it when absent. */
  headerRow?: number;
  /** An .xlsx file's sheet (name or 1-based number); the first visible one when absent. */
  sheet?: string;
  /** For a file with the same rows as an earlier import: skip, append or import; refused (exit 4) when absent. */
  onDuplicate?: "skip" | "append" | "import";
  wait: boolean;
}

/** Runs `import`. */
export async function importCommand(context: CommandContext, options: ImportOptions): Promise<void> {
  const { size, stream } = openFile(options.file, "import");
  const progress = progressFor(context, "upload", "bytes");
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      progress.update(sent, size);
      callback(null, chunk);
    },
  });
  const body = Readable.toWeb(stream.pipe(counter)) as ReadableStream<Uint8Array>;
  let created: ImportCreated;
  try {
    created = await context.client.json(ImportCreated, "/upload-csv", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      query: {
        file_name: path.basename(options.file),
        text_columns: options.textColumns?.join(","),
        label_column: options.labelColumn,
        // JSON: a column name may hold a comma or a colon.
        field_columns: options.fieldColumns && JSON.stringify(options.fieldColumns),
        append_to: options.appendTo,
        encoding: options.encoding,
        header_row: options.headerRow,
        sheet: options.sheet,
        on_duplicate: options.onDuplicate,
      },
      body,
    });
  } finally {
    progress.finish();
    stream.destroy();
  }
  await reportCreated(context, created, options.wait);
}

/** Prints the new import's id (or JSON) and, with `wait`, follows its embedding. */
async function reportCreated(context: CommandContext, created: ImportCreated, wait: boolean): Promise<void> {
  // The id first, on its own line: a script that reads it can go on even if the wait is cut short.
  if (!context.json) context.stdout.write(`${created.import_id}\n`);
  if (!wait) {
    if (context.json) printResult(context, "", created);
    return;
  }
  const state = await followImport(context, created.import_id);
  if (context.json) printResult(context, "", { ...created, progress: state });
  else if (!context.quiet) context.stderr.write(`${importSummary(state)}\n`);
  checkFailedRows(state);
}

/**
 * `csv-sorter sample`: loads the server's bundled sample catalogue (POST /imports/sample) and prints its
 * import id; with --wait follows its embedding. Exit 4 when a sample import already exists.
 */
export async function sampleCommand(context: CommandContext, options: { wait: boolean }): Promise<void> {
  const created = await context.client.json(SampleCreated, "/imports/sample", { method: "POST" });
  await reportCreated(context, created, options.wait);
}
