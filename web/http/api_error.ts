/**
 * The one error shape of the API: `{ error: { status, message, details? } }`. Expected failures carry
 * their status (HTTP-only refusals as ApiProblem, the core's refusals as DomainError, mapped here and only
 * here); anything else is logged and answered with a plain 500 that reveals no internals.
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { HTTPException } from "hono/http-exception";
import type { ApiError } from "../../contract/schemas.ts";
import { DomainError, type DomainErrorKind } from "../../core/domain_error.ts";

/** An expected failure that only HTTP has (authentication, CSRF, routing, media types of the request). */
export class ApiProblem extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
    readonly details?: string[],
    /** Fields the error object carries besides status, message and details (see ApiError). */
    readonly fields?: Omit<ApiError["error"], "status" | "message" | "details">,
  ) {
    super(message);
    this.name = "ApiProblem";
  }
}

/** RFC 9110's status for each kind of domain refusal (422 per RFC 4918 §11.2 for well-formed but invalid). */
const STATUS_OF_KIND: Record<DomainErrorKind, ContentfulStatusCode> = {
  malformed: 400,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported: 415,
  invalid: 422,
};

/** The HTTP status that answers a domain refusal. */
export function statusOf(error: DomainError): ContentfulStatusCode {
  return STATUS_OF_KIND[error.kind];
}

function body(
  status: number,
  message: string,
  details?: string[],
  fields?: ApiProblem["fields"],
): ApiError {
  return { error: { status, message, ...(details ? { details } : {}), ...fields } };
}

/** Hono's onError handler. */
export function handleError(error: Error, c: Context): Response {
  if (error instanceof ApiProblem) {
    return c.json(body(error.status, error.message, error.details, error.fields), error.status);
  }
  if (error instanceof DomainError) {
    const status = statusOf(error);
    return c.json(body(status, error.message, error.details, error.fields), status);
  }
  if (error instanceof HTTPException) {
    return c.json(body(error.status, error.message || "Request failed"), error.status);
  }
  console.error(`${c.req.method} ${c.req.path} failed:`, error);
  return c.json(body(500, "Internal server error"), 500);
}
