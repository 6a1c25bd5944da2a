/**
 * An import refused for a reason the uploader can fix; `status` is the HTTP status to answer with.
 * `fileName` is the uploaded file's name when it was known where the refusal happened.
 */
export class ImportError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 415 | 422,
    message: string,
    readonly details?: string[],
    readonly fileName?: string,
  ) {
    super(message);
    this.name = "ImportError";
  }
}
