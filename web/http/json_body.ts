/** Reads a JSON request body, refusing other types with 415 and malformed JSON with 400. */
import type { Context } from "hono";
import { ApiProblem } from "./api_error.ts";

/**
 * The parsed body; with `optional`, an empty body reads as `{}`. Read through Hono's body cache, so a
 * validator that runs later (a declared body, web/http/define_route.ts) parses the same text; an empty
 * optional body is left to it as `{}` and without a content type.
 */
export async function readJsonBody(c: Context, options: { optional?: boolean } = {}): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  // Only JSON is read (the secure app limits JSON bodies as they arrive): another type is refused unread.
  if (!type.toLowerCase().startsWith("application/json")) {
    const empty = c.req.raw.body === null || c.req.header("content-length") === "0";
    if (!(options.optional && empty)) {
      throw new ApiProblem(415, `Cannot read a body of type "${type || "none"}": send application/json`);
    }
    // The declared body's media-type check would refuse an empty body that names another type.
    if (type) c.req.raw = new Request(c.req.raw, { headers: withoutContentType(c.req.raw.headers) });
    return {};
  }
  const text = await c.req.text();
  if (options.optional && text.trim() === "") {
    // Hono keeps the body as a promise under the name of the method that read it.
    (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve("{}");
    return {};
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiProblem(400, "Request body is not valid JSON");
  }
}

function withoutContentType(headers: Headers): Headers {
  const copy = new Headers(headers);
  copy.delete("content-type");
  return copy;
}
