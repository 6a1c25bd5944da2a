/** The web application: API routes, server-rendered pages with islands, static assets. */
import type { AppEnv } from "./http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { handleError } from "./http/api_error.ts";
import type { ApiDependencies } from "./http/app_dependencies.ts";
import { declaredRouter } from "./http/define_route.ts";
import { apiRoutes } from "./routes/api.ts";
import { bulkRoutes } from "./routes/bulk.ts";
import { exportRoutes } from "./routes/export.ts";
import { fieldPageRoutes } from "./routes/field_pages.tsx";
import { fieldRoutes } from "./routes/fields.ts";
import { modelRoutes } from "./routes/models.tsx";
import { openApiRoutes } from "./routes/openapi.tsx";
import { pageRoutes } from "./routes/pages.tsx";
import { staticRoutes } from "./routes/static.ts";
import { workerRoutes } from "./routes/workers.tsx";

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The app GET /openapi.json describes: the one served, which mounts this one (this app by default). */
  documented?: () => OpenAPIHono<AppEnv>;
}

/**
 * The product's routes. Only createSecureApp serves them, behind authentication, the access policy, CSRF
 * and the audit log: handlers that record who acted rely on a signed-in account.
 */
export function createApp(deps: ApiDependencies, options: AppOptions = {}): OpenAPIHono<AppEnv> {
  const app = declaredRouter();
  app.onError(handleError);
  app.notFound((c) =>
    c.json({ error: { status: 404, message: `No route for ${c.req.method} ${c.req.path}` } }, 404)
  );
  app.route("/", apiRoutes(deps));
  app.route("/", pageRoutes(deps));
  // Before fieldRoutes: GET /fields serves a browser the page and falls through to the JSON otherwise.
  app.route("/", fieldPageRoutes(deps));
  app.route("/static", staticRoutes());
  app.route("/", exportRoutes(deps));
  app.route("/", workerRoutes(deps));
  app.route("/", modelRoutes(deps));
  app.route("/", bulkRoutes(deps));
  app.route("/", fieldRoutes(deps));
  app.route("/", openApiRoutes(options.documented ?? (() => app)));
  return app;
}
