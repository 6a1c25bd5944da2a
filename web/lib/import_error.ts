/** An import refused for a reason the uploader can fix; `status` is the HTTP status to answer with. */
export class ImportError extends Error {
  constructor(
    readonly status: 400 | 413 | 415 | 422,
    message: string,
    readonly details?: string[],
  ) {
    super(message);
    this.name = "ImportError";
  }
}
