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

/** A field name as FieldName spells it (declared with the fields, further down). */
const FIELD_NAME_PATTERN = /^[a-z][a-z0-9_]{0,39}$/;

/** A seed column in `field_columns`: a column of the file, or none (empty or null) for this file. */
const seedColumnChoice = z.preprocess(
  (value) => (value === null || (typeof value === "string" && value.trim() === "") ? null : value),
  columnName.nullable(),
);

/**
 * The seed column of catalogue fields for one file: field name → column of the file (empty: none for this
 * file). A JSON object, `{"product":"canonical_name","brand":""}` (any column name), or comma-separated
 * `field:column` pairs, `product:canonical_name,brand:` (like text_columns, for column names without a
 * comma; a field name has no colon, so the column is everything after the first one).
 */
const fieldColumns = z.preprocess(
  (value, ctx) => {
    if (typeof value !== "string") return value;
    const text = value.trim();
    if (text.startsWith("{")) {
      try {
        return JSON.parse(text);
      } catch {
        ctx.addIssue({ code: "custom", message: "not a JSON object" });
        return z.NEVER;
      }
    }
    const mapping: Record<string, string> = {};
    for (const pair of text.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
      const colon = pair.indexOf(":");
      const field = pair.slice(0, colon).trim();
      if (colon < 0 || Object.hasOwn(mapping, field)) {
        ctx.addIssue({
          code: "custom",
          message: colon < 0 ? `"${pair}" is not field:column` : `names the field "${field}" twice`,
        });
        return z.NEVER;
      }
      mapping[field] = pair.slice(colon + 1).trim();
    }
    return mapping;
  },
  z.record(z.string(), seedColumnChoice).superRefine((mapping, ctx) => {
    const names = Object.keys(mapping);
    if (names.length > 100) ctx.addIssue({ code: "custom", message: "at most 100 fields" });
    for (const name of names.filter((name) => !FIELD_NAME_PATTERN.test(name))) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: "a field name is 1–40 lower-case letters, digits or underscores",
      });
    }
  }),
);

/** Options of POST /upload-csv, read from the query string or from form fields before the file. */
export const UploadOptions = z.object({
  file_name: z.string().trim().min(1).max(255).optional(),
  text_columns: columnList.optional(),
  label_column: z.preprocess(
    (value) => (value === "" ? undefined : value),
    columnName.optional(),
  ),
  /**
   * The seed column of catalogue fields for this file (see fieldColumns above); a field left out keeps
   * its own seed column.
   */
  field_columns: fieldColumns.optional().describe(
    'Catalogue fields\' seed columns for this file: a JSON object ({"product":"canonical_name"}) or ' +
      "field:column pairs separated by commas; an empty column is none for this file",
  ),
  /** Adds the file to the dataset of this import (same columns; earlier decisions are reused). */
  append_to: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  /** A random id the client chooses to follow (GET /uploads/:key) and cancel the import. */
  upload_key: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "16 to 64 letters, digits, - or _").optional(),
  /** The file's text encoding; detected when absent (byte order mark, else valid UTF-8, else Windows-1252). */
  encoding: z.enum(["utf-8", "utf-16le", "utf-16be", "windows-1252"]).optional(),
  /** The file line (1-based) of the header row; detected when absent (lines above it are skipped). */
  header_row: z.coerce.number().int().positive().max(1_000_000).optional(),
  /**
   * What to do when the file has the same rows (header and cells) as an earlier import: skip it, append
   * it to that import's dataset, or import it as a new dataset. Absent: such a file is refused with 409.
   */
  on_duplicate: z.enum(["skip", "append", "import"]).optional(),
  /** An .xlsx file's sheet: its name, or its 1-based number; absent, the first visible sheet. */
  sheet: z.string().trim().min(1).max(100).optional(),
});
export type UploadOptions = z.infer<typeof UploadOptions>;

/** Path parameter of GET /uploads/:key and POST /uploads/:key/cancel. */
export const UploadKeyParam = z.object({ key: UploadOptions.shape.upload_key.unwrap() });

/** Live progress of an upload being read, as GET /uploads/:key reports it (kept in the web process). */
export const UploadProgress = z.object({
  key: z.string(),
  file_name: z.string(),
  phase: z.enum(["reading", "finishing", "done", "failed", "cancelled"]),
  import_id: z.number().int().nullable(),
  bytes_total: z.number().int(),
  bytes_read: z.number().int(),
  rows_read: z.number().int(),
  rows_per_second: z.number(),
  /** From bytes read so far against the file size; null until there is a rate. */
  eta_seconds: z.number().nullable(),
  error: z.string().nullable(),
});
export type UploadProgress = z.infer<typeof UploadProgress>;

/** Query of DELETE /imports/:id: `confirm=true` is required once people have reviewed rows of it. */
export const DeleteImportQuery = z.object({
  confirm: z.enum(["true", "false"]).default("false").transform((value) => value === "true"),
});

/** What DELETE /imports/:id answers. */
export const ImportDeleted = z.object({
  import_id: z.number().int(),
  deleted_products: z.number().int(),
  deleted_reviewed: z.number().int(),
});
export type ImportDeleted = z.infer<typeof ImportDeleted>;

/** What POST /upload-csv answers on success. */
export const ImportCreated = z.object({
  import_id: z.number().int(),
  file_name: z.string(),
  row_count: z.number().int(),
  labelled_count: z.number().int(),
  columns: z.array(z.string()),
  text_columns: z.array(z.string()),
  label_column: z.string().nullable(),
  /** The dataset the file belongs to: the id of its first import. */
  dataset_id: z.number().int(),
  /** The import whose dataset the file was appended to, or null for a new dataset. */
  appended_to: z.number().int().nullable(),
  /** Rows labelled at import with a person's (or a seed) decision on the same text in the dataset. */
  reused_count: z.number().int(),
  /** The encoding the file was read in. */
  encoding: z.string(),
  /** The file line (1-based) of the header row. */
  header_line: z.number().int(),
  /** Unnamed columns empty in every row (Excel's padding), left out. */
  dropped_columns: z.array(z.string()),
  /** Present when the file has the same rows as an earlier import: that import's id. */
  duplicate_of: z.number().int().optional(),
  /** Present with duplicate_of: what on_duplicate did (skipped: this answer describes the earlier import). */
  duplicate_action: z.enum(["skipped", "appended", "imported"]).optional(),
});
export type ImportCreated = z.infer<typeof ImportCreated>;

/** Progress of one import, as GET /imports and GET /imports/:id report it. */
export const ImportProgress = z.object({
  id: z.number().int(),
  file_name: z.string(),
  status: z.enum(["importing", "imported", "failed"]),
  error: z.string().nullable(),
  dataset_id: z.number().int(),
  row_count: z.number().int(),
  embedded_count: z.number().int(),
  suggested_count: z.number().int(),
  reviewed_count: z.number().int(),
  /** Rows that got an earlier decision on the same text at import (never queued for review). */
  reused_count: z.number().int(),
  failed_count: z.number().int(),
  /** Products of this import embedded per second over the last minute. */
  embedding_rate: z.number(),
  /** Seconds until every row is embedded at that rate; 0 when done, null with no recent rate. */
  eta_seconds: z.number().nullable(),
  created_at: z.string(),
  /** The bundled sample catalogue (POST /imports/sample) rather than a user's file. */
  sample: z.boolean(),
});
export type ImportProgress = z.infer<typeof ImportProgress>;

/** Query of GET /products-for-review. */
export const ReviewQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  import_id: z.coerce.number().int().positive().optional(),
  /** Only rows whose current suggestion is exactly this value. */
  suggestion: z.string().trim().min(1).max(MAX_VALUE_LENGTH).optional(),
  /** Only rows with a suggestion whose confidence is in [min_confidence, max_confidence]. */
  min_confidence: z.coerce.number().min(0).max(1).optional(),
  max_confidence: z.coerce.number().min(0).max(1).optional(),
  /**
   * Free text: rows whose text holds every word (as a word or its beginning); a word with a symbol in it
   * (`C++`, `50%`) as typed. Case and accents are ignored (core/text_key.ts).
   */
  q: z.string().trim().min(1).max(200).regex(/[\p{L}\p{N}\p{P}\p{S}]/u, "q needs a visible character")
    .optional(),
  /** The waiting rows nearest to this product's embedding (cosine), nearest first, with `similarity`. */
  similar_to: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  /** `next_cursor` of the previous page: the fast way to the next one (`offset` is then ignored). */
  cursor: z.string().max(16_384).regex(/^[A-Za-z0-9_-]+$/, "not a cursor of this API").optional(),
  /**
   * "true": a reviewer's read (the review page): rows leased to other reviewers are left out and the rows
   * served are leased to the caller. Otherwise a plain read that reserves nothing (scripts, status).
   */
  lease: z.enum(["true", "false"]).default("false").transform((value) => value === "true"),
}).refine(
  (query) => (query.min_confidence ?? 0) <= (query.max_confidence ?? 1),
  { message: "min_confidence must not exceed max_confidence", path: ["min_confidence"] },
);
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
  /** Winning score minus the runner-up's: small when the ensemble hesitates between two values. */
  margin: z.number().nullable(),
  /** The model version that scored the row; null before any version is active (uncalibrated). */
  model_version: z.string().nullable(),
  /** Cosine similarity to the `similar_to` product; only on such pages. */
  similarity: z.number().optional(),
});
export type ReviewItem = z.infer<typeof ReviewItem>;

/** A page of the review queue. */
export const ReviewPage = z.object({
  items: z.array(ReviewItem),
  /** Rows matching the query, counted up to 1,000 (a similar_to page: among its nearest rows). */
  total: z.number().int(),
  /** True when there are more than `total` ("1,000+"). */
  total_capped: z.boolean(),
  limit: z.number().int(),
  offset: z.number().int(),
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: z.string().nullable(),
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
  /**
   * The suggestion the reviewer saw. An approval stores this value even when the row was re-scored after
   * its card was shown (the reviewer judged the value on the card); without it, the current suggestion.
   */
  expected_value: z.string().trim().min(1).max(MAX_VALUE_LENGTH).optional(),
  /**
   * The id of the row's latest decision the reviewer saw; null: the row was undecided (a card of the
   * queue). When the row's latest decision is another one by then, nothing is stored and the answer is
   * 409 with `current_decision`: a decision made meanwhile is never silently replaced. Absent: no check.
   */
  expected_feedback_id: z.number().int().positive().max(2_147_483_647).nullable().optional(),
  /**
   * A key the client gives this decision (a UUID), the same on every retry: a decision already stored
   * under it is answered again (200) instead of being stored twice.
   */
  decision_key: z.uuid().optional(),
});
export type FeedbackInput = z.infer<typeof FeedbackInput>;

/** A stored decision, as a conflict reports the one made meanwhile. */
export const StoredDecision = z.object({
  feedback_id: z.number().int(),
  product_id: z.number().int(),
  approved: z.boolean(),
  value: z.string(),
  reviewer: z.string(),
  created_at: z.string(),
});
export type StoredDecision = z.infer<typeof StoredDecision>;

/** Query of GET /decisions: the rows' standing decisions, newest first. */
export const DecisionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  import_id: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  /** Only the decisions of this account. */
  reviewer: z.string().trim().min(1).max(200).optional(),
  /** `next_before` of the previous page: decisions older than this feedback id. */
  before: z.coerce.number().int().positive().max(2_147_483_647).optional(),
});
export type DecisionsQuery = z.infer<typeof DecisionsQuery>;

/** A row's standing decision with the row it is about. */
export const DecisionEntry = StoredDecision.extend({
  import_id: z.number().int(),
  row_number: z.number().int(),
  text: z.string(),
});
export type DecisionEntry = z.infer<typeof DecisionEntry>;

/** What GET /decisions answers: `next_before` is null on the last page. */
export const DecisionPage = z.object({
  items: z.array(DecisionEntry),
  next_before: z.number().int().nullable(),
});
export type DecisionPage = z.infer<typeof DecisionPage>;

/** What POST /submit-feedback answers. */
export const FeedbackSaved = z.object({
  feedback_id: z.number().int(),
  product_id: z.number().int(),
  value: z.string(),
  refreshed_neighbours: z.number().int(),
});
export type FeedbackSaved = z.infer<typeof FeedbackSaved>;

/**
 * What POST /feedback/:id/undo answers: the decision withdrawn, and the label the row has again — the
 * decision before it (`human`), the file's seed label (`seed`), or none (the row waits for review again).
 */
export const DecisionWithdrawn = z.object({
  feedback_id: z.number().int(),
  product_id: z.number().int(),
  withdrawn_value: z.string(),
  label: z.string().nullable(),
  label_source: z.enum(["human", "seed"]).nullable(),
});
export type DecisionWithdrawn = z.infer<typeof DecisionWithdrawn>;

/** Most rows GET /products/:id/similar lists. */
export const MAX_SIMILAR_ROWS = 200;
/** Most rows one bulk decision (POST /submit-feedback-bulk) may touch. */
export const MAX_BULK_PRODUCTS = 500;
const productId = z.number().int().positive().max(2_147_483_647);

/**
 * The `:id` of every path that names a row (an import, a product, a job, a token): a positive PostgreSQL
 * integer (int4, at most 2^31 - 1), so an out-of-range id is refused before it reaches the database.
 */
export const IdParam = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });

/**
 * Query of GET /products/:id/similar: cosine similarity threshold, how many rows at most, and the import
 * the rows must come from (the review page's scope: a reviewer working one file never decides another's).
 */
export const SimilarQuery = z.object({
  min_similarity: z.coerce.number().min(0.5).max(1).default(0.8),
  limit: z.coerce.number().int().min(1).max(MAX_SIMILAR_ROWS).default(50),
  import_id: z.coerce.number().int().positive().max(2_147_483_647).optional(),
});
export type SimilarQuery = z.infer<typeof SimilarQuery>;

/** One unlabelled row that shares the anchor's suggestion. */
export const SimilarRow = z.object({
  product_id: z.number().int(),
  import_id: z.number().int(),
  row_number: z.number().int(),
  text: z.string(),
  confidence: z.number().nullable(),
  /** Cosine similarity to the anchor's vector (1 = same direction). */
  similarity: z.number(),
});
export type SimilarRow = z.infer<typeof SimilarRow>;

/** What GET /products/:id/similar answers; `reason` says why a group cannot exist for this anchor. */
export const SimilarRows = z.object({
  anchor: z.object({
    product_id: z.number().int(),
    text: z.string(),
    suggestion: z.string().nullable(),
    confidence: z.number().nullable(),
    labelled: z.boolean(),
  }),
  suggestion: z.string().nullable(),
  min_similarity: z.number(),
  limit: z.number().int(),
  /** The import the rows were taken from; null: every import. */
  import_id: z.number().int().nullable(),
  rows: z.array(SimilarRow),
  reason: z.enum(["no_vector", "no_suggestion"]).nullable(),
  message: z.string().nullable(),
});
export type SimilarRows = z.infer<typeof SimilarRows>;

/**
 * Body of POST /submit-feedback-bulk: one decision for a group of rows. `expected_value` is the
 * suggestion the reviewer saw; rows whose suggestion has changed since are skipped, not decided.
 */
export const BulkFeedbackInput = z.object({
  product_ids: z.array(productId).min(1).max(MAX_BULK_PRODUCTS),
  approved: z.boolean(),
  corrected_text: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.string().trim().min(1).max(MAX_VALUE_LENGTH).nullish(),
  ),
  expected_value: z.string().trim().min(1).max(MAX_VALUE_LENGTH),
  /** Only report what would happen. */
  dry_run: z.boolean().default(false),
}).refine((input) => input.approved || Boolean(input.corrected_text), {
  message: "a correction needs corrected_text",
  path: ["corrected_text"],
});
export type BulkFeedbackInput = z.infer<typeof BulkFeedbackInput>;

/** A row of a bulk decision that was left alone, and why. */
export const BulkSkipped = z.object({
  product_id: z.number().int(),
  reason: z.enum(["not_found", "not_imported", "already_labelled", "suggestion_changed"]),
  current_suggestion: z.string().nullable(),
});
export type BulkSkipped = z.infer<typeof BulkSkipped>;

/** What POST /submit-feedback-bulk answers: the preview (dry_run) or what was stored. */
export const BulkFeedbackResult = z.object({
  dry_run: z.boolean(),
  /** Names the group in each row's audit entry; null for a preview. */
  group_id: z.string().nullable(),
  approved: z.boolean(),
  value: z.string(),
  /** Distinct ids asked for (duplicates count once). */
  requested: z.number().int(),
  /** Rows decided, or that would be. */
  count: z.number().int(),
  product_ids: z.array(z.number().int()),
  skipped: z.array(BulkSkipped),
  feedback_ids: z.array(z.number().int()),
  refreshed_neighbours: z.number().int(),
});
export type BulkFeedbackResult = z.infer<typeof BulkFeedbackResult>;

/** The one error shape of the whole API. */
export const ApiError = z.object({
  error: z.object({
    status: z.number().int(),
    message: z.string(),
    details: z.array(z.string()).optional(),
    /** A 409 of POST /upload-csv for a file with the same rows as an earlier import: that import's id. */
    duplicate_of: z.number().int().optional(),
    /** A 409 of POST /submit-feedback: the decision made meanwhile (see `expected_feedback_id`). */
    current_decision: StoredDecision.optional(),
    /**
     * A 409 of POST /fields/{field}/decisions: the row's standing decision, made meanwhile (null: none
     * stands, the one the card showed was undone). Send it as `expected_decision_id` to replace it knowingly.
     */
    current_decision_id: z.number().int().nullable().optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>;

/** Query of GET /export. Booleans arrive as query-string words, so `meta` takes "true" or "false". */
export const ExportQuery = z.object({
  rows: z.enum(["all", "reviewed", "accepted"]).default("all").describe(
    "all: every row; reviewed: rows with a human decision; accepted: rows with any label (human, auto, seed)",
  ),
  import_id: z.coerce.number().int().positive().optional().describe(
    "Export one import; without it every import, columns united in first-seen order",
  ),
  format: z.enum(["csv", "jsonl"]).default("csv").describe("csv (formula cells neutralised) or JSON Lines"),
  value_column: columnName.default("normalised_value").describe(
    "Column that receives the normalised value; an existing column's value is replaced in place",
  ),
  meta: z.enum(["true", "false"]).default("true").transform((value) => value === "true").describe(
    "Add <value_column>_source, <value_column>_confidence and <value_column>_model_version",
  ),
  delimiter: z.enum(["comma", "semicolon", "tab"]).default("comma").describe(
    "CSV field delimiter: comma, or semicolon for Excel in locales with a decimal comma, or tab",
  ),
  bom: z.enum(["true", "false"]).default("false").transform((value) => value === "true").describe(
    "Start the CSV with a UTF-8 byte order mark, so Excel on Windows reads it as UTF-8 (the Excel dialect: " +
      "bom=true with the delimiter of the user's locale)",
  ),
});
export type ExportQuery = z.infer<typeof ExportQuery>;

/** One line of GET /export?format=jsonl: the export's columns as keys, null where a row has no value. */
export const ExportLine = z.record(z.string(), z.union([z.string(), z.number(), z.null()]));
export type ExportLine = z.infer<typeof ExportLine>;

/** What GET /health answers. */
export const HealthStatus = z.object({ ok: z.boolean(), database: z.enum(["pglite", "postgres"]) });
export type HealthStatus = z.infer<typeof HealthStatus>;

/** Channel that wakes workers: new rows to embed, new labels to take into account. */
export const WORK_CHANNEL = "csv_sorter_work";

/** Kinds of background job. */
export const JobKind = z.enum(["retrain", "rescore", "catalogue-match"]);
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

/** One worker as its heartbeat reports it (GET /workers). */
export const WorkerView = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number().int(),
  runtime: z.string(),
  /** ONNX Runtime execution provider used for embeddings: "cuda" or "cpu". */
  device: z.string(),
  /** Why that device (and training backend) was chosen. */
  device_detail: z.string().nullable(),
  /** TensorFlow.js package used for training, e.g. "@tensorflow/tfjs-node-gpu". */
  training_backend: z.string().nullable(),
  embedding_model: z.string(),
  model_version: z.string().nullable(),
  products_embedded: z.number().int(),
  jobs_done: z.number().int(),
  jobs_failed: z.number().int(),
  /** live: heartbeat within the last `live_within_seconds`; stopped: shut down cleanly; lost: went silent. */
  status: z.enum(["live", "stopped", "lost"]),
  started_at: z.string(),
  last_seen_at: z.string(),
  seconds_since_seen: z.number().int(),
});
export type WorkerView = z.infer<typeof WorkerView>;

/** What GET /workers answers: live workers first, then those gone within the last hour. */
export const WorkerList = z.object({
  workers: z.array(WorkerView),
  live_count: z.number().int(),
  heartbeat_seconds: z.number().int(),
  live_within_seconds: z.number().int(),
  now: z.string(),
});
export type WorkerList = z.infer<typeof WorkerList>;

/** Which part of the ensemble produced a suggestion (the one that contributed most to the winner). */
export const SuggestionSource = z.enum(["knn", "classifier", "zero_shot", "memory", "lexical"]);
export type SuggestionSource = z.infer<typeof SuggestionSource>;

/** Channel on which a newly activated model version is announced; every process then loads it. */
export const MODEL_CHANNEL = "csv_sorter_models";

/** Life of a model version: training → ready → active → retired (loadable again), or failed. */
export const ModelStatus = z.enum(["training", "ready", "active", "retired", "failed"]);
export type ModelStatus = z.infer<typeof ModelStatus>;

/** How much each part of the ensemble counts; they sum to 1 over the parts present. */
export const EnsembleWeights = z.object({
  knn: z.number().min(0).max(1),
  classifier: z.number().min(0).max(1),
  zero_shot: z.number().min(0).max(1),
  /** The lexical channel (TF-IDF n-grams + embedding); absent in versions trained before it: 0. */
  lexical: z.number().min(0).max(1).optional(),
});
export type EnsembleWeights = z.infer<typeof EnsembleWeights>;

/** Maps a raw ensemble score to a probability of being right: sigmoid(a · logit(score) + b). */
export const Calibration = z.object({
  method: z.enum(["platt", "none"]),
  a: z.number(),
  b: z.number(),
});
export type Calibration = z.infer<typeof Calibration>;

/** How a model version combines its parts: the ensemble.json of its folder. */
export const EnsembleConfig = z.object({
  weights: EnsembleWeights,
  calibration: Calibration,
  /** Held-out precision of the exact-match memory: its confidence when it answers. */
  memory_precision: z.number().min(0).max(1),
  knn_k: z.number().int().min(1).max(100),
  zero_shot_top: z.number().int().min(1).max(1000),
  zero_shot_temperature: z.number().positive(),
});
export type EnsembleConfig = z.infer<typeof EnsembleConfig>;

/** One row of a reliability table: held-out rows whose calibrated confidence fell in [lower, upper). */
export const ReliabilityBin = z.object({
  lower: z.number(),
  upper: z.number(),
  count: z.number().int(),
  /** Mean calibrated confidence in the bin; null when empty. */
  confidence: z.number().nullable(),
  /** Share of the bin that was right; null when empty. */
  accuracy: z.number().nullable(),
});
export type ReliabilityBin = z.infer<typeof ReliabilityBin>;

/** What a training run measured on its held-out labels: the metrics.json of a version's folder. */
export const ModelMetrics = z.object({
  accuracy: z.number(),
  macro_f1: z.number(),
  /** Accuracy of always answering the most frequent training label. */
  majority_baseline: z.number(),
  majority_label: z.string().nullable(),
  /** Accuracy of each part alone; null when the part had nothing to say. */
  components: z.object({
    knn: z.number().nullable(),
    classifier: z.number().nullable(),
    zero_shot: z.number().nullable(),
    lexical: z.number().nullable().optional(),
  }),
  memory: z.object({ matches: z.number().int(), correct: z.number().int(), precision: z.number() }),
  train_size: z.number().int(),
  holdout_size: z.number().int(),
  label_count: z.number().int(),
  per_label: z.array(z.object({
    label: z.string(),
    train: z.number().int(),
    holdout: z.number().int(),
    correct: z.number().int(),
    f1: z.number().nullable(),
  })),
  calibration: z.object({
    method: z.enum(["platt", "none"]),
    /** Expected calibration error: mean |accuracy − confidence| over the bins, weighted by count. */
    ece: z.number().nullable(),
    bins: z.array(ReliabilityBin),
  }),
  /** [calibrated confidence, 1 if right else 0] per held-out row, scored out of fold. */
  heldout_scores: z.array(z.tuple([z.number(), z.number().int()])),
  /** Held-out accuracy when training on growing subsets of the training labels. */
  learning_curve: z.array(z.object({ labels: z.number().int(), accuracy: z.number() })),
  weights: EnsembleWeights,
  epochs: z.number().int(),
  training_ms: z.number().int(),
  backend: z.string(),
});
export type ModelMetrics = z.infer<typeof ModelMetrics>;

/** The manifest.json of a model version's folder: what it expects, and a checksum of every file. */
export const ModelManifest = z.object({
  /** /2 adds the lexical channel's files (lexical.json, lexical.bin); /3 stores its non-zero weights only. */
  format: z.enum(["csv-sorter-model/1", "csv-sorter-model/2", "csv-sorter-model/3"]),
  version: z.string(),
  embedding_model_id: z.string(),
  dimensions: z.number().int().positive(),
  label_count: z.number().int().positive(),
  files: z.record(
    z.string(),
    z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0) }),
  ),
  created_at: z.string(),
  feedback_snapshot: z.number().int().min(0),
  train_size: z.number().int().min(0),
  holdout_size: z.number().int().min(0),
  tfjs_version: z.string(),
  backend: z.string(),
});
export type ModelManifest = z.infer<typeof ModelManifest>;

/**
 * The auto-activation policy's decision about a new version: made active (at least as good as the active
 * one on the new version's held-out rows, or none was active), kept out (worse), the policy was off, or
 * the comparison or activation failed.
 */
export const ActivationDecision = z.enum(["activated", "kept", "off", "failed"]);
export type ActivationDecision = z.infer<typeof ActivationDecision>;

/** A model version as GET /models lists it. */
export const ModelVersionView = z.object({
  version: z.string(),
  status: ModelStatus,
  embedding_model_id: z.string(),
  dimensions: z.number().int(),
  label_count: z.number().int().nullable(),
  train_size: z.number().int().nullable(),
  holdout_size: z.number().int().nullable(),
  feedback_snapshot: z.number().int().nullable(),
  accuracy: z.number().nullable(),
  metrics: ModelMetrics.nullable(),
  error: z.string().nullable(),
  job_id: z.number().int().nullable(),
  created_at: z.string(),
  ready_at: z.string().nullable(),
  activated_at: z.string().nullable(),
  /** What the auto-activation policy decided when the version became ready; null before it ran. */
  activation_decision: ActivationDecision.nullable(),
  /** Why, with the held-out figures compared, e.g. "64 of 80 held-out rows right, v3 had 61". */
  activation_reason: z.string().nullable(),
});
export type ModelVersionView = z.infer<typeof ModelVersionView>;

/** What GET /models answers: versions newest first, and the jobs that change them. */
export const ModelList = z.object({
  versions: z.array(ModelVersionView),
  active_version: z.string().nullable(),
  /** The newest retrain and rescore jobs, for live progress. */
  retrain_job: JobView.nullable(),
  rescore_job: JobView.nullable(),
  taxonomy_count: z.number().int(),
  auto_accepted_count: z.number().int(),
});
export type ModelList = z.infer<typeof ModelList>;

/** Body of POST /load-model: a version to activate, or none for the newest ready one. */
export const LoadModelInput = z.object({
  version: z.string().trim().regex(/^v\d{1,9}$/, 'expected a version like "v3"').optional(),
});
export type LoadModelInput = z.infer<typeof LoadModelInput>;

/** What POST /load-model answers. */
export const ModelLoaded = z.object({
  version: z.string(),
  previous: z.string().nullable(),
  rescore_job_id: z.number().int(),
});
export type ModelLoaded = z.infer<typeof ModelLoaded>;

/**
 * What POST /trigger-retrain answers; a retrain already queued or running is returned instead of a
 * second one (at most one at a time).
 */
export const RetrainQueued = z.object({ job_id: z.number().int(), already_queued: z.boolean() });
export type RetrainQueued = z.infer<typeof RetrainQueued>;

/** Payload of a `retrain` job: who asked (a person), or why the auto-retrain scheduler queued it. */
export const RetrainPayload = z.object({
  requested_by: z.string().max(100).optional(),
  trigger: z.enum(["manual", "schedule"]).optional(),
  reason: z.string().max(500).optional(),
});
export type RetrainPayload = z.infer<typeof RetrainPayload>;

/**
 * The auto-retrain ops setting (PUT /settings/auto-retrain). When `enabled`, a worker queues a retrain
 * once `every_labels` new labels (reviewers' decisions and seed labels from imports) arrived since the
 * last retrain, or once `every_minutes` passed since it with at least one new label (0: by count only),
 * and at once when labelled rows exist but no version was ever trained. `auto_activate`: a new version
 * becomes active by itself when it is at least as good as the active one on its held-out rows.
 */
export const AutoRetrainSetting = z.object({
  enabled: z.boolean(),
  every_labels: z.number().int().min(1).max(1_000_000),
  every_minutes: z.number().min(0).max(10_080),
  auto_activate: z.boolean(),
});
export type AutoRetrainSetting = z.infer<typeof AutoRetrainSetting>;

/** What the scheduler sees now (GET /settings/auto-retrain, the models page). */
export const AutoRetrainStatus = z.object({
  /** Seed labels and decisions newer than the last retrain job. */
  new_labels: z.number().int(),
  last_retrain_job_id: z.number().int().nullable(),
  last_retrain_at: z.string().nullable(),
  /** Whether the next check queues a retrain, and why (or why not). */
  due: z.boolean(),
  reason: z.string(),
});
export type AutoRetrainStatus = z.infer<typeof AutoRetrainStatus>;

/** The setting with what the scheduler sees now. */
export const AutoRetrainState = z.object({ setting: AutoRetrainSetting, status: AutoRetrainStatus });
export type AutoRetrainState = z.infer<typeof AutoRetrainState>;

/** Payload of a `rescore` job: re-score every unlabelled row (after an activation or a new taxonomy). */
export const RescorePayload = z.object({
  /** activation: a version was activated; taxonomy: label names were added; labels_deleted: an import
   * with labels was deleted, so suggestions they produced must go. */
  reason: z.enum(["activation", "taxonomy", "labels_deleted"]),
  version: z.string().nullable().optional(),
});
export type RescorePayload = z.infer<typeof RescorePayload>;

/** Most label names one POST /upload-taxonomy takes. */
export const MAX_TAXONOMY_LABELS = 10_000;

/** The label names of POST /upload-taxonomy (text/plain, one per line, blank lines ignored). */
export const TaxonomyInput = z.array(z.string().trim().min(1).max(MAX_VALUE_LENGTH)).min(1).max(
  MAX_TAXONOMY_LABELS,
);
export type TaxonomyInput = z.infer<typeof TaxonomyInput>;

/** What POST /upload-taxonomy answers. */
export const TaxonomyUploaded = z.object({
  received: z.number().int(),
  added: z.number().int(),
  total: z.number().int(),
  rescore_job_id: z.number().int(),
});
export type TaxonomyUploaded = z.infer<typeof TaxonomyUploaded>;

/** Query of GET /suggested-values. */
export const SuggestedValuesQuery = z.object({
  import_id: z.coerce.number().int().positive().optional(),
});
export type SuggestedValuesQuery = z.infer<typeof SuggestedValuesQuery>;

/** A suggested value and how many rows waiting for review carry it (GET /suggested-values). */
export const SuggestedValue = z.object({ value: z.string(), count: z.number().int() });
export type SuggestedValue = z.infer<typeof SuggestedValue>;

/** A value rows are labelled with, or a taxonomy name (GET /label-values). */
export const KnownValue = z.object({
  value: z.string(),
  /** Rows labelled with it by people or seed labels. */
  labelled: z.number().int(),
  in_taxonomy: z.boolean(),
});
export type KnownValue = z.infer<typeof KnownValue>;

/** Body of POST /settings/auto-accept/preview: a threshold τ and the precision the user requires. */
export const AutoAcceptPreviewInput = z.object({
  threshold: z.number().min(0.5).max(1),
  target_precision: z.number().min(0.5).max(1),
});
export type AutoAcceptPreviewInput = z.infer<typeof AutoAcceptPreviewInput>;

/** The auto-accept ops setting (PUT /settings/auto-accept): accept rows whose confidence is ≥ τ. */
export const AutoAcceptSetting = AutoAcceptPreviewInput.extend({ enabled: z.boolean() });
export type AutoAcceptSetting = z.infer<typeof AutoAcceptSetting>;

/** What auto-accept at a threshold would do under the active model, shown before it is applied. */
export const AutoAcceptPreview = z.object({
  threshold: z.number(),
  target_precision: z.number(),
  model_version: z.string().nullable(),
  /** Held-out rows the active version scored at or above τ, and the share of them that was right. */
  heldout_count: z.number().int(),
  heldout_total: z.number().int(),
  heldout_precision: z.number().nullable(),
  /** Rows waiting for review whose current confidence is at or above τ. */
  pending_eligible: z.number().int(),
  allowed: z.boolean(),
  reason: z.string(),
});
export type AutoAcceptPreview = z.infer<typeof AutoAcceptPreview>;

/** The setting, what it would do now, and how many rows it has accepted so far. */
export const AutoAcceptState = z.object({
  setting: AutoAcceptSetting,
  preview: AutoAcceptPreview,
  accepted_count: z.number().int(),
  /** Rows accepted by this request (PUT only). */
  accepted_now: z.number().int(),
});
export type AutoAcceptState = z.infer<typeof AutoAcceptState>;

/** What a person may do: reviewers upload, review and export; ops also run models, workers and accounts. */
export const Role = z.enum(["reviewer", "ops"]);
export type Role = z.infer<typeof Role>;

const accountName = z.string().trim().min(1).max(100).regex(
  /^[\p{L}\p{N}._@-]+$/u,
  "use letters, digits and . _ @ - only",
);
const passwordField = z.string().min(1).max(1024);

/** The login form (POST /login). */
export const LoginInput = z.object({
  name: accountName,
  password: passwordField,
  /** Where to go after logging in: a path on this site only. */
  // No control characters or spaces: browsers drop tabs and newlines from URLs, so "/\t/evil" would
  // become "//evil", another site.
  // deno-lint-ignore no-control-regex
  next: z.string().max(2000).regex(/^\/(?![/\\])[^\u0000-\u0020\u007f]*$/, "a path on this site").optional()
    .catch(undefined),
});
export type LoginInput = z.infer<typeof LoginInput>;

/** The first-ops-account form (POST /setup). */
export const SetupInput = z.object({
  token: z.string().min(1).max(200),
  name: accountName,
  password: passwordField,
  password_again: passwordField,
});
export type SetupInput = z.infer<typeof SetupInput>;

/** The change-your-own-password form (POST /account/password). */
export const PasswordChangeInput = z.object({
  current_password: passwordField,
  password: passwordField,
  password_again: passwordField,
});
export type PasswordChangeInput = z.infer<typeof PasswordChangeInput>;

/** A new account (POST /admin/users). */
export const CreateUserInput = z.object({ name: accountName, role: Role, password: passwordField });
export type CreateUserInput = z.infer<typeof CreateUserInput>;

/** A new API token (POST /admin/tokens): it acts as `user` (default: the creator) with at most `role`. */
export const CreateTokenInput = z.object({
  name: z.string().trim().min(1).max(100),
  user: z.preprocess((value) => (value === "" ? undefined : value), accountName.optional()),
  role: Role,
});
export type CreateTokenInput = z.infer<typeof CreateTokenInput>;

/** An account as ops see it. */
export const UserView = z.object({
  id: z.number().int(),
  name: z.string(),
  role: Role,
  disabled: z.boolean(),
  created_at: z.string(),
});
export type UserView = z.infer<typeof UserView>;

/** An API token as ops see it (never the token itself: it is shown once, at creation). */
export const ApiTokenView = z.object({
  id: z.number().int(),
  name: z.string(),
  user: z.string(),
  role: Role,
  created_by: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type ApiTokenView = z.infer<typeof ApiTokenView>;

/** Query of GET /audit. */
export const AuditQuery = z.object({
  user: z.string().trim().max(100).optional().transform((value) => value || undefined),
  kind: z.string().trim().max(100).optional().transform((value) => value || undefined),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  before_id: z.coerce.number().int().positive().optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

/** One entry of the audit trail. */
export const AuditEntry = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string().nullable(),
  via: z.string(),
  kind: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** Kinds of normalised field: a label from a growing set (a classifier), or an entry of a canonical catalogue. */
export const FieldKind = z.enum(["label", "catalogue"]);
export type FieldKind = z.infer<typeof FieldKind>;

/** A field's name: a column name in exports and a path segment in URLs. */
export const FieldName = z.string().trim().regex(
  FIELD_NAME_PATTERN,
  "a field name is 1–40 lower-case letters, digits or underscores, starting with a letter",
);

/** Body of POST /fields. */
export const FieldInput = z.object({
  name: FieldName,
  kind: FieldKind,
  /** The column of imported files whose values are already decided for this field. */
  seed_column: z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    z.string().trim().min(1).max(200).nullish(),
  ),
});
export type FieldInput = z.infer<typeof FieldInput>;

/** A field, with its counts. */
export const Field = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: FieldKind,
  seed_column: z.string().nullable(),
  position: z.number().int(),
  /** Catalogue fields: canonical entries, and how many of them still wait for their embedding. */
  entries: z.number().int(),
  unembedded_entries: z.number().int(),
  /** Catalogue fields: rows decided (seed or reviewer) and rows with a suggestion only. */
  decided: z.number().int(),
  suggested: z.number().int(),
});
export type Field = z.infer<typeof Field>;

/** Path parameter naming a field. */
export const FieldParam = z.object({ field: FieldName });

/** An entry suggested for a row, with the matcher's confidence. */
export const EntryChoice = z.object({
  entry_id: z.number().int(),
  name: z.string(),
  confidence: z.number().min(0).max(1),
  /** The entry's other columns from its reference list (brand, model number…); empty when it has none. */
  attributes: z.record(z.string(), z.string()),
});
export type EntryChoice = z.infer<typeof EntryChoice>;

/** Query of GET /fields/:field/review. */
export const CatalogueReviewQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  /** Rows after this (confidence, product id) position: `next_after` of the previous page. */
  after: z.string().max(100).regex(/^[0-9.]+:[0-9]+$/, "not a position of this API").optional(),
  /** Only the rows suggested this entry: the group a bulk decision takes. */
  entry_id: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  /** Only the rows of this import (file). */
  import_id: z.coerce.number().int().positive().max(2_147_483_647).optional(),
});
export type CatalogueReviewQuery = z.infer<typeof CatalogueReviewQuery>;

/** One card of a catalogue field's review queue. */
export const CatalogueCard = z.object({
  product_id: z.number().int(),
  text: z.string(),
  data: z.record(z.string(), z.unknown()),
  suggestion: EntryChoice,
  alternatives: z.array(EntryChoice),
});
export type CatalogueCard = z.infer<typeof CatalogueCard>;

/** GET /fields/:field/review: undecided rows, least confident suggestion first. */
export const CatalogueReviewPage = z.object({
  field: z.string(),
  /**
   * Rows waiting for a decision (with `entry_id`: those suggested that entry), exact up to 10,000; past
   * that, 10,000 and `waiting_capped`.
   */
  waiting: z.number().int(),
  waiting_capped: z.boolean(),
  items: z.array(CatalogueCard),
  next_after: z.string().nullable(),
});
export type CatalogueReviewPage = z.infer<typeof CatalogueReviewPage>;

/** Body of POST /fields/:field/decisions: the row's entry, an existing one or a new canonical name. */
export const CatalogueDecisionInput = z.object({
  product_id: z.number().int().positive().max(2_147_483_647),
  entry_id: z.number().int().positive().max(2_147_483_647).optional(),
  /** "None of these": a canonical entry to create (or the existing entry of that name). */
  new_entry: z.string().trim().min(1).max(MAX_VALUE_LENGTH).optional(),
  /** The entry the card suggested, so that approvals and corrections are told apart. */
  suggested_entry_id: z.number().int().positive().max(2_147_483_647).nullish(),
  /**
   * The row's standing decision the reviewer saw; null: the row was undecided (a card of the queue). When
   * it is another one by then, nothing is stored and the answer is 409 naming it. Absent: no check.
   */
  expected_decision_id: z.number().int().positive().max(2_147_483_647).nullable().optional(),
}).refine(
  (input) => (input.entry_id === undefined) !== (input.new_entry === undefined),
  { message: "give exactly one of entry_id and new_entry", path: ["entry_id"] },
);
export type CatalogueDecisionInput = z.infer<typeof CatalogueDecisionInput>;

/** A stored catalogue decision. */
export const CatalogueDecisionSaved = z.object({
  decision_id: z.number().int(),
  product_id: z.number().int(),
  entry: z.object({ entry_id: z.number().int(), name: z.string() }),
  created_entry: z.boolean(),
});
export type CatalogueDecisionSaved = z.infer<typeof CatalogueDecisionSaved>;

/** Body of POST /fields/:field/decisions/bulk: one entry for a group of rows suggested the same one. */
export const CatalogueBulkDecisionInput = z.object({
  product_ids: z.array(productId).min(1).max(MAX_BULK_PRODUCTS),
  entry_id: z.number().int().positive().max(2_147_483_647).optional(),
  /** "None of these": a canonical entry to create (or the existing entry of that name). */
  new_entry: z.string().trim().min(1).max(MAX_VALUE_LENGTH).optional(),
  /**
   * The entry every row was suggested when the reviewer looked. A row suggested another one by then, or
   * decided meanwhile, is skipped and reported, never decided blindly.
   */
  expected_entry_id: z.number().int().positive().max(2_147_483_647),
  /** Only report what would happen. */
  dry_run: z.boolean().default(false),
}).refine(
  (input) => (input.entry_id === undefined) !== (input.new_entry === undefined),
  { message: "give exactly one of entry_id and new_entry", path: ["entry_id"] },
);
export type CatalogueBulkDecisionInput = z.infer<typeof CatalogueBulkDecisionInput>;

/** A row of a catalogue bulk decision that was left alone, and why. */
export const CatalogueBulkSkipped = z.object({
  product_id: z.number().int(),
  /**
   * not_found: no such imported product; decided: the row has a decision or seed value by now;
   * suggestion_changed: the row is suggested another entry (or none) by now.
   */
  reason: z.enum(["not_found", "decided", "suggestion_changed"]),
});
export type CatalogueBulkSkipped = z.infer<typeof CatalogueBulkSkipped>;

/** What POST /fields/:field/decisions/bulk answers: the preview (dry_run) or what was stored. */
export const CatalogueBulkDecisionResult = z.object({
  dry_run: z.boolean(),
  /** The entry decided; null for a preview of a name the field has no entry of yet. */
  entry: z.object({ entry_id: z.number().int(), name: z.string() }).nullable(),
  created_entry: z.boolean(),
  /** Distinct ids asked for (duplicates count once). */
  requested: z.number().int(),
  /** Rows decided, or that would be. */
  count: z.number().int(),
  /** Those rows in product id order, with their decisions' ids (none for a preview). */
  product_ids: z.array(z.number().int()),
  decision_ids: z.array(z.number().int()),
  skipped: z.array(CatalogueBulkSkipped),
});
export type CatalogueBulkDecisionResult = z.infer<typeof CatalogueBulkDecisionResult>;

/** Path of POST /fields/:field/decisions/:id/undo: the field and the decision's id. */
export const FieldDecisionParam = z.object({
  field: FieldName,
  id: z.coerce.number().int().positive().max(2_147_483_647),
});

/** POST /fields/:field/decisions/:id/undo: the decision withdrawn and what the row holds again. */
export const CatalogueDecisionWithdrawn = z.object({
  decision_id: z.number().int(),
  product_id: z.number().int(),
  /**
   * The row's value now: the decision before that still stands (human), the value its file's seed column
   * gave (seed), or null: the row has no answer and waits for the next match to suggest one.
   */
  restored: z.object({
    source: z.enum(["human", "seed"]),
    entry_id: z.number().int(),
    name: z.string(),
  }).nullable(),
});
export type CatalogueDecisionWithdrawn = z.infer<typeof CatalogueDecisionWithdrawn>;

/** What POST /fields/:field/entries added from a reference list. */
export const EntriesUploaded = z.object({
  field: z.string(),
  rows: z.number().int(),
  added: z.number().int(),
  /** Names the field already had (by key), repeats within the list included. */
  existing: z.number().int(),
  /** Rows with an empty name, left out. */
  skipped: z.number().int(),
});
export type EntriesUploaded = z.infer<typeof EntriesUploaded>;

/** GET /fields: every field in position order (`category` first), with its counts. */
export const FieldList = z.object({ fields: z.array(Field) });
export type FieldList = z.infer<typeof FieldList>;

/** Query of GET /fields/:field/entries. */
export const EntriesQuery = z.object({
  /** Entries whose name holds this text (case, spacing and Unicode forms ignored). */
  q: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** `next_after` of the previous page. */
  after: z.coerce.number().int().min(0).max(2_147_483_647).optional(),
});
export type EntriesQuery = z.infer<typeof EntriesQuery>;

/** GET /fields/:field/entries: a page of the field's canonical entries, in id order. */
export const EntryList = z.object({
  field: z.string(),
  entries: z.array(z.object({
    entry_id: z.number().int(),
    name: z.string(),
    attributes: z.record(z.string(), z.string()),
    source: z.enum(["upload", "seed", "review"]),
    /** Rows whose standing value is this entry (a decision or a seed value). */
    decided: z.number().int(),
  })),
  next_after: z.number().int().nullable(),
});
export type EntryList = z.infer<typeof EntryList>;

/** DELETE /fields/:field/entries/:id: the entry retired. */
export const EntryRetired = z.object({ entry_id: z.number().int(), name: z.string() });
export type EntryRetired = z.infer<typeof EntryRetired>;
