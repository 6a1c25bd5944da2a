import { DomainError, type DomainErrorKind } from "../domain_error.ts";

/**
 * An import refused for a reason the uploader can fix. `fileName` is the uploaded file's name when it was known where the refusal happened.
 */
export class ImportError extends DomainError {
  constructor(
    kind: DomainErrorKind,
    message: string,
    details?: string[],
    readonly fileName?: string,
  ) {
    super(kind, message, details);
    this.name = "ImportError";
  }
}
