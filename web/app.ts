/** The web application: API routes, server-rendered pages with islands, static assets. */
import type { AppEnv } from "./http/app_env.ts";
import { Hono } from "hono";
import { handleError } from "./http/api_error.ts";
import type { ApiDependencies } from "./http/app_dependencies.ts";
import { apiDocs, apiRoutes } from "./routes/api.ts";
import { bulkDocs, bulkRoutes } from "./routes/bulk.ts";
import { exportDocs, exportRoutes } from "./routes/export.ts";
import { modelDocs, modelRoutes } from "./routes/models.tsx";
import { openApiRoutes } from "./routes/openapi.tsx";
import { pageDocs, pageRoutes } from "./routes/pages.tsx";
import { staticDocs, staticRoutes } from "./routes/static.ts";
import { workerDocs, workerRoutes } from "./routes/workers.tsx";

/**
 * The product's routes. Only createSecureApp serves them, behind authentication, the access policy, CSRF
 * and the audit log: handlers that record who acted rely on a signed-in account.
 */
export function createApp(deps: ApiDependencies): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(handleError);
  app.notFound((c) =>
    c.json({ error: { status: 404, message: `No route for ${c.req.method} ${c.req.path}` } }, 404)
  );
  app.route("/", apiRoutes(deps));
  app.route("/", pageRoutes(deps));
  app.route("/static", staticRoutes());
  app.route("/", exportRoutes(deps));
  app.route("/", workerRoutes(deps));
  app.route("/", modelRoutes(deps));
  app.route("/", bulkRoutes(deps));
  // Every route module's descriptions: a module that adds routes adds its `…Docs` list here too (the
  // OpenAPI test fails on a registered route the document does not describe).
  app.route(
    "/",
    openApiRoutes([
      ...apiDocs,
      ...exportDocs,
      ...pageDocs,
      ...staticDocs,
      ...workerDocs,
      ...modelDocs,
      ...bulkDocs,
    ]),
  );
  return app;
}
