/** Server-rendered pages; the interactive parts are islands hydrated in the browser. */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { renderToString } from "preact-render-to-string";
import type { VNode } from "preact";
import { Island } from "../components/Island.tsx";
import { Layout } from "../components/Layout.tsx";
import { readImportProgress } from "../../core/imports/import_progress.ts";
import { IdParam } from "../../contract/schemas.ts";
import { declaredRouter, defineRoute } from "../http/define_route.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";

const HTML = { 200: { description: "An HTML page", content: { "text/html": z.string() } } };

// Reviewers (and ops): the pages to import, follow progress and review.
const importsPage = defineRoute({
  method: "get",
  path: "/",
  access: "reviewer",
  tag: "Pages",
  summary: "Imports: upload a CSV, see progress, export",
  responses: HTML,
});

const uploadPage = defineRoute({
  method: "get",
  path: "/upload",
  access: "reviewer",
  tag: "Pages",
  summary: "Redirects to /",
  responses: { 303: { description: "See Other" } },
});

const reviewPage = defineRoute({
  method: "get",
  path: "/review",
  access: "reviewer",
  tag: "Pages",
  summary: "The review queue",
  // Any other value shows the whole queue: read by the handler.
  described: { query: z.object({ import_id: IdParam.shape.id.optional() }) },
  responses: HTML,
});

function page(node: VNode): string {
  return `<!DOCTYPE html>${renderToString(node)}`;
}

/** Builds the page routes. */
export function pageRoutes(deps: ApiDependencies): OpenAPIHono<AppEnv> {
  const pages = declaredRouter();

  pages.openapi(importsPage, async (c) => {
    const imports = await readImportProgress(deps.db, { modelId: deps.modelId });
    return c.html(page(
      <Layout title="Imports" active="imports">
        <h1 class="text-2xl font-semibold mb-4">Upload a supplier CSV</h1>
        <Island name="UploadForm" props={{ maxUploadBytes: deps.maxUploadBytes, imports }} />
        <div class="flex items-baseline justify-between mt-8 mb-3">
          <h2 class="text-xl font-semibold">Imports</h2>
          {imports.some((item) => item.status === "imported") && (
            <div class="text-sm">
              <Island
                name="ExportButton"
                props={{ importId: null, label: "Export everything", testId: "export-all" }}
              />
            </div>
          )}
        </div>
        <Island name="ImportList" props={{ imports }} />
      </Layout>,
    ));
  });

  pages.openapi(uploadPage, (c) => c.redirect("/", 303));

  pages.openapi(reviewPage, (c) => {
    const raw = Number(c.req.query("import_id"));
    const importId = Number.isInteger(raw) && raw > 0 ? raw : null;
    return c.html(page(
      <Layout title="Review" active="review">
        <div class="flex flex-wrap items-baseline justify-between gap-2 mb-4">
          <h1 class="text-2xl font-semibold">Review{importId ? ` import ${importId}` : ""}</h1>
          <a
            class="text-sm text-blue-700 underline"
            href={importId ? `/decisions?import_id=${importId}` : "/decisions"}
            data-testid="decisions-link"
          >
            Change an earlier decision
          </a>
        </div>
        {/* Signed in, decisions are stored under the account's name: no name box to fill in. */}
        <Island name="ReviewQueue" props={{ importId, pageSize: 20 }} />
      </Layout>,
    ));
  });

  return pages;
}
