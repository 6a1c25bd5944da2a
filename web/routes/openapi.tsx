/** GET /openapi.json and the readable GET /api page, both from the app's route declarations. */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { renderToString } from "preact-render-to-string";
import { z } from "zod";
import { ApiReference } from "../components/ApiReference.tsx";
import { Layout } from "../components/Layout.tsx";
import { apiDocument, type OpenApiDocument } from "../http/api_document.ts";
import { declaredRouter, defineRoute } from "../http/define_route.ts";

const INFO = {
  title: "CSV-Sorter API",
  version: "2.0.0",
  description: 'Every error answers {"error": {"status", "message", "details"?}}. Request bodies and ' +
    "query strings are validated against these schemas before a handler runs (422 when they do not match).",
};

// The API description lists every route: signed-in users only, tools with a token.
const documentRoute = defineRoute({
  method: "get",
  path: "/openapi.json",
  access: "reviewer",
  tag: "API",
  summary: "This API as an OpenAPI 3.1 document",
  responses: { 200: { description: "The document", content: { "application/json": z.looseObject({}) } } },
});

const pageRoute = defineRoute({
  method: "get",
  path: "/api",
  access: "reviewer",
  tag: "Pages",
  summary: "This API as a readable page",
  responses: { 200: { description: "An HTML page", content: { "text/html": z.string() } } },
});

/**
 * Builds the routes serving the document of `app()`: the app that is served, whose routes (these two
 * included) it describes. The document is built on first request and kept: the routes do not change.
 */
export function openApiRoutes(app: () => OpenAPIHono<AppEnv>): OpenAPIHono<AppEnv> {
  const routes = declaredRouter();
  let document: OpenApiDocument | undefined;
  const read = () => (document ??= apiDocument(app(), INFO));
  routes.openapi(documentRoute, (c) => c.json(read()));
  routes.openapi(pageRoute, (c) =>
    c.html(`<!DOCTYPE html>${
      renderToString(
        <Layout title="API" active="api">
          <ApiReference document={read()} />
        </Layout>,
      )
    }`));
  return routes;
}
