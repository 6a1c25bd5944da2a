/** The JSON API: upload, import progress, the review queue and feedback. */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import {
  FeedbackInput,
  FeedbackSaved,
  HealthStatus,
  ImportCreated,
  ImportProgress,
  ReviewPage,
  ReviewQuery,
  SuggestedValue,
  SuggestedValuesQuery,
  UploadOptions,
} from "../../contract/schemas.ts";
import type { ModelRuntime } from "../../gpu-worker/lib/active_model.ts";
import type { Database } from "../../gpu-worker/lib/database.ts";
import { ApiProblem, parseInput } from "../lib/api_error.ts";
import { importCsvFile, recordFailedImport } from "../lib/csv_import.ts";
import { currentUser } from "../lib/current_user.ts";
import { saveFeedback } from "../lib/feedback.ts";
import { ImportError } from "../lib/import_error.ts";
import { readImportProgress } from "../lib/import_progress.ts";
import type { RouteDoc } from "../lib/openapi.ts";
import { readReviewPage } from "../lib/review_queue.ts";
import { readSuggestedValues } from "../lib/suggested_values.ts";
import { type SpooledUpload, spoolUpload } from "../lib/upload_spool.ts";

/** What the API needs from the running app. */
export interface ApiDependencies {
  db: Database;
  modelId: string;
  maxUploadBytes: number;
  /** The model version this process scores with; without one, suggestions use no classifier head. */
  models?: ModelRuntime;
  /** Where model versions are written and read (MODELS_DIR). */
  modelsDir?: string;
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

  api.get("/suggested-values", async (c) => {
    const query = parseInput(SuggestedValuesQuery, c.req.query(), "query");
    return c.json(await readSuggestedValues(deps.db, { modelId: deps.modelId, importId: query.import_id }));
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
    // Signed in (the served app): the account's name, which a client cannot choose. Without the
    // security layer (feature tests): the body's or header's name, as before.
    const reviewer = currentUser()?.name ?? input.reviewer ??
      (c.req.header("x-reviewer")?.trim().slice(0, 100) || "anonymous");
    return c.json(
      await saveFeedback(deps.db, input, { modelId: deps.modelId, reviewer, models: deps.models }),
      201,
    );
  });

  api.get("/health", (c) => c.json({ ok: true, database: deps.db.kind }));

  return api;
}

/** Descriptions of the API routes for the OpenAPI document; a new route here adds its entry here. */
export const apiDocs: RouteDoc[] = [
  {
    method: "post",
    path: "/upload-csv",
    tag: "API",
    summary: "Import a CSV file",
    description: "Body: the CSV itself (text/csv, options in the query string) or a form with the file in " +
      "`file` (options as fields before it). One transaction: a refused file leaves no rows.",
    query: UploadOptions,
    body: { "text/csv": z.string(), "multipart/form-data": UploadOptions.extend({ file: z.file() }) },
    responses: { 201: { description: "Imported", content: { "application/json": ImportCreated } } },
    errors: [413, 415, 422],
  },
  {
    method: "get",
    path: "/imports",
    tag: "API",
    summary: "List imports with their progress",
    responses: {
      200: { description: "Newest first", content: { "application/json": z.array(ImportProgress) } },
    },
  },
  {
    method: "get",
    path: "/imports/:id",
    tag: "API",
    summary: "Progress of one import",
    params: z.object({ id: z.coerce.number().int().positive() }),
    responses: { 200: { description: "The import", content: { "application/json": ImportProgress } } },
    errors: [404],
  },
  {
    method: "get",
    path: "/products-for-review",
    tag: "API",
    summary: "The review queue, least confident first",
    description:
      "Active learning: no suggestion first, then lowest confidence, then smallest margin; no two " +
      "near-duplicates (cosine > 0.95) within a window of 20 rows.",
    query: ReviewQuery,
    responses: { 200: { description: "One page", content: { "application/json": ReviewPage } } },
    errors: [422],
  },
  {
    method: "get",
    path: "/suggested-values",
    tag: "API",
    summary: "Values suggested for rows waiting for review, most frequent first (the review filter)",
    query: SuggestedValuesQuery,
    responses: { 200: { description: "Values", content: { "application/json": z.array(SuggestedValue) } } },
    errors: [422],
  },
  {
    method: "post",
    path: "/submit-feedback",
    tag: "API",
    summary: "Approve or correct a suggestion",
    description: "The reviewer is the signed-in account (session or API token); `reviewer` in the body " +
      "and the X-Reviewer header are only used by an app without the security layer.",
    body: { "application/json": FeedbackInput },
    responses: { 201: { description: "Stored", content: { "application/json": FeedbackSaved } } },
    errors: [400, 404, 413, 415, 422],
  },
  {
    method: "get",
    path: "/health",
    tag: "API",
    summary: "Liveness and database kind",
    responses: { 200: { description: "Up", content: { "application/json": HealthStatus } } },
  },
];
