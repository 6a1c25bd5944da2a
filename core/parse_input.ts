import type { z } from "zod";
import { DomainError } from "./domain_error.ts";

/**
 * Parses `value` with `schema`, or throws an `invalid` {@link DomainError} whose details name each invalid
 * field (`path.to.field: message`); `what` names the input in the message ("upload options").
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw invalidInput(parsed.error, what);
}

/** The `invalid` {@link DomainError} for a failed parse of the input `what`: "Invalid query: limit: …". */
export function invalidInput(error: z.ZodError, what: string): DomainError {
  const details = error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message
  );
  return new DomainError("invalid", `Invalid ${what}: ${details[0]}`, details);
}
