/** Static assets: the compiled stylesheet and island bundles, built by `npm run build`. */
import type { AppEnv } from "../http/app_env.ts";
import fs from "node:fs/promises";
import path from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { declaredRouter, defineRoute, describeRoute } from "../http/define_route.ts";

// web/static, made by web/build.ts (check_repo_paths: ignore: absent until the first build).
const STATIC_DIR = path.resolve(import.meta.dirname ?? ".", "../static");

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
  ".csv": "text/csv; charset=utf-8",
};

// Anyone: the login page needs the stylesheet and island bundles too.
const staticFile = defineRoute({
  method: "get",
  path: "/{path}",
  access: "public",
  tag: "Files",
  summary: "Stylesheet and island bundles",
  described: { params: z.object({ path: z.string().describe("e.g. build/app.css") }) },
  responses: { 200: { description: "The file" }, 404: { description: "No such file" } },
});

/** Serves files below web/static by exact relative path; no directory listings, no `..`. */
export function staticRoutes(): OpenAPIHono<AppEnv> {
  const routes = declaredRouter();
  describeRoute(routes, staticFile);
  routes.get("/*", async (c) => {
    const relative = decodeURIComponent(c.req.path.replace(/^\/static\//, ""));
    if (!/^[a-zA-Z0-9_\-/]+\.[a-z]+$/.test(relative) || relative.includes("..")) return c.notFound();
    const file = path.join(STATIC_DIR, relative);
    const type = TYPES[path.extname(file)];
    if (!type) return c.notFound();
    try {
      const content = await fs.readFile(file);
      return c.body(content, 200, { "content-type": type, "cache-control": "no-cache" });
    } catch {
      return c.notFound();
    }
  });
  return routes;
}
