/** GET /openapi.json and the readable GET /api page, both from the route modules' descriptions. */
import type { AppEnv } from "../http/app_env.ts";
import { Hono } from "hono";
import { renderToString } from "preact-render-to-string";
import { z } from "zod";
import { ApiReference } from "../components/ApiReference.tsx";
import { Layout } from "../components/Layout.tsx";
import { buildOpenApiDocument, type OpenApiDocument, type RouteDoc } from "../http/openapi.ts";

const INFO = {
  title: "CSV-Sorter API",
  version: "2.0.0",
  description: 'Every error answers {"error": {"status", "message", "details"?}}. Request bodies and ' +
    "query strings are validated against these schemas before a handler runs (422 when they do not match).",
};

/** Descriptions of the two routes below. */
export const openApiDocs: RouteDoc[] = [
  {
    method: "get",
    path: "/openapi.json",
    tag: "API",
    summary: "This API as an OpenAPI 3.1 document",
    responses: { 200: { description: "The document", content: { "application/json": z.looseObject({}) } } },
  },
  {
    method: "get",
    path: "/api",
    tag: "Pages",
    summary: "This API as a readable page",
    responses: { 200: { description: "An HTML page", content: { "text/html": z.string() } } },
  },
];

/**
 * Builds the routes serving the document for `docs` (every other route module's descriptions; these two
 * routes add their own). The document is built on first request and kept: the routes do not change.
 */
export function openApiRoutes(docs: RouteDoc[]): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  let document: OpenApiDocument | undefined;
  const read = () => (document ??= buildOpenApiDocument([...docs, ...openApiDocs], INFO));
  routes.get("/openapi.json", (c) => c.json(read()));
  routes.get("/api", (c) =>
    c.html(`<!DOCTYPE html>${
      renderToString(
        <Layout title="API" active="api">
          <ApiReference document={read()} />
        </Layout>,
      )
    }`));
  return routes;
}
