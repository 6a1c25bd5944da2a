/** The JSON API: upload, import progress, the review queue and feedback. */
import type { ApiDependencies } from "../http/app_dependencies.ts";
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  DecisionPage,
  DecisionsQuery,
  DecisionWithdrawn,
  DeleteImportQuery,
  FeedbackInput,
  FeedbackSaved,
  HealthStatus,
  IdParam,
  ImportCreated,
  ImportDeleted,
  ImportProgress,
  KnownValue,
  ReviewPage,
  ReviewQuery,
  SuggestedValue,
  SuggestedValuesQuery,
  UploadKeyParam,
  UploadOptions,
  UploadProgress,
} from "../../contract/schemas.ts";
import { ApiProblem } from "../http/api_error.ts";
import { parseInput } from "../../core/parse_input.ts";
import { importCsvFile } from "../../core/imports/csv_import.ts";
import { DuplicateFileError } from "../../core/imports/duplicate_files.ts";
import { loadSampleCatalogue } from "../../core/imports/sample_catalogue.ts";
import { recordFailedImport } from "../../core/imports/failed_imports.ts";
import { currentUser, requireUser } from "../http/current_user.ts";
import { saveFeedback } from "../../core/review/feedback.ts";
import { withdrawDecision } from "../../core/review/withdraw_decision.ts";
import { ImportError } from "../../core/imports/import_error.ts";
import { deleteImport } from "../../core/imports/import_delete.ts";
import { readImportProgress } from "../../core/imports/import_progress.ts";
import { declaredRouter, defineRoute, jsonBody } from "../http/define_route.ts";
import { readReviewPage } from "../../core/review/review_queue.ts";
import { claimLeases, releaseLeases } from "../../core/review/review_leases.ts";
import { readSuggestedValues } from "../../core/review/suggested_values.ts";
import { readKnownValues } from "../../core/review/known_values.ts";
import { readDecisions } from "../../core/review/decision_list.ts";
import { wantsHtml } from "../http/content_negotiation.ts";
import { decisionsPage } from "../components/DecisionsPage.tsx";
import { UploadKeyInUse, UploadRegistry, type UploadTracker } from "../../core/imports/upload_progress.ts";
import { type SpooledUpload, spoolUpload } from "../../core/imports/upload_spool.ts";

const uploadCsv = defineRoute({
  method: "post",
  path: "/upload-csv",
  access: "reviewer",
  audit: "upload",
  tag: "API",
  summary: "Import a CSV file or an Excel workbook (.xlsx)",
  description: "Body: the CSV or .xlsx file itself (text/csv or " +
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, options in the query string) or a " +
    "form with the file in " +
    "`file` (options as fields before it). A refused, cancelled or interrupted file leaves no rows, only " +
    "a failed import saying why. `append_to` adds the file to that import's dataset (same column names; " +
    "rows whose text a person or a seed label already decided there get that label, source `reused`). " +
    "`field_columns` chooses catalogue fields' seed columns for this file, as a JSON object " +
    '(`{"product":"canonical_name"}`) or `field:column` pairs separated by commas (an empty ' +
    "column: none for this file; a field left out keeps its own seed column); a name that is no " +
    "catalogue field or a column the file lacks is refused with 422, nothing imported. " +
    "`upload_key` lets the client follow (GET /uploads/:key) and cancel the import. `encoding` " +
    "(utf-8, utf-16le, utf-16be, windows-1252) and `header_row` (the file line of the header) are " +
    "detected when absent; messages name file lines. A file with the same rows (header and cells, " +
    "whatever its encoding, delimiter or line endings) as an earlier import is refused with 409 and " +
    "`duplicate_of` unless `on_duplicate` says what to do: skip (200, the earlier import), append (to its " +
    "dataset) or import (a new dataset anyway). An .xlsx file is read from `sheet` (its name or 1-based " +
    "number; the first visible sheet when absent), cells as Excel shows them (numbers in full, never in " +
    "scientific notation; dates as ISO 8601); `header_row` is then the sheet row. A workbook that unpacks " +
    "to more than 200 MiB or holds more than 5,000,000 cells is refused with 413, nothing imported.",
  // Streamed to disk as it arrives (a form's fields are read on the way): the handler reads it all.
  described: {
    query: UploadOptions,
    body: { "text/csv": z.string(), "multipart/form-data": UploadOptions.extend({ file: z.file() }) },
  },
  responses: {
    200: {
      description: "Skipped: the same rows as an earlier import",
      content: { "application/json": ImportCreated },
    },
    201: { description: "Imported", content: { "application/json": ImportCreated } },
  },
  errors: [404, 409, 413, 415, 422],
});

const loadSample = defineRoute({
  method: "post",
  path: "/imports/sample",
  access: "reviewer",
  audit: "upload",
  tag: "API",
  summary: "Load the bundled sample catalogue",
  description: "1,200 real Amazon products of 12 categories (Walmart-Amazon benchmark, CC BY 4.0), one in " +
    "four with its category as a seed label: an import like an upload, marked `sample` in GET /imports and " +
    "deleted like any import. 409 while a sample import exists.",
  responses: {
    201: {
      description: "Imported",
      content: { "application/json": ImportCreated.extend({ sample: z.literal(true) }) },
    },
  },
  errors: [409],
});

// The uploader follows and cancels their own upload (the registry refuses another account's key).
const readUpload = defineRoute({
  method: "get",
  path: "/uploads/{key}",
  access: "reviewer",
  tag: "API",
  summary: "Live progress of an upload being read: rows, bytes, rate and time left",
  description: "Kept in memory by the web process reading the file (10 minutes after it ends).",
  request: { params: UploadKeyParam },
  names: { param: "upload key" },
  responses: { 200: { description: "Progress", content: { "application/json": UploadProgress } } },
  errors: [404, 422],
});

const cancelUpload = defineRoute({
  method: "post",
  path: "/uploads/{key}/cancel",
  access: "reviewer",
  audit: "upload.cancel",
  tag: "API",
  summary: "Cancel an upload being read",
  description: "The import stops at its next batch, its rows are deleted and the upload answers 409.",
  request: { params: UploadKeyParam },
  names: { param: "upload key" },
  responses: { 202: { description: "Cancelling", content: { "application/json": UploadProgress } } },
  errors: [404, 409, 422],
});

// Reviewers upload, so they may take an upload back while it embeds; deleting rows that people reviewed
// needs confirm=true (the decisions go with them), and every delete is audited.
const removeImport = defineRoute({
  method: "delete",
  path: "/imports/{id}",
  access: "reviewer",
  audit: "import.delete",
  tag: "API",
  summary: "Delete an import with its rows, vectors, suggestions and labels",
  description: "Cancels embedding an import. With reviewed rows, `confirm=true` is required (409 " +
    "otherwise): their decisions are deleted too.",
  request: { params: IdParam, query: DeleteImportQuery },
  names: { param: "import id" },
  responses: { 200: { description: "Deleted", content: { "application/json": ImportDeleted } } },
  errors: [404, 409, 422],
});

const listImports = defineRoute({
  method: "get",
  path: "/imports",
  access: "reviewer",
  tag: "API",
  summary: "List imports with their progress",
  responses: {
    200: { description: "Newest first", content: { "application/json": z.array(ImportProgress) } },
  },
});

const readImport = defineRoute({
  method: "get",
  path: "/imports/{id}",
  access: "reviewer",
  tag: "API",
  summary: "Progress of one import",
  // An id that is not one answers 404 like an unknown one: read by the handler.
  described: { params: IdParam },
  responses: { 200: { description: "The import", content: { "application/json": ImportProgress } } },
  errors: [404],
});

const reviewQueue = defineRoute({
  method: "get",
  path: "/products-for-review",
  access: "reviewer",
  tag: "API",
  summary: "The review queue, least confident first",
  description: "Active learning: no suggestion first, then lowest confidence, then smallest margin; no two " +
    "near-duplicates (cosine > 0.95) within a window of 20 rows. Follow `next_cursor` (as `cursor`) for " +
    "the next page: an index scan from where the last page ended, at any depth (`offset` still works, " +
    "but reads every row before the page). Filters combine: `import_id`, `suggestion`, " +
    "`min_confidence`/`max_confidence`, `q` (every word, as a word or its beginning) and `similar_to` " +
    "(the waiting rows nearest to that product among its 1,000 nearest, nearest first, each with " +
    "`similarity`; 404 unknown product). `total` counts up to 1,000 (`total_capped` above). With " +
    "`lease=true` (the review page), rows served to another reviewer in the last 3 minutes are left out " +
    "and the rows served are reserved for the caller (the signed-in account) for 3 minutes or until decided; a first page (no cursor) ends the caller's earlier " +
    "reservations.",
  request: { query: ReviewQuery },
  responses: { 200: { description: "One page", content: { "application/json": ReviewPage } } },
  errors: [404, 422],
});

const labelValues = defineRoute({
  method: "get",
  path: "/label-values",
  access: "reviewer",
  tag: "API",
  summary: "Values rows are labelled with (people, seed labels) and taxonomy names, most used first",
  description: "What a correction is likely meant to be: the review page offers these as completions and " +
    "marks any other value as new. At most 2,000.",
  responses: { 200: { description: "Values", content: { "application/json": z.array(KnownValue) } } },
});

const decisions = defineRoute({
  method: "get",
  path: "/decisions",
  access: "reviewer",
  tag: "API",
  summary: "The rows' standing decisions, newest first",
  description: "Each decided row's latest decision that was not withdrawn, with the row's text: where a " +
    "decision of an earlier page is found to change or undo. Change it with POST /submit-feedback and " +
    "`expected_feedback_id` set to its `feedback_id` (409 if someone decided the row meanwhile); undo " +
    "it with POST /feedback/{id}/undo. Filters: `import_id`, `reviewer`. Follow `next_before` (as " +
    "`before`) for older decisions. JSON unless the Accept header lists text/html, which gets the page " +
    "where reviewers change and undo them.",
  request: { query: DecisionsQuery },
  responses: {
    200: { description: "One page", content: { "application/json": DecisionPage, "text/html": z.string() } },
  },
  errors: [422],
});

const suggestedValues = defineRoute({
  method: "get",
  path: "/suggested-values",
  access: "reviewer",
  tag: "API",
  summary: "Values suggested for rows waiting for review, most frequent first (the review filter)",
  request: { query: SuggestedValuesQuery },
  responses: { 200: { description: "Values", content: { "application/json": z.array(SuggestedValue) } } },
  errors: [422],
});

const submitFeedback = defineRoute({
  method: "post",
  path: "/submit-feedback",
  access: "reviewer",
  audit: "feedback",
  tag: "API",
  summary: "Approve or correct a suggestion",
  description: "The reviewer is the signed-in account (session or API token). 409 on a row of " +
    "an import that is not imported (still being read, or failed), and on a conflict: " +
    "`expected_feedback_id` (null for a card of the queue) is not the row's latest decision any more; " +
    "the answer's `error.current_decision` is that decision, and nothing is stored. A retry with the " +
    "same `decision_key` answers the stored decision with 200 instead of storing it again. The " +
    "nearest waiting rows are re-scored right after the answer.",
  request: { body: jsonBody(FeedbackInput) },
  names: { json: "feedback" },
  responses: {
    201: { description: "Stored", content: { "application/json": FeedbackSaved } },
    200: {
      description: "Stored before (same decision_key)",
      content: { "application/json": FeedbackSaved },
    },
  },
  errors: [400, 404, 409, 413, 415, 422],
});

// Audited by the handler: feedback.undo, in the transaction that withdraws the decision.
const undoFeedback = defineRoute({
  method: "post",
  path: "/feedback/{id}/undo",
  access: "reviewer",
  tag: "API",
  summary: "Undo a decision",
  description: "Withdraws decision `id` (the `feedback_id` POST /submit-feedback answered). Only a row's " +
    "latest decision can be withdrawn (409 with `error.current_decision` when a newer one stands); the row's " +
    "label becomes the decision before it, else its seed label, else none and the row waits for review " +
    "again. The decision stays in the history, marked withdrawn, with an audit entry (feedback.undo).",
  request: { params: IdParam },
  names: { param: "decision id" },
  responses: { 200: { description: "Withdrawn", content: { "application/json": DecisionWithdrawn } } },
  errors: [404, 409, 422],
});

// Anyone: liveness for load balancers (says only "ok" and the driver).
const health = defineRoute({
  method: "get",
  path: "/health",
  access: "public",
  tag: "API",
  summary: "Liveness and database kind",
  responses: { 200: { description: "Up", content: { "application/json": HealthStatus } } },
});

/** Builds the API routes. */
export function apiRoutes(deps: ApiDependencies): OpenAPIHono<AppEnv> {
  const api = declaredRouter();
  const uploads = deps.uploads ?? new UploadRegistry();

  api.openapi(uploadCsv, async (c) => {
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
      const fileName = options.file_name ?? upload.fileName ?? "upload.csv";
      let tracker: UploadTracker | undefined;
      if (options.upload_key) {
        try {
          tracker = uploads.start(options.upload_key, {
            fileName,
            bytesTotal: upload.bytes,
            owner: currentUser()?.name,
          });
        } catch (error) {
          if (error instanceof UploadKeyInUse) throw new ApiProblem(409, error.message);
          throw error;
        }
      }
      const created: ImportCreated = await importCsvFile(deps.db, upload.path, {
        fileName,
        textColumns: options.text_columns && options.text_columns.length > 0
          ? options.text_columns
          : undefined,
        labelColumn: options.label_column,
        fieldColumns: options.field_columns,
        modelId: deps.modelId,
        appendTo: options.append_to,
        encoding: options.encoding,
        headerRow: options.header_row,
        tracker,
        signal: c.req.raw.signal,
        onDuplicate: options.on_duplicate,
        sheet: options.sheet,
      }).catch((error) => {
        if (!(error instanceof DuplicateFileError)) throw error;
        // The earlier import's id as a field, for clients that then choose on_duplicate.
        throw new ApiProblem(409, error.message, error.details, { duplicate_of: error.earlier.id });
      });
      // A skipped duplicate created nothing: the answer describes the earlier import.
      return c.json(created, created.duplicate_action === "skipped" ? 200 : 201);
    } finally {
      upload.dispose();
    }
  });

  api.openapi(loadSample, async (c) => {
    return c.json(await loadSampleCatalogue(deps.db, { modelId: deps.modelId }), 201);
  });

  api.openapi(listImports, async (c) => {
    return c.json(await readImportProgress(deps.db, { modelId: deps.modelId }));
  });

  api.openapi(readImport, async (c) => {
    const id = IdParam.safeParse(c.req.param()).data?.id;
    if (id === undefined) throw new ApiProblem(404, `No import with id "${c.req.param("id")}"`);
    const [progress] = await readImportProgress(deps.db, { modelId: deps.modelId, importId: id });
    if (!progress) throw new ApiProblem(404, `No import with id ${id}`);
    return c.json(progress);
  });

  api.openapi(removeImport, async (c) => {
    const { id } = c.req.valid("param");
    const { confirm } = c.req.valid("query");
    return c.json(await deleteImport(deps.db, id, { confirm }));
  });

  api.openapi(readUpload, (c) => {
    const { key } = c.req.valid("param");
    const progress = uploads.get(key);
    if (!progress) throw new ApiProblem(404, `No upload with key "${key}" is being read here`);
    return c.json(progress);
  });

  api.openapi(cancelUpload, (c) => {
    const { key } = c.req.valid("param");
    const outcome = uploads.cancel(key, currentUser()?.name);
    if (outcome === "unknown") {
      throw new ApiProblem(404, `Cannot cancel upload "${key}": no such upload here`);
    }
    const progress = uploads.get(key)!;
    if (outcome === "finished") {
      throw new ApiProblem(
        409,
        `Cannot cancel upload "${key}": its import already ended (${progress.phase})`,
      );
    }
    // The import stops at its next batch of rows; the upload request itself answers 409 then.
    return c.json(progress, 202);
  });

  api.openapi(reviewQueue, async (c) => {
    const query = c.req.valid("query");
    if (!query.lease) return c.json(await readReviewPage(deps.db, query, deps.modelId));
    const reviewer = requireUser().name;
    const page = await readReviewPage(deps.db, { ...query, reviewer }, deps.modelId);
    // The rows served are leased to this reviewer; one claimed by someone else since the read is dropped.
    const ids = page.items.map((item) => item.product_id);
    if (query.cursor === undefined && query.offset === 0) await releaseLeases(deps.db, reviewer, ids);
    const claimed = await claimLeases(deps.db, reviewer, ids);
    return c.json({ ...page, items: page.items.filter((item) => claimed.has(item.product_id)) });
  });

  api.openapi(labelValues, async (c) => c.json(await readKnownValues(deps.db)));

  api.openapi(decisions, async (c) => {
    const query = c.req.valid("query");
    const page = await readDecisions(deps.db, query);
    c.header("Vary", "Accept");
    // One path, two readers (as GET /workers): tools get JSON, a browser the page that edits the list.
    return wantsHtml(c.req.header("accept")) ? c.html(decisionsPage(page, query)) : c.json(page, 200);
  });

  api.openapi(suggestedValues, async (c) => {
    const query = c.req.valid("query");
    return c.json(await readSuggestedValues(deps.db, { modelId: deps.modelId, importId: query.import_id }));
  });

  api.openapi(submitFeedback, async (c) => {
    const input = c.req.valid("json");
    // The account's name, which a client cannot choose.
    const reviewer = requireUser().name;
    const { replayed, ...saved } = await saveFeedback(deps.db, input, {
      modelId: deps.modelId,
      reviewer,
      models: deps.models,
      neighbours: deps.neighbours,
    });
    // A retry of a stored decision (same decision_key) is answered as it was stored, with 200.
    return c.json(saved, replayed ? 200 : 201);
  });

  api.openapi(undoFeedback, async (c) => {
    const { id } = c.req.valid("param");
    const user = requireUser();
    const withdrawn = await withdrawDecision(deps.db, id, {
      actor: { name: user.name, id: user.id, via: user.via },
      modelId: deps.modelId,
      models: deps.models,
      neighbours: deps.neighbours,
    });
    // The handler wrote the detailed entry (feedback.undo) in the same transaction.
    c.set("audited", true);
    return c.json(withdrawn);
  });

  api.openapi(health, (c) => c.json({ ok: true, database: deps.db.kind }));

  return api;
}
