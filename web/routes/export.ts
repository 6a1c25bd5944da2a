/** GET /export: the normalised catalogue as CSV or JSON Lines, streamed page by page. */
import type { AppEnv } from "../http/app_env.ts";
import { Hono } from "hono";
import { z } from "zod";
import { ExportLine, ExportQuery } from "../../contract/schemas.ts";
import { parseInput } from "../../core/parse_input.ts";
import { EXPORT_FORMATS } from "../../core/export/export_format.ts";
import { exportStream, planExport } from "../../core/export/export_stream.ts";
import type { RouteDoc } from "../http/openapi.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";

/** Builds the export route. */
export function exportRoutes(deps: ApiDependencies): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/export", async (c) => {
    const query = parseInput(ExportQuery, c.req.query(), "export query");
    const plan = await planExport(deps.db, query);
    return new Response(exportStream(deps.db, plan), {
      headers: {
        "content-type": EXPORT_FORMATS[plan.format].contentType,
        "content-disposition": `attachment; filename="${plan.fileName}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
        "x-total-rows": String(plan.totalRows),
        // Column names may be any text; a header value must be ASCII, hence percent-encoded JSON.
        ...(plan.renamed.length > 0
          ? { "x-export-notes": encodeURIComponent(JSON.stringify(plan.renamed)) }
          : {}),
      },
    });
  });
  return routes;
}

/** Descriptions of the export route for the OpenAPI document. */
export const exportDocs: RouteDoc[] = [{
  method: "get",
  path: "/export",
  tag: "API",
  summary: "Export the normalised catalogue",
  description: "Streams every chosen row, in file order, with its original columns plus the normalised " +
    "value (written to value_column) and, with meta=true, its source (human, seed, auto or model), the " +
    "model's confidence and model version. CSV cells starting with = + - @ tab or CR are prefixed with a " +
    "single quote (plain numbers such as -5 excepted); JSON Lines are data, written as is. Imports with " +
    "different columns are united in first-seen order; a row gets an empty cell for a column its file lacks. " +
    "A meta column whose name the file already has takes the first free <name>_2, <name>_3…, noted in " +
    "X-Export-Notes (percent-encoded JSON list of sentences).",
  query: ExportQuery,
  responses: {
    200: {
      description: "The export, streamed (Content-Disposition: attachment; X-Total-Rows: the rows " +
        "matching when it began, for progress)",
      content: { "text/csv": z.string(), "application/jsonl": ExportLine },
    },
  },
  errors: [404, 422],
}];
