/**
 * The HTTP API as the command line sees it: every request carries the bearer token and the run's abort
 * signal (Ctrl-C, --timeout); every failure becomes a {@link CliError} with its exit code and the
 * server's own message; every JSON answer is validated with the contract's schema before it is used.
 */
import { z } from "zod";
import { ApiError } from "../contract/schemas.ts";
import { CliError, EXIT, exitCodeForStatus } from "./exit_codes.ts";

/** Where and as whom the command line talks to the server. */
export interface ClientOptions {
  baseUrl: string;
  token: string;
  /** Aborted with a CliError as its reason (interrupted or timed out). */
  signal: AbortSignal;
}

/** One request. */
export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: BodyInit;
}

/** The reason the run was aborted, or a generic interruption. */
export function abortReason(signal: AbortSignal): CliError {
  return signal.reason instanceof CliError ? signal.reason : new CliError(EXIT.interrupted, "Interrupted");
}

/** A client of one server. */
export class ApiClient {
  constructor(readonly options: ClientOptions) {}

  /** The full URL of `path` with `query` (undefined values left out). */
  url(path: string, query: RequestOptions["query"] = {}): URL {
    const url = new URL(path, this.options.baseUrl);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** Sends a request; resolves to a 2xx response, throws a CliError for anything else. */
  async request(path: string, init: RequestOptions = {}): Promise<Response> {
    const method = init.method ?? "GET";
    const what = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(this.url(path, init.query), {
        method,
        headers: {
          accept: "application/json",
          ...init.headers,
          authorization: `Bearer ${this.options.token}`,
        },
        body: init.body,
        signal: this.options.signal,
        redirect: "manual",
        // Streamed request bodies (uploads) need half-duplex in Node's fetch.
        ...(init.body && typeof init.body !== "string" ? { duplex: "half" } : {}),
      } as RequestInit);
    } catch (error) {
      if (this.options.signal.aborted) throw abortReason(this.options.signal);
      throw new CliError(
        EXIT.unavailable,
        `Cannot reach ${this.options.baseUrl} (${what}): ${describe(error)}`,
      );
    }
    if (response.ok) return response;
    throw await responseError(response, what);
  }

  /** Sends a request and validates its JSON answer with `schema`. */
  async json<T extends z.ZodType>(schema: T, path: string, init: RequestOptions = {}): Promise<z.infer<T>> {
    const response = await this.request(path, init);
    const what = `${init.method ?? "GET"} ${path}`;
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      if (this.options.signal.aborted) throw abortReason(this.options.signal);
      throw new CliError(EXIT.unavailable, `Cannot read the answer to ${what}: ${describe(error)}`);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(
        EXIT.unavailable,
        `Cannot use the answer to ${what}: ${issue.path.join(".") || "body"}: ${issue.message} ` +
          "(is the server the same version as this command?)",
      );
    }
    return parsed.data;
  }
}

/** The cause of a failed fetch, e.g. "connect ECONNREFUSED 127.0.0.1:8000". */
export function describe(error: unknown): string {
  const cause = (error as { cause?: { message?: string; code?: string } })?.cause;
  return cause?.message ?? (error as Error)?.message ?? String(error);
}

async function responseError(response: Response, what: string): Promise<CliError> {
  const text = await response.text().catch(() => "");
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const parsed = ApiError.safeParse(JSON.parse(text));
    if (parsed.success) {
      message = parsed.data.error.message;
      const details = parsed.data.error.details ?? [];
      const extra = details.filter((detail) => !message.includes(detail)).slice(0, 10);
      if (extra.length > 0) message += `\n  ${extra.join("\n  ")}`;
    }
  } catch {
    // Not the API's JSON (a proxy's page, a redirect to /login): the status line says enough.
  }
  const hint = response.status === 401 ? " (check CSV_SORTER_TOKEN or --token)" : "";
  return new CliError(
    exitCodeForStatus(response.status),
    `${what} failed: ${message}${hint}`,
    response.status,
  );
}

/** Waits `ms`, or throws the run's abort reason. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortReason(signal));
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
