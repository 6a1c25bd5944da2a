/** Bulk decisions: the similar rows of a review card, and one decision for a group of them. */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import {
  BulkFeedbackInput,
  BulkFeedbackResult,
  IdParam,
  SimilarQuery,
  SimilarRows,
} from "../../contract/schemas.ts";
import { ApiProblem } from "../http/api_error.ts";
import { saveBulkFeedback } from "../../core/review/bulk_feedback.ts";
import { requireUser } from "../http/current_user.ts";
import { declaredRouter, defineRoute, jsonBody } from "../http/define_route.ts";
import { readSimilarRows } from "../../core/review/similar_rows.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";

const similarRows = defineRoute({
  method: "get",
  path: "/products/{id}/similar",
  access: "reviewer",
  tag: "API",
  summary: "Unlabelled rows similar to a product that share its suggestion, nearest first",
  description: "Exact cosine similarity over the vectors of the running embedding model, among the " +
    "unlabelled rows whose current suggestion equals the product's; with `import_id`, only that " +
    "import's rows (the review page's scope). A product without a vector or a " +
    "suggestion answers with no rows and `reason` / `message` saying why.",
  request: { params: IdParam, query: SimilarQuery },
  names: { param: "product id" },
  responses: { 200: { description: "The group", content: { "application/json": SimilarRows } } },
  errors: [404, 422],
});

// Audited by the handler: one feedback.bulk entry per decided row; previews change nothing.
const submitBulk = defineRoute({
  method: "post",
  path: "/submit-feedback-bulk",
  access: "reviewer",
  tag: "API",
  summary: "Approve or correct a group of rows in one decision (or preview it with dry_run)",
  description: "Duplicate ids count once. Rows labelled meanwhile or whose suggestion is no longer " +
    "`expected_value` are skipped and listed with the reason. Without dry_run, one transaction stores " +
    "a feedback row, the label and an audit entry (kind feedback.bulk, with the group id and size) per " +
    "row; an error on any row stores none.",
  request: { body: jsonBody(BulkFeedbackInput) },
  names: { json: "bulk feedback" },
  responses: {
    200: { description: "Preview (dry_run)", content: { "application/json": BulkFeedbackResult } },
    201: { description: "Stored", content: { "application/json": BulkFeedbackResult } },
  },
  errors: [400, 413, 415, 422],
});

/** Builds the bulk-decision routes. */
export function bulkRoutes(deps: ApiDependencies): OpenAPIHono<AppEnv> {
  const routes = declaredRouter();

  routes.openapi(similarRows, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const similar = await readSimilarRows(deps.db, id, { ...query, modelId: deps.modelId });
    if (!similar) throw new ApiProblem(404, `Cannot find similar rows: no product with id ${id}`);
    return c.json(similar);
  });

  routes.openapi(submitBulk, async (c) => {
    const input = c.req.valid("json");
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
