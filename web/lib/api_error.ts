/**
 * The one error shape of the API: `{ error: { status, message, details? } }`. Expected failures carry
 * their status; anything else is logged and answered with a plain 500 that reveals no internals.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import { z } from "zod";
import type { ApiError, StoredDecision } from "../../contract/schemas.ts";
import { ImportError } from "./import_error.ts";
import { FeedbackError } from "./feedback.ts";

/** An expected API failure. */
export class ApiProblem extends Error {
  constructor(readonly status: ContentfulStatusCode, message: string, readonly details?: string[]) {
    super(message);
    this.name = "ApiProblem";
  }
}

/** Parses `value` with `schema`, or throws a 422 naming each invalid field. */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message
  );
  throw new ApiProblem(422, `Invalid ${what}: ${details[0]}`, details);
}

function body(status: number, message: string, details?: string[], current?: StoredDecision): ApiError {
  return {
    error: {
      status,
      message,
      ...(details ? { details } : {}),
      ...(current ? { current_decision: current } : {}),
    },
  };
}

/** Hono's onError handler. */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof FeedbackError) {
    return c.json(body(error.status, error.message, undefined, error.current), error.status);
  }
  if (error instanceof ApiProblem || error instanceof ImportError) {
    return c.json(body(error.status, error.message, (error as ApiProblem).details), error.status);
  }
  if (error instanceof HTTPException) {
    return c.json(body(error.status, error.message || "Request failed"), error.status);
  }
  console.error(`${c.req.method} ${c.req.path} failed:`, error);
  return c.json(body(500, "Internal server error"), 500);
}
