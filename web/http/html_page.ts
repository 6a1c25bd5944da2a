import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { VNode } from "preact";
import { renderToString } from "preact-render-to-string";

/** Answers with a server-rendered page that no cache keeps. */
export function page(c: Context, node: VNode, status: ContentfulStatusCode = 200): Response {
  c.header("cache-control", "no-store");
  return c.html(`<!DOCTYPE html>${renderToString(node)}`, status);
}
