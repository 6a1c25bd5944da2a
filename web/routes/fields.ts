/**
 * Fields: the normalised values a product carries. Ops add catalogue fields and upload their reference
 * lists; reviewers work through a field's review queue and decide rows. The matching itself runs in the
 * workers (core/catalogue/catalogue_schedule.ts), which pick up the requests these routes make.
 */
import fs from "node:fs";
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import {
  CatalogueBulkDecisionInput,
  CatalogueBulkDecisionResult,
  CatalogueDecisionInput,
  CatalogueDecisionSaved,
  CatalogueDecisionWithdrawn,
  CatalogueReviewPage,
  CatalogueReviewQuery,
  EntriesQuery,
  EntriesUploaded,
  EntryList,
  EntryRetired,
  Field,
  FieldDecisionParam,
  FieldInput,
  FieldList,
  FieldParam,
} from "../../contract/schemas.ts";
import { DomainError } from "../../core/domain_error.ts";
import { addField, listFields, readCatalogueField, requestCatalogueMatch } from "../../core/fields/fields.ts";
import { addEntries } from "../../core/catalogue/catalogue_entries.ts";
import { parseReferenceList } from "../../core/imports/reference_list.ts";
import { readCatalogueReviewPage } from "../../core/catalogue/catalogue_review.ts";
import { saveCatalogueDecision } from "../../core/catalogue/catalogue_decision.ts";
import { saveCatalogueBulkDecision } from "../../core/catalogue/catalogue_bulk_decision.ts";
import { withdrawCatalogueDecision } from "../../core/catalogue/catalogue_withdraw.ts";
import { listEntries, retireEntry } from "../../core/catalogue/entry_list.ts";
import { type SpooledUpload, spoolUpload } from "../../core/imports/upload_spool.ts";
import { ApiProblem } from "../http/api_error.ts";
import { requireUser } from "../http/current_user.ts";
import { declaredRouter, defineRoute, jsonBody } from "../http/define_route.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";

/**
 * A reference list is read whole into memory to be parsed: at most this many bytes (or the server's
 * upload limit, when lower). 64 MiB holds the 500,000 entries a list may have with room for attributes.
 */
export const MAX_REFERENCE_LIST_BYTES = 64 * 1024 * 1024;

/** Body types a reference list may come as: CSV under the names clients give it, or a form. */
const REFERENCE_LIST_TYPES = new Set([
  "text/csv",
  "application/csv",
  "text/plain",
  "text/tab-separated-values",
  "application/vnd.ms-excel", // what Windows browsers call a .csv file
  "application/octet-stream",
  "multipart/form-data",
]);

const listFieldsRoute = defineRoute({
  method: "get",
  path: "/fields",
  access: "reviewer",
  tag: "API",
  summary: "The normalised fields, in position order, with their counts",
  description: "`category` (kind label) first: the value the classifier, the review page and the models " +
    "serve. Then the catalogue fields, each matched to an entry of its canonical list, with how many " +
    "entries it has (and how many still wait for their embedding), how many rows are decided (seed or " +
    "reviewer) and how many have a suggestion only.",
  responses: { 200: { description: "The fields", content: { "application/json": FieldList } } },
});

const addFieldRoute = defineRoute({
  method: "post",
  path: "/fields",
  access: "ops",
  audit: "field.add",
  tag: "API",
  summary: "Add a catalogue field",
  description: "The name (1–40 lower-case letters, digits or underscores, starting with a letter) is the " +
    "field's export column and URL segment, and never changes: 409 when a field has it. Only kind " +
    "`catalogue` can be added (422 for `label`: the label field is `category`). `seed_column`: the column " +
    "of imported files whose non-empty values are already decided for this field, each value an entry; " +
    "it applies to files imported after the field is added, unless an upload's `field_columns` chooses " +
    "another column (or none) for its file. At most 20 fields (413). The workers match " +
    "the field's rows once it has entries (POST /fields/{field}/entries).",
  request: { body: jsonBody(FieldInput) },
  names: { json: "field" },
  responses: { 201: { description: "Added", content: { "application/json": Field } } },
  errors: [400, 409, 413, 415, 422],
});

const uploadEntries = defineRoute({
  method: "post",
  path: "/fields/{field}/entries",
  access: "ops",
  audit: "field.entries",
  tag: "API",
  summary: "Upload a catalogue field's reference list (its canonical entries)",
  description: "Body: a CSV file (text/csv) or a form with the file in `file`. Its header names the " +
    "columns; the canonical name is the column `name` (any case), else the first column, and the other " +
    "non-empty cells are kept as the entry's attributes. UTF-8, UTF-16 with a byte order mark or " +
    "Windows-1252; delimiter `,` `;` tab or `|`, guessed. Rows with an empty name are skipped and counted " +
    "as `skipped`; a name the field already has (case, spacing and Unicode forms ignored: core/text_key.ts) " +
    "is left as it is and counted as `existing`. One transaction adds the entries and asks the workers to " +
    "match the field again; a refused list adds nothing. At most 64 MiB (or the server's upload limit, " +
    "when lower: 413) and 500,000 rows (413); 415 for a compressed, zipped or binary file; 422 for a label " +
    "field, a list without a header and a row, a row with more or fewer fields than the header or a name " +
    "over 500 characters (each with its line).",
  request: { params: FieldParam },
  names: { param: "field" },
  // Spooled as it arrives (as POST /upload-csv): the handler reads it.
  described: { body: { "text/csv": z.string(), "multipart/form-data": z.object({ file: z.file() }) } },
  responses: { 201: { description: "Added", content: { "application/json": EntriesUploaded } } },
  errors: [400, 404, 413, 415, 422],
});

const reviewQueue = defineRoute({
  method: "get",
  path: "/fields/{field}/review",
  access: "reviewer",
  tag: "API",
  summary: "A catalogue field's review queue: rows with a suggested entry, least confident first",
  description: "Each card has the row's text and cells, the suggested entry with the matcher's " +
    "confidence and the runners-up. Rows decided (by a reviewer or the seed column) are not in it; a row " +
    "waits here once a worker has matched the field. `waiting` counts the whole queue; with `entry_id`, " +
    "only the rows suggested that entry (a group for POST /fields/{field}/decisions/bulk; 404 when it is " +
    "no entry of the field); with `import_id`, only that file's rows. Follow `next_after` (as `after`) " +
    "for the next page. 422 for a label field (its queue is GET /products-for-review).",
  request: { params: FieldParam, query: CatalogueReviewQuery },
  names: { param: "field", query: "review query" },
  responses: { 200: { description: "One page", content: { "application/json": CatalogueReviewPage } } },
  errors: [404, 422],
});

const decide = defineRoute({
  method: "post",
  path: "/fields/{field}/decisions",
  access: "reviewer",
  audit: "field.decision",
  tag: "API",
  summary: "Decide a row's entry for a catalogue field",
  description: 'The row is `entry_id` (an entry of this field: 404 otherwise) or, for "none of these", ' +
    "`new_entry`: a canonical name, created as an entry (`created_entry` true) unless the field has one " +
    "of that name (compared case- and accent-insensitively), which is taken instead. Give exactly one of " +
    "the two; `suggested_entry_id` is the entry the card suggested, so approvals and corrections are " +
    "told apart. The reviewer is the signed-in account. The decision replaces the row's suggestion (it " +
    "leaves the review queue), is kept in the field's history, and asks the workers to match the field " +
    "again with it. `expected_decision_id` is the row's standing decision the reviewer saw (null: the " +
    "row was undecided, as every card of the review queue is): when another one stands by then, nothing " +
    "is stored and the answer is 409 naming who decided what, with `error.current_decision_id` (send it " +
    "as `expected_decision_id` to replace that decision knowingly). 404 for an unknown product or field, " +
    "422 for a label field.",
  request: { params: FieldParam, body: jsonBody(CatalogueDecisionInput) },
  names: { param: "field", json: "catalogue decision" },
  responses: { 201: { description: "Stored", content: { "application/json": CatalogueDecisionSaved } } },
  errors: [400, 404, 409, 413, 415, 422],
});

const decideGroup = defineRoute({
  method: "post",
  path: "/fields/{field}/decisions/bulk",
  access: "reviewer",
  audit: "field.decision.bulk",
  tag: "API",
  summary: "Decide one entry for a group of rows",
  description: "For rows the matcher suggested the same entry (`GET /fields/{field}/review?entry_id=` " +
    'lists them): `product_ids` (1–500, duplicates count once) all become `entry_id` or, for "none of ' +
    'these", `new_entry` (as for one decision). `expected_entry_id` is the entry the reviewer saw ' +
    "suggested: a row suggested another entry by then (`suggestion_changed`), decided meanwhile " +
    "(`decided`) or unknown (`not_found`) is skipped and listed in `skipped`, never decided blindly. " +
    "Every row gets its own decision (`decision_ids`, in the order of `product_ids`; each can be undone " +
    "alone), all in one transaction: an error on any row stores none. `dry_run: true` previews the same " +
    "checks without storing. 409 when no row is left to decide, 404 for an unknown field or `entry_id`, " +
    "422 for a label field or an `expected_entry_id` of another field.",
  request: { params: FieldParam, body: jsonBody(CatalogueBulkDecisionInput) },
  names: { param: "field", json: "catalogue bulk decision" },
  responses: {
    200: {
      description: "The preview (dry_run)",
      content: { "application/json": CatalogueBulkDecisionResult },
    },
    201: { description: "Stored", content: { "application/json": CatalogueBulkDecisionResult } },
  },
  errors: [400, 404, 409, 413, 415, 422],
});

const undoDecision = defineRoute({
  method: "post",
  path: "/fields/{field}/decisions/{id}/undo",
  access: "reviewer",
  audit: "field.undo",
  tag: "API",
  summary: "Undo a catalogue decision",
  description: "Withdraws decision `id` of the field (the `decision_id` POST /fields/{field}/decisions " +
    "answered). Only a row's latest standing decision can be withdrawn: 409 when it was undone already or " +
    "a later decision stands (undo that one first). The row's value becomes the decision before it, else " +
    "the value its file's seed column gave, else none (`restored` null): the row then waits for the next " +
    "match, which the undo asks the workers for, to be suggested and reviewed again. The decision stays " +
    "in the field's history, marked withdrawn by the signed-in account. 404 for an unknown field or a " +
    "decision of another field, 422 for a label field.",
  request: { params: FieldDecisionParam },
  names: { param: "decision" },
  responses: {
    200: { description: "Withdrawn", content: { "application/json": CatalogueDecisionWithdrawn } },
  },
  errors: [404, 409, 422],
});

const entryList = defineRoute({
  method: "get",
  path: "/fields/{field}/entries",
  access: "reviewer",
  tag: "API",
  summary: "A catalogue field's canonical entries",
  description: "In id order, `limit` (default 100, at most 500) after entry `after` (`next_after` of the " +
    "previous page); with `q`, the entries whose name holds it (case, spacing and Unicode forms ignored). " +
    "`decided`: rows whose standing value is the entry. Retired entries are left out. 404 for an unknown " +
    "field, 422 for a label field.",
  request: { params: FieldParam, query: EntriesQuery },
  names: { param: "field" },
  responses: { 200: { description: "The entries", content: { "application/json": EntryList } } },
  errors: [404, 422],
});

// Audited: retiring changes what every reviewer is offered.
const retireEntryRoute = defineRoute({
  method: "delete",
  path: "/fields/{field}/entries/{id}",
  access: "ops",
  audit: "field.entry.retire",
  tag: "API",
  summary: "Retire a canonical entry added by mistake",
  description: "The entry is no longer suggested and the field is matched again in full; decisions that " +
    "named it stay in the history, and naming it again (a reference list, a seed value, a reviewer " +
    "typing it) brings it back. 409 while rows are decided to it (a standing decision or a seed value: " +
    "change those first); 404 for an unknown or retired entry; 422 for a label field.",
  request: { params: FieldDecisionParam },
  names: { param: "entry" },
  responses: { 200: { description: "Retired", content: { "application/json": EntryRetired } } },
  errors: [404, 409, 422],
});

/** Receives the reference list (CSV body or form field `file`) within `limit` bytes; returns its bytes. */
async function receiveReferenceList(request: Request, limit: number): Promise<Uint8Array> {
  const contentType = request.headers.get("content-type") ?? "";
  const mediaType = contentType.split(";")[0].trim().toLowerCase();
  if (!REFERENCE_LIST_TYPES.has(mediaType)) {
    throw new ApiProblem(
      415,
      `Cannot read a reference list of type "${mediaType || "none"}": send text/csv, or ` +
        `multipart/form-data with the file in the field "file"`,
    );
  }
  let upload: SpooledUpload;
  try {
    upload = await spoolUpload(request, limit);
  } catch (error) {
    if (error instanceof DomainError && error.kind === "too_large") {
      throw new DomainError(
        "too_large",
        `Cannot read the reference list: it is larger than the limit of ${limit} bytes`,
      );
    }
    throw error;
  }
  try {
    return new Uint8Array(fs.readFileSync(upload.path));
  } finally {
    upload.dispose();
  }
}

/** Builds the field routes. */
export function fieldRoutes(deps: ApiDependencies): OpenAPIHono<AppEnv> {
  const routes = declaredRouter();

  routes.openapi(listFieldsRoute, async (c) => c.json({ fields: await listFields(deps.db) }));

  routes.openapi(addFieldRoute, async (c) => {
    const input = c.req.valid("json");
    const added = await addField(deps.db, input);
    // The field as GET /fields lists it: a new field has no entries and no rows matched yet.
    const field = (await listFields(deps.db)).find((item) => item.id === added.id);
    if (!field) throw new Error(`The field "${added.name}" vanished after it was added`);
    return c.json(field, 201);
  });

  routes.openapi(uploadEntries, async (c) => {
    const { field: name } = c.req.valid("param");
    // A label field or an unknown name is refused before the body is read.
    const field = await readCatalogueField(deps.db, name);
    const bytes = await receiveReferenceList(
      c.req.raw,
      Math.min(deps.maxUploadBytes, MAX_REFERENCE_LIST_BYTES),
    );
    const { entries, rows, skipped } = parseReferenceList(bytes);
    const counts = await deps.db.transaction(async (tx) => {
      const added = await addEntries(tx, field.id, entries, "upload");
      await requestCatalogueMatch(tx, [field.id], { full: true });
      return added;
    });
    return c.json({ field: field.name, rows, ...counts, skipped }, 201);
  });

  routes.openapi(reviewQueue, async (c) => {
    const { field: name } = c.req.valid("param");
    const field = await readCatalogueField(deps.db, name);
    return c.json(await readCatalogueReviewPage(deps.db, field, c.req.valid("query")));
  });

  routes.openapi(decide, async (c) => {
    const { field: name } = c.req.valid("param");
    const body = c.req.valid("json");
    // As for POST /submit-feedback: the account's name, which a client cannot choose.
    const reviewer = requireUser().name;
    const field = await readCatalogueField(deps.db, name);
    return c.json(await saveCatalogueDecision(deps.db, field, body, reviewer), 201);
  });

  routes.openapi(decideGroup, async (c) => {
    const { field: name } = c.req.valid("param");
    const body = c.req.valid("json");
    const reviewer = requireUser().name;
    const field = await readCatalogueField(deps.db, name);
    const result = await saveCatalogueBulkDecision(deps.db, field, body, reviewer);
    return c.json(result, result.dry_run ? 200 : 201);
  });

  routes.openapi(entryList, async (c) => {
    const { field: name } = c.req.valid("param");
    const field = await readCatalogueField(deps.db, name);
    return c.json({ field: field.name, ...await listEntries(deps.db, field, c.req.valid("query")) }, 200);
  });

  routes.openapi(retireEntryRoute, async (c) => {
    const { field: name, id } = c.req.valid("param");
    const field = await readCatalogueField(deps.db, name);
    return c.json(await retireEntry(deps.db, field, id), 200);
  });

  routes.openapi(undoDecision, async (c) => {
    const { field: name, id } = c.req.valid("param");
    // The account's name, as for a decision: it is kept as who withdrew it.
    const reviewer = requireUser().name;
    const field = await readCatalogueField(deps.db, name);
    return c.json(await withdrawCatalogueDecision(deps.db, field, id, reviewer), 200);
  });

  return routes;
}
