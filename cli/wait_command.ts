/** `csv-sorter wait <import id>`: follows GET /imports/:id until every row is embedded (or failed). */
import { ImportProgress } from "../contract/schemas.ts";
import { sleep } from "./client.ts";
import { type CommandContext, printResult, progressFor } from "./context.ts";
import { CliError, EXIT } from "./exit_codes.ts";

/** How often the import's progress is read. */
export const POLL_MS = 1000;

/** Follows import `importId` until no row waits; returns its final progress. */
export async function followImport(context: CommandContext, importId: number): Promise<ImportProgress> {
  const progress = progressFor(context, `import ${importId}: embedding`, "rows", { relative: true });
  try {
    while (true) {
      const state = await context.client.json(ImportProgress, `/imports/${importId}`);
      if (state.status === "failed") {
        throw new CliError(
          EXIT.refused,
          `Import ${importId} "${state.file_name}" failed: ${state.error ?? ""}`,
        );
      }
      const settled = state.embedded_count + state.failed_count;
      progress.update(settled, state.row_count);
      if (settled >= state.row_count) return state;
      await sleep(POLL_MS, context.signal);
    }
  } finally {
    progress.finish();
  }
}

/** One line saying how a followed import ended. */
export function importSummary(state: ImportProgress): string {
  return `Import ${state.id} "${state.file_name}": ${state.embedded_count} of ${state.row_count} rows embedded` +
    (state.failed_count > 0 ? `, ${state.failed_count} failed` : "");
}

/** Ends the command with exit 1 when rows of a followed import failed to embed. */
export function checkFailedRows(state: ImportProgress): void {
  if (state.failed_count > 0) {
    throw new CliError(EXIT.failed, `Cannot embed ${state.failed_count} rows of import ${state.id}`);
  }
}

/** Runs `wait`. */
export async function waitCommand(context: CommandContext, importId: number): Promise<void> {
  const state = await followImport(context, importId);
  printResult(context, importSummary(state), state);
  checkFailedRows(state);
}
