/** The JSON API: upload, import progress, the review queue and feedback. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { FeedbackInput, type ImportCreated, ReviewQuery, UploadOptions } from "../../contract/schemas.ts";
import type { Database } from "../../gpu-worker/lib/database.ts";
import { ApiProblem, parseInput } from "../lib/api_error.ts";
import { importCsvFile, recordFailedImport } from "../lib/csv_import.ts";
import { saveFeedback } from "../lib/feedback.ts";
import { ImportError } from "../lib/import_error.ts";
import { readImportProgress } from "../lib/import_progress.ts";
import { readReviewPage } from "../lib/review_queue.ts";
import { type SpooledUpload, spoolUpload } from "../lib/upload_spool.ts";

/** What the API needs from the running app. */
export interface ApiDependencies {
  db: Database;
  modelId: string;
  maxUploadBytes: number;
}

const MAX_JSON_BYTES = 64 * 1024;

async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    throw new ApiProblem(415, `Cannot read a body of type "${type || "none"}": send application/json`);
  }
  const text = await request.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiProblem(400, "Request body is not valid JSON");
  }
}

/** Builds the API routes. */
export function apiRoutes(deps: ApiDependencies): Hono {
  const api = new Hono();

  api.post("/upload-csv", async (c) => {
    let upload: SpooledUpload;
    try {
      upload = await spoolUpload(c.req.raw, deps.maxUploadBytes);
    } catch (error) {
      // Refused before the import began (type, size, form): still part of the upload history.
      if (error instanceof ImportError) {
        const named = new URL(c.req.url).searchParams.get("file_name")?.trim().slice(0, 255);
        await recordFailedImport(deps.db, error.fileName || named || "upload.csv", error.message);
      }
      throw error;
    }
    try {
      const options = parseInput(
        UploadOptions,
        { ...upload.fields, ...Object.fromEntries(new URL(c.req.url).searchParams) },
        "upload options",
      );
      const created: ImportCreated = await importCsvFile(deps.db, upload.path, {
        fileName: options.file_name ?? upload.fileName ?? "upload.csv",
        textColumns: options.text_columns && options.text_columns.length > 0
          ? options.text_columns
          : undefined,
        labelColumn: options.label_column,
        modelId: deps.modelId,
      });
      return c.json(created, 201);
    } finally {
      upload.dispose();
    }
  });

  api.get("/imports", async (c) => {
    return c.json(await readImportProgress(deps.db, { modelId: deps.modelId }));
  });

  api.get("/imports/:id", async (c) => {
    const id = Number(c.req.param("id"));
    if (!Number.isInteger(id) || id <= 0) {
      throw new ApiProblem(404, `No import with id "${c.req.param("id")}"`);
    }
    const [progress] = await readImportProgress(deps.db, { modelId: deps.modelId, importId: id });
    if (!progress) throw new ApiProblem(404, `No import with id ${id}`);
    return c.json(progress);
  });

  api.get("/products-for-review", async (c) => {
    const query = parseInput(ReviewQuery, c.req.query(), "query");
    return c.json(await readReviewPage(deps.db, query, deps.modelId));
  });

  // bodyLimit counts bytes as they arrive, so an oversized body is refused without being buffered.
  const jsonLimit = bodyLimit({
    maxSize: MAX_JSON_BYTES,
    onError: () => {
      throw new ApiProblem(413, `Request body is over ${MAX_JSON_BYTES} bytes`);
    },
  });

  api.post("/submit-feedback", jsonLimit, async (c) => {
    const input = parseInput(FeedbackInput, await readJson(c.req.raw), "feedback");
    const reviewer = input.reviewer ?? (c.req.header("x-reviewer")?.trim().slice(0, 100) || "anonymous");
    return c.json(await saveFeedback(deps.db, input, { modelId: deps.modelId, reviewer }), 201);
  });

  api.get("/health", (c) => c.json({ ok: true, database: deps.db.kind }));

  return api;
}
