/** What every command gets: the API client, the output streams and the reporting switches. */
import type { Writable } from "node:stream";
import type { ApiClient } from "./client.ts";
import { Progress, type ProgressUnit } from "./progress.ts";

/** A writable that may be a terminal. */
export type OutputStream = Writable & { isTTY?: boolean; columns?: number };

/** The run's shared state. */
export interface CommandContext {
  client: ApiClient;
  signal: AbortSignal;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Machine-readable results on stdout. */
  json: boolean;
  /** No progress on stderr. */
  quiet: boolean;
}

/** A progress reporter on the context's stderr. */
export function progressFor(
  context: CommandContext,
  label: string,
  unit: ProgressUnit,
  options: { relative?: boolean } = {},
): Progress {
  return new Progress({ stream: context.stderr, quiet: context.quiet, label, unit, ...options });
}

/** Writes one result line (or a JSON document with --json) on stdout. */
export function printResult(context: CommandContext, text: string, json: unknown): void {
  context.stdout.write(context.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}
