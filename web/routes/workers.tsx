/**
 * GET /workers: the workers' heartbeats. One path, two readers: tools get JSON (the default), a
 * browser that asks for text/html gets the ops page, whose island then polls the same path for JSON.
 */
import type { AppEnv } from "../http/app_env.ts";
import { Hono } from "hono";
import { wantsHtml } from "../http/content_negotiation.ts";
import { renderToString } from "preact-render-to-string";
import { z } from "zod";
import { WorkerList } from "../../contract/schemas.ts";
import { listWorkers } from "../../core/jobs/heartbeat.ts";
import { Island } from "../components/Island.tsx";
import { Layout } from "../components/Layout.tsx";
import type { RouteDoc } from "../http/openapi.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";

/** Builds the /workers route. */
export function workerRoutes(deps: Pick<ApiDependencies, "db">): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/workers", async (c) => {
    const list = await listWorkers(deps.db);
    c.header("Vary", "Accept");
    if (!wantsHtml(c.req.header("accept"))) return c.json(list);
    return c.html(`<!DOCTYPE html>${
      renderToString(
        <Layout title="Workers" active="workers">
          <h1 class="text-2xl font-semibold mb-4">Workers</h1>
          <Island name="WorkerList" props={{ list }} />
        </Layout>,
      )
    }`);
  });
  return routes;
}

/** Description of GET /workers for the OpenAPI document. */
export const workerDocs: RouteDoc[] = [{
  method: "get",
  path: "/workers",
  tag: "API",
  summary: "Workers and their heartbeats",
  description: "Live workers first, then those stopped or silent within the last hour. JSON unless the " +
    "Accept header lists text/html, which gets the ops page.",
  responses: {
    200: {
      description: "The workers",
      content: { "application/json": WorkerList, "text/html": z.string() },
    },
  },
}];
