/**
 * GET /workers: the workers' heartbeats. One path, two readers: tools get JSON (the default), a
 * browser that asks for text/html gets the ops page, whose island then polls the same path for JSON.
 */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { wantsHtml } from "../http/content_negotiation.ts";
import { renderToString } from "preact-render-to-string";
import { z } from "zod";
import { WorkerList } from "../../contract/schemas.ts";
import { listWorkers } from "../../core/jobs/heartbeat.ts";
import { Island } from "../components/Island.tsx";
import { Layout } from "../components/Layout.tsx";
import { declaredRouter, defineRoute } from "../http/define_route.ts";
import type { ApiDependencies } from "../http/app_dependencies.ts";

const listWorkersRoute = defineRoute({
  method: "get",
  path: "/workers",
  access: "ops",
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
});

/** Builds the /workers route. */
export function workerRoutes(deps: Pick<ApiDependencies, "db">): OpenAPIHono<AppEnv> {
  const routes = declaredRouter();
  routes.openapi(listWorkersRoute, async (c) => {
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
