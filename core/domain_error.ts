/**
 * An expected refusal of a domain operation, said in the domain's terms: what kind of refusal it is and a
 * message a person can act on. How a transport answers it (an HTTP status, a CLI exit code) is decided at
 * that edge, once (web/http/api_error.ts for HTTP), so the core never speaks HTTP.
 */
import type { ApiError } from "../contract/schemas.ts";

export type DomainErrorKind =
  /** The input cannot be read at all (not JSON, no header row). */
  | "malformed"
  /** The thing named does not exist (or is not visible). */
  | "not_found"
  /** The request is valid but the current state forbids it (still importing, already decided, cancelled). */
  | "conflict"
  /** The input is over a size or count limit. */
  | "too_large"
  /** The input is of a kind the product does not accept (gzip, a media type). */
  | "unsupported"
  /** The input is readable but breaks a rule (a field out of range, duplicate column names). */
  | "invalid";

/**
 * An expected refusal; `details` lists every broken rule when there is more than one; `fields` are what
 * the API's error object carries besides (the decision made meanwhile, the earlier import of a file).
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly details?: string[],
    readonly fields?: Omit<ApiError["error"], "status" | "message" | "details">,
  ) {
    super(message);
    this.name = "DomainError";
  }
}
