/**
 * `csv-sorter export`: streams GET /export into a file atomically — into a temporary file beside the
 * target, renamed over it only once the server has sent everything — so a failed, interrupted or timed-out
 * export leaves no partial file, and an earlier export at the same path stays intact until then.
 */
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import type { ExportQuery } from "../contract/schemas.ts";
import { abortReason, describe } from "./client.ts";
import { type CommandContext, printResult, progressFor } from "./context.ts";
import { CliError, EXIT } from "./exit_codes.ts";
import { RecordCounter } from "./record_counter.ts";

/** Options of `export`, validated: the contract's query plus where to write. */
export interface ExportOptions {
  query: ExportQuery;
  /** A path, "-" for stdout, or undefined for the server's file name in the current directory. */
  output?: string;
}

/** What an export wrote. */
export interface ExportResult {
  file: string | null;
  rows: number;
  bytes: number;
  format: ExportQuery["format"];
}

/** The file name the server suggests (Content-Disposition), reduced to a plain name in this directory. */
export function suggestedFileName(disposition: string | null, format: ExportQuery["format"]): string {
  const name = /filename="([^"]+)"/.exec(disposition ?? "")?.[1] ?? "";
  const plain = path.basename(name).replace(/[^\w.-]/g, "_").replace(/^\.+/, "");
  return plain || `csv-sorter-export.${format === "csv" ? "csv" : "jsonl"}`;
}

function writeToStdout(context: CommandContext, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    context.stdout.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/** Runs `export`. */
export async function exportCommand(context: CommandContext, options: ExportOptions): Promise<ExportResult> {
  const { query } = options;
  const response = await context.client.request("/export", {
    query: {
      rows: query.rows,
      format: query.format,
      value_column: query.value_column,
      meta: String(query.meta),
      import_id: query.import_id,
      delimiter: query.delimiter,
      bom: String(query.bom),
    },
    headers: { accept: "*/*" },
  });
  const totalHeader = Number(response.headers.get("x-total-rows"));
  const total = Number.isSafeInteger(totalHeader) && totalHeader >= 0 ? totalHeader : null;
  const toStdout = options.output === "-";
  const target = toStdout ? null : path.resolve(
    options.output ?? suggestedFileName(response.headers.get("content-disposition"), query.format),
  );
  const temp = target === null
    ? null
    : path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.part`);
  // Last resort for an exit that skips the finally below (a second Ctrl-C): the temp file still goes.
  const removeTemp = () => {
    if (temp) fs.rmSync(temp, { force: true });
  };
  process.once("exit", removeTemp);

  const counter = new RecordCounter(query.format);
  const progress = progressFor(context, "export", "rows");
  let bytes = 0;
  let file: fs.promises.FileHandle | undefined;
  let renamed = false;
  try {
    if (temp) {
      try {
        file = await fs.promises.open(temp, "wx", 0o644);
      } catch (error) {
        throw new CliError(EXIT.usage, `Cannot write "${target}": ${(error as Error).message}`);
      }
    }
    const reader = response.body!.getReader();
    while (true) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        if (context.signal.aborted) throw abortReason(context.signal);
        throw new CliError(
          EXIT.unavailable,
          `Cannot export: the server broke off after ${counter.rows} rows (${
            describe(error)
          }); nothing was written`,
        );
      }
      if (next.done) break;
      counter.push(next.value);
      bytes += next.value.length;
      if (file) await file.write(next.value);
      else await writeToStdout(context, next.value);
      progress.update(counter.rows, total);
    }
    if (file && temp && target) {
      // On disk before it takes the name: a crash right after the rename cannot leave an empty file.
      await file.sync();
      await file.close();
      file = undefined;
      await fs.promises.rename(temp, target);
      renamed = true;
    }
  } finally {
    progress.finish();
    await file?.close().catch(() => {});
    if (!renamed) removeTemp();
    process.off("exit", removeTemp);
  }
  const result: ExportResult = { file: target, rows: counter.rows, bytes, format: query.format };
  if (target) printResult(context, `Wrote ${result.rows} rows to ${target}`, result);
  else if (!context.quiet) context.stderr.write(`Exported ${result.rows} rows\n`);
  return result;
}
