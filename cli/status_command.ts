/**
 * `csv-sorter status`: imports, review queue size, active model and workers in one view. The model and
 * workers routes are for ops: with a reviewer's token those parts say so instead of failing the command.
 */
import { z } from "zod";
import { ImportProgress, ModelList, ReviewPage, WorkerList } from "../contract/schemas.ts";
import type { CommandContext } from "./context.ts";
import { CliError } from "./exit_codes.ts";

/** What `status --json` prints. */
export interface StatusReport {
  imports: ImportProgress[];
  review_queue: number;
  /** null when no version is active; undefined (left out) when the token may not see models. */
  active_model?: string | null;
  workers?: { live: number; list: WorkerList["workers"] };
}

/** Reads an ops-only part; undefined when the token's role may not see it. */
async function opsOnly<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof CliError && error.status === 403) return undefined;
    throw error;
  }
}

/** Gathers the status. */
export async function readStatus(context: CommandContext): Promise<StatusReport> {
  const { client } = context;
  const imports = await client.json(z.array(ImportProgress), "/imports");
  const queue = await client.json(ReviewPage, "/products-for-review", { query: { limit: 1 } });
  const models = await opsOnly(() => client.json(ModelList, "/models"));
  const workers = await opsOnly(() => client.json(WorkerList, "/workers"));
  return {
    imports,
    review_queue: queue.total,
    ...(models ? { active_model: models.active_version } : {}),
    ...(workers ? { workers: { live: workers.live_count, list: workers.workers } } : {}),
  };
}

/** The status as text, for people. */
export function formatStatus(report: StatusReport): string {
  const lines: string[] = [];
  const embedding = report.imports.filter((item) =>
    item.status === "imported" && item.embedded_count + item.failed_count < item.row_count
  );
  lines.push(`Imports: ${report.imports.length} (${embedding.length} embedding)`);
  for (const item of report.imports) {
    const state = item.status === "failed"
      ? `failed: ${item.error ?? ""}`
      : `${item.embedded_count}/${item.row_count} embedded, ${item.reviewed_count} reviewed` +
        (item.failed_count > 0 ? `, ${item.failed_count} failed` : "");
    lines.push(`  ${String(item.id).padStart(5)}  ${item.file_name}  ${state}`);
  }
  lines.push(`Review queue: ${report.review_queue} rows`);
  lines.push(
    `Active model: ${
      report.active_model === undefined ? "(ops only)" : report.active_model ?? "none (no version loaded)"
    }`,
  );
  if (report.workers === undefined) lines.push("Workers: (ops only)");
  else {
    lines.push(`Workers: ${report.workers.live} live`);
    for (const worker of report.workers.list) {
      lines.push(
        `  ${worker.status.padEnd(7)} ${worker.host} pid ${worker.pid} ${worker.runtime} ${worker.device}, ` +
          `${worker.products_embedded} embedded, seen ${worker.seconds_since_seen} s ago`,
      );
    }
  }
  return lines.join("\n");
}

/** Runs `status`. */
export async function statusCommand(context: CommandContext): Promise<void> {
  const report = await readStatus(context);
  context.stdout.write(context.json ? `${JSON.stringify(report)}\n` : `${formatStatus(report)}\n`);
}
