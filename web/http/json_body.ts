/** Reads a JSON request body, refusing other types with 415 and malformed JSON with 400. */
import { ApiProblem } from "./api_error.ts";

/** The parsed body; with `optional`, an empty body (no content type) reads as `{}`. */
export async function readJsonBody(request: Request, options: { optional?: boolean } = {}): Promise<unknown> {
  const type = request.headers.get("content-type") ?? "";
  // Only JSON is read (the secure app limits JSON bodies as they arrive): another type is refused unread.
  if (!type.toLowerCase().startsWith("application/json")) {
    const empty = request.body === null || request.headers.get("content-length") === "0";
    if (options.optional && empty) return {};
    throw new ApiProblem(415, `Cannot read a body of type "${type || "none"}": send application/json`);
  }
  const text = await request.text();
  if (options.optional && text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiProblem(400, "Request body is not valid JSON");
  }
}
