/** GET /export: the normalised catalogue as CSV or JSON Lines, streamed page by page. */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { ExportLine, ExportQuery } from "../../contract/schemas.ts";
import { EXPORT_FORMATS } from "../../core/export/export_format.ts";
import { exportStream, planExport } from "../../core/export/export_stream.ts";
import { declaredRouter, defineRoute } from "../http/define_route.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";

// Reads the whole catalogue, so who exported what is worth keeping although nothing changes.
const exportCatalogue = defineRoute({
  method: "get",
  path: "/export",
  access: "reviewer",
  audit: "export",
  tag: "API",
  summary: "Export the normalised catalogue",
  description: "Streams every chosen row, in file order, with its original columns plus the normalised " +
    "value (written to value_column) and, with meta=true, its source (human, seed, auto or model), the " +
    "model's confidence and model version. Then, for each catalogue field in position order (GET /fields), " +
    "a column of the field's name with the row's entry (the decided one, else the suggested one) and, with " +
    "meta=true, <field>_confidence (the matcher's, for a suggestion only) and <field>_source (seed, human " +
    "or suggested); a row without an entry for the field has empty cells. The rows filters (reviewed, " +
    "accepted) look at the category only. CSV cells starting with = + - @ tab or CR are prefixed with a " +
    "single quote (plain numbers such as -5 excepted); JSON Lines are data, written as is. Imports with " +
    "different columns are united in first-seen order; a row gets an empty cell for a column its file lacks. " +
    "A generated column whose name the file already has takes the first free <name>_2, <name>_3…, noted in " +
    "X-Export-Notes (percent-encoded JSON list of sentences).",
  request: { query: ExportQuery },
  names: { query: "export query" },
  responses: {
    200: {
      description: "The export, streamed (Content-Disposition: attachment; X-Total-Rows: the rows " +
        "matching when it began, for progress)",
      content: { "text/csv": z.string(), "application/jsonl": ExportLine },
    },
  },
  errors: [404, 422],
});

/** Builds the export route. */
export function exportRoutes(deps: ApiDependencies): OpenAPIHono<AppEnv> {
  const routes = declaredRouter();
  routes.openapi(exportCatalogue, async (c) => {
    const plan = await planExport(deps.db, c.req.valid("query"));
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
