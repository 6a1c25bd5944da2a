/** Static assets: the compiled stylesheet and island bundles, built by `npm run build`. */
import type { AppEnv } from "../http/app_env.ts";
import fs from "node:fs/promises";
import path from "node:path";
import { Hono } from "hono";
import { z } from "zod";
import type { RouteDoc } from "../http/openapi.ts";

// web/static, made by web/build.ts (check_repo_paths: ignore: absent until the first build).
const STATIC_DIR = path.resolve(import.meta.dirname ?? ".", "../static");

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".map": "application/json",
  ".csv": "text/csv; charset=utf-8",
};

/** Serves files below web/static by exact relative path; no directory listings, no `..`. */
export function staticRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
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

/** Description of the static files route for the OpenAPI document (paths relative to /static). */
export const staticDocs: RouteDoc[] = [{
  method: "get",
  path: "/static/*",
  tag: "Files",
  summary: "Stylesheet and island bundles",
  params: z.object({ path: z.string().describe("e.g. build/app.css") }),
  responses: { 200: { description: "The file" }, 404: { description: "No such file" } },
}];
