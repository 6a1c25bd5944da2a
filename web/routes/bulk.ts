/** Bulk decisions: the similar rows of a review card, and one decision for a group of them. */
import type { AppEnv } from "../http/app_env.ts";
import { Hono } from "hono";
import {
  BulkFeedbackInput,
  BulkFeedbackResult,
  IdParam,
  SimilarQuery,
  SimilarRows,
} from "../../contract/schemas.ts";
import { ApiProblem } from "../http/api_error.ts";
import { parseInput } from "../../core/parse_input.ts";
import { saveBulkFeedback } from "../../core/review/bulk_feedback.ts";
import { requireUser } from "../http/current_user.ts";
import { readJsonBody } from "../http/json_body.ts";
import type { RouteDoc } from "../http/openapi.ts";
import { readSimilarRows } from "../../core/review/similar_rows.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";

/** Builds the bulk-decision routes. */
export function bulkRoutes(deps: ApiDependencies): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();

  routes.get("/products/:id/similar", async (c) => {
    const { id } = parseInput(IdParam, { id: c.req.param("id") }, "product id");
    const query = parseInput(SimilarQuery, c.req.query(), "query");
    const similar = await readSimilarRows(deps.db, id, { ...query, modelId: deps.modelId });
    if (!similar) throw new ApiProblem(404, `Cannot find similar rows: no product with id ${id}`);
    return c.json(similar);
  });

  routes.post("/submit-feedback-bulk", async (c) => {
    const input = parseInput(BulkFeedbackInput, await readJsonBody(c.req.raw), "bulk feedback");
    // As for POST /submit-feedback: the account's name, which a client cannot choose.
    const user = requireUser();
    const reviewer = user.name;
    const result = await saveBulkFeedback(deps.db, input, {
      modelId: deps.modelId,
      reviewer,
      actor: { name: user.name, id: user.id, via: user.via },
      models: deps.models,
    });
    // Each decided row has its own entry (kind feedback.bulk), written in the decision's transaction. A
    // preview changes nothing and the review card sends one per checkbox click: no entry. A refused or
    // failed request never gets here and keeps the generic entry (….refused, ….failed).
    c.set("audited", true);
    return c.json(result, result.dry_run ? 200 : 201);
  });

  return routes;
}

/** Descriptions of the bulk-decision routes for the OpenAPI document. */
export const bulkDocs: RouteDoc[] = [
  {
    method: "get",
    path: "/products/:id/similar",
    tag: "API",
    summary: "Unlabelled rows similar to a product that share its suggestion, nearest first",
    description: "Exact cosine similarity over the vectors of the running embedding model, among the " +
      "unlabelled rows whose current suggestion equals the product's; with `import_id`, only that " +
      "import's rows (the review page's scope). A product without a vector or a " +
      "suggestion answers with no rows and `reason` / `message` saying why.",
    params: IdParam,
    query: SimilarQuery,
    responses: { 200: { description: "The group", content: { "application/json": SimilarRows } } },
    errors: [404, 422],
  },
  {
    method: "post",
    path: "/submit-feedback-bulk",
    tag: "API",
    summary: "Approve or correct a group of rows in one decision (or preview it with dry_run)",
    description: "Duplicate ids count once. Rows labelled meanwhile or whose suggestion is no longer " +
      "`expected_value` are skipped and listed with the reason. Without dry_run, one transaction stores " +
      "a feedback row, the label and an audit entry (kind feedback.bulk, with the group id and size) per " +
      "row; an error on any row stores none.",
    body: { "application/json": BulkFeedbackInput },
    responses: {
      200: { description: "Preview (dry_run)", content: { "application/json": BulkFeedbackResult } },
      201: { description: "Stored", content: { "application/json": BulkFeedbackResult } },
    },
    errors: [400, 413, 415, 422],
  },
];
