/**
 * The contract between the web server, the worker and the browser: zod schemas and the types inferred
 * from them. Imports nothing from the app, so islands, routes and the worker can all depend on it.
 */
import { z } from "zod";

/** Longest normalised value (a category or a canonical name) accepted anywhere. */
export const MAX_VALUE_LENGTH = 500;
/** Longest column name accepted in upload options. */
export const MAX_COLUMN_NAME_LENGTH = 200;

const columnName = z.string().trim().min(1).max(MAX_COLUMN_NAME_LENGTH);

/** A list of column names, given either as a JSON-ish array or as a comma-separated form field. */
const columnList = z.preprocess(
  (value) => {
    if (typeof value !== "string") return value;
    return value.split(",").map((name) => name.trim()).filter((name) => name.length > 0);
  },
  z.array(columnName).max(1000),
);

/** Options of POST /upload-csv, read from the query string or from form fields before the file. */
export const UploadOptions = z.object({
  file_name: z.string().trim().min(1).max(255).optional(),
  text_columns: columnList.optional(),
  label_column: z.preprocess(
    (value) => (value === "" ? undefined : value),
    columnName.optional(),
  ),
});
export type UploadOptions = z.infer<typeof UploadOptions>;

/** What POST /upload-csv answers on success. */
export const ImportCreated = z.object({
  import_id: z.number().int(),
  file_name: z.string(),
  row_count: z.number().int(),
  labelled_count: z.number().int(),
  columns: z.array(z.string()),
  text_columns: z.array(z.string()),
  label_column: z.string().nullable(),
});
export type ImportCreated = z.infer<typeof ImportCreated>;

/** Progress of one import, as GET /imports and GET /imports/:id report it. */
export const ImportProgress = z.object({
  id: z.number().int(),
  file_name: z.string(),
  status: z.enum(["imported", "failed"]),
  error: z.string().nullable(),
  row_count: z.number().int(),
  embedded_count: z.number().int(),
  suggested_count: z.number().int(),
  reviewed_count: z.number().int(),
  failed_count: z.number().int(),
  created_at: z.string(),
});
export type ImportProgress = z.infer<typeof ImportProgress>;

/** Query of GET /products-for-review. */
export const ReviewQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  import_id: z.coerce.number().int().positive().optional(),
});
export type ReviewQuery = z.infer<typeof ReviewQuery>;

/** One row of the review queue. */
export const ReviewItem = z.object({
  product_id: z.number().int(),
  import_id: z.number().int(),
  row_number: z.number().int(),
  /** The import's columns in file order (jsonb does not keep the order of `data`'s keys). */
  columns: z.array(z.string()),
  data: z.record(z.string(), z.string()),
  text: z.string(),
  suggestion: z.string().nullable(),
  confidence: z.number().nullable(),
  source: z.string().nullable(),
});
export type ReviewItem = z.infer<typeof ReviewItem>;

/** A page of the review queue. */
export const ReviewPage = z.object({
  items: z.array(ReviewItem),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type ReviewPage = z.infer<typeof ReviewPage>;

/** Body of POST /submit-feedback. A correction needs the corrected value; an approval takes the suggestion. */
export const FeedbackInput = z.object({
  product_id: z.number().int().positive(),
  approved: z.boolean(),
  corrected_text: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.string().trim().min(1).max(MAX_VALUE_LENGTH).nullish(),
  ),
  reviewer: z.string().trim().min(1).max(100).optional(),
});
export type FeedbackInput = z.infer<typeof FeedbackInput>;

/** What POST /submit-feedback answers. */
export const FeedbackSaved = z.object({
  feedback_id: z.number().int(),
  product_id: z.number().int(),
  value: z.string(),
  refreshed_neighbours: z.number().int(),
});
export type FeedbackSaved = z.infer<typeof FeedbackSaved>;

/** The one error shape of the whole API. */
export const ApiError = z.object({
  error: z.object({
    status: z.number().int(),
    message: z.string(),
    details: z.array(z.string()).optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>;

/** Payload of the `csv_sorter_progress` notification a worker sends after each batch. */
export const ProgressNotice = z.object({
  worker: z.string(),
  embedded: z.number().int(),
  failed: z.number().int(),
});
export type ProgressNotice = z.infer<typeof ProgressNotice>;

/** Channel that wakes workers: new rows to embed, new labels to take into account. */
export const WORK_CHANNEL = "csv_sorter_work";
/** Channel on which workers report progress. */
export const PROGRESS_CHANNEL = "csv_sorter_progress";

/** Kinds of background job. */
export const JobKind = z.enum(["retrain", "rescore"]);
export type JobKind = z.infer<typeof JobKind>;

/** Live progress a job reports while it runs. */
export const JobProgress = z.object({
  done: z.number().int().min(0),
  total: z.number().int().min(0),
  message: z.string().max(500),
});
export type JobProgress = z.infer<typeof JobProgress>;

/** A job as the API reports it. */
export const JobView = z.object({
  id: z.number().int(),
  kind: z.string(),
  status: z.enum(["queued", "running", "done", "failed"]),
  attempts: z.number().int(),
  last_error: z.string().nullable(),
  progress: JobProgress.nullable(),
  result: z.unknown().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});
export type JobView = z.infer<typeof JobView>;
