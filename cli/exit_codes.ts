/** What the command line's exit status means; `csv-sorter --help` and the README list the same. */
export const EXIT = {
  ok: 0,
  /** The server did the work but it failed: a retrain job failed, rows failed to embed. */
  failed: 1,
  usage: 2,
  /** 401 or 403: no token, a wrong or revoked token, or a role too low for the command. */
  unauthorised: 3,
  /** Any other 4xx (404, 409, 413, 415, 422): the server refused the input, its message is printed. */
  refused: 4,
  /** The server could not be reached, answered 5xx, or broke off a response. */
  unavailable: 5,
  timedOut: 6,
  interrupted: 130,
} as const;

/** An exit status. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A failure that ends the command with `code` after printing `message` on stderr. */
export class CliError extends Error {
  /** `status`: the HTTP status when the server refused the request. */
  constructor(readonly code: ExitCode, message: string, readonly status?: number) {
    super(message);
    this.name = "CliError";
  }
}

/** The exit code for an HTTP error status. */
export function exitCodeForStatus(status: number): ExitCode {
  if (status === 401 || status === 403) return EXIT.unauthorised;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.unavailable;
}
