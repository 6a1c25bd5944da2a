/** Server-rendered pages; the interactive parts are islands hydrated in the browser. */
import { Hono } from "hono";
import { renderToString } from "preact-render-to-string";
import type { VNode } from "preact";
import { Island } from "../components/Island.tsx";
import { Layout } from "../components/Layout.tsx";
import { readImportProgress } from "../lib/import_progress.ts";
import type { ApiDependencies } from "./api.ts";

function page(node: VNode): string {
  return `<!DOCTYPE html>${renderToString(node)}`;
}

/** Builds the page routes. */
export function pageRoutes(deps: ApiDependencies): Hono {
  const pages = new Hono();

  pages.get("/", async (c) => {
    const imports = await readImportProgress(deps.db, { modelId: deps.modelId });
    return c.html(page(
      <Layout title="Imports" active="imports">
        <h1 class="text-2xl font-semibold mb-4">Upload a supplier CSV</h1>
        <Island name="UploadForm" props={{ maxUploadBytes: deps.maxUploadBytes }} />
        <h2 class="text-xl font-semibold mt-8 mb-3">Imports</h2>
        <Island name="ImportList" props={{ imports }} />
      </Layout>,
    ));
  });

  pages.get("/upload", (c) => c.redirect("/", 303));

  pages.get("/review", (c) => {
    const raw = Number(c.req.query("import_id"));
    const importId = Number.isInteger(raw) && raw > 0 ? raw : null;
    return c.html(page(
      <Layout title="Review" active="review">
        <h1 class="text-2xl font-semibold mb-4">Review{importId ? ` import ${importId}` : ""}</h1>
        <Island name="ReviewQueue" props={{ importId, pageSize: 20 }} />
      </Layout>,
    ));
  });

  return pages;
}
