/**
 * Receives an upload (multipart field `file`, or a raw CSV body) into a temp file. Spooling first keeps
 * memory constant for any file size and, above all, keeps the slow part (the client's upload) outside
 * the import transaction: PGlite runs one query at a time, so a transaction held open for a slow upload
 * would stall the worker and every reviewer.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import process from "node:process";
import busboy from "busboy";
import { localProcessIsGone, processNonce } from "../runtime/process_identity.ts";
import { ImportError } from "./import_error.ts";

/** A received upload: the spooled file, its original name and the form fields sent with it. */
export interface SpooledUpload {
  path: string;
  fileName: string | undefined;
  bytes: number;
  fields: Record<string, string>;
  /** Deletes the temp file. */
  dispose(): void;
}

const CSV_TYPES = new Set([
  "text/csv",
  "application/csv",
  "text/plain",
  "text/tab-separated-values",
  "application/vnd.ms-excel", // what Windows browsers call a .csv file
  "application/octet-stream",
  // An Excel workbook, read by xlsx_sheet.ts.
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]);

function tooLarge(limit: number, fileName?: string): ImportError {
  return new ImportError(
    "too_large",
    `Cannot import file: it is larger than the limit of ${limit} bytes`,
    undefined,
    fileName,
  );
}

/**
 * Where uploads are spooled: one known folder, so that the spools of a process killed mid-upload can be
 * found and removed ({@link removeDeadSpools}). Each file names its owner (pid and process nonce), so
 * several processes on one host share the folder without touching each other's live files.
 */
export const SPOOL_DIR = path.join(os.tmpdir(), "csv-sorter-uploads");

const SPOOL_NAME = /^upload-(\d+)-([a-z0-9]+)-[0-9a-f-]+\.csv$/;

function tempPath(): string {
  fs.mkdirSync(SPOOL_DIR, { recursive: true });
  return path.join(SPOOL_DIR, `upload-${process.pid}-${processNonce()}-${crypto.randomUUID()}.csv`);
}

/**
 * Removes the spool files of processes that ended (killed before they could delete them); returns how
 * many. A file whose owner still runs, or that does not look like a spool, is left alone.
 */
export function removeDeadSpools(dir = SPOOL_DIR): number {
  let removed = 0;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    const match = SPOOL_NAME.exec(name);
    if (!match || !localProcessIsGone(Number(match[1]), match[2])) continue;
    fs.rmSync(path.join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

/** Counts bytes and fails the stream once `limit` is passed. */
function byteLimit(limit: number, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counter.bytes += chunk.length;
      if (counter.bytes > limit) callback(tooLarge(limit));
      else callback(null, chunk);
    },
  });
}

/** Spools the request body; throws {@link ImportError} for a wrong type or a body over `maxBytes`. */
export async function spoolUpload(request: Request, maxBytes: number): Promise<SpooledUpload> {
  const contentType = request.headers.get("content-type") ?? "";
  const mediaType = contentType.split(";")[0].trim().toLowerCase();
  const declared = Number(request.headers.get("content-length") ?? NaN);
  // Multipart framing adds a little; refuse early only what cannot fit.
  if (Number.isFinite(declared) && declared > maxBytes + 64 * 1024) throw tooLarge(maxBytes);
  if (!request.body) throw new ImportError("invalid", "Cannot import file: the request has no body");
  const target = tempPath();
  const dispose = () => fs.rmSync(target, { force: true });
  try {
    if (mediaType === "multipart/form-data") {
      return { ...(await spoolMultipart(request, contentType, target, maxBytes)), path: target, dispose };
    }
    if (!CSV_TYPES.has(mediaType)) {
      throw new ImportError(
        "unsupported",
        `Cannot import a body of type "${
          mediaType || "none"
        }": send text/csv or an .xlsx workbook, or multipart/form-data ` +
          `with the file in the field "file"`,
      );
    }
    const counter = { bytes: 0 };
    await pipeline(
      Readable.fromWeb(request.body as import("node:stream/web").ReadableStream),
      byteLimit(maxBytes, counter),
      fs.createWriteStream(target),
    ).catch((error) => {
      if (error instanceof ImportError) throw error;
      // The client went away (or the connection broke) mid-body: nothing to import, nothing kept.
      throw new ImportError(
        "malformed",
        `Cannot import file: the upload was interrupted after ${counter.bytes} bytes`,
      );
    });
    return { path: target, fileName: undefined, bytes: counter.bytes, fields: {}, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}

function spoolMultipart(
  request: Request,
  contentType: string,
  target: string,
  maxBytes: number,
): Promise<Omit<SpooledUpload, "path" | "dispose">> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let fileName: string | undefined;
    let bytes = 0;
    let sawFile = false;
    let fileWritten: Promise<void> = Promise.resolve();
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: { "content-type": contentType },
        limits: { files: 1, fields: 20, fieldSize: 64 * 1024, fileSize: maxBytes, parts: 30 },
      });
    } catch (error) {
      reject(new ImportError("malformed", `Cannot read the form: ${(error as Error).message}`));
      return;
    }
    parser.on("field", (name, value) => {
      fields[name] = value;
    });
    parser.on("file", (name, stream, info) => {
      if (name !== "file" || sawFile) {
        stream.resume();
        return;
      }
      sawFile = true;
      fileName = info.filename;
      let truncated = false;
      stream.on("limit", () => {
        truncated = true;
      });
      stream.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
      });
      fileWritten = pipeline(stream, fs.createWriteStream(target)).then(() => {
        if (truncated) throw tooLarge(maxBytes, fileName);
      });
    });
    parser.on(
      "error",
      (error) => reject(new ImportError("malformed", `Cannot read the form: ${(error as Error).message}`)),
    );
    parser.on("close", () => {
      if (!sawFile) {
        reject(new ImportError("invalid", 'Cannot import: the form has no file in the field "file"'));
        return;
      }
      fileWritten.then(() => resolve({ fileName, bytes, fields }), reject);
    });
    Readable.fromWeb(request.body as import("node:stream/web").ReadableStream)
      .on(
        "error",
        (error) => reject(new ImportError("malformed", `Cannot read the upload: ${error.message}`)),
      )
      .pipe(parser);
  });
}
