/** The web application: API routes, server-rendered pages with islands, static assets. */
import { Hono } from "hono";
import { handleError } from "./lib/api_error.ts";
import { type ApiDependencies, apiRoutes } from "./routes/api.ts";
import { pageRoutes } from "./routes/pages.tsx";
import { staticRoutes } from "./routes/static.ts";

/** Builds the app; tests call `app.request()` on it without a server. */
export function createApp(deps: ApiDependencies): Hono {
  const app = new Hono();
  app.onError(handleError);
  app.notFound((c) =>
    c.json({ error: { status: 404, message: `No route for ${c.req.method} ${c.req.path}` } }, 404)
  );
  app.route("/", apiRoutes(deps));
  app.route("/", pageRoutes(deps));
  app.route("/static", staticRoutes());
  return app;
}
