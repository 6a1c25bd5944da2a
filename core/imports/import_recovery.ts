/**
 * Imports whose writer is gone. A file is read in committed batches under an import marked 'importing'
 * (csv_import.ts); a process killed half way leaves that import and its rows behind. Nothing reads them
 * (the embedding claim, the review queue and feedback all require an 'imported' import), and this module
 * ends them: the import is marked failed with the reason at once, then its rows are deleted in small
 * batches in the background, so neither a restart nor any request waits for a 46,500-row delete on the
 * embedded database's single connection.
 *
 * Who is gone: on the embedded database every writer but this process (it holds the data-dir lock); on a
 * server a writer on this host whose process ended, or any writer whose keep-alive (updated_at, touched
 * by every batch and every {@link IMPORT_KEEPALIVE_MS}) is older than {@link IMPORT_LEASE_SECONDS}.
 */
import type { Database } from "../db/database.ts";
import { holderIsGone, isHeldHere, processIdentity } from "../runtime/process_identity.ts";
import { sql } from "../db/sql.ts";
import { yieldToEventLoop } from "../runtime/yield_to_event_loop.ts";

/** An 'importing' import whose updated_at is older than this has lost its writer (seconds). */
export const IMPORT_LEASE_SECONDS = 60;
/** How often a live import touches updated_at even when no batch completes (milliseconds). */
export const IMPORT_KEEPALIVE_MS = 10_000;
/**
 * Rows deleted per statement when purging. Deleting a row costs ~0.2–0.3 ms on PGlite (its foreign keys
 * are checked). Measured on PGlite, 2 cores under load 11: 46,500 rows in one transaction held the
 * connection for 17 s (over a minute on a full database); in batches of 500 a statement took 0.19 s on
 * average, 0.49 s at most, and requests are answered between them.
 */
export const PURGE_BATCH_ROWS = 500;

let writer: string | undefined;

/** This process's identity as the writer of the imports it reads. */
export function importWriter(): string {
  writer ??= processIdentity("web");
  return writer;
}

/**
 * Marks every 'importing' import whose writer is gone as failed, with the reason; returns their ids. Its
 * rows are left for {@link purgeFailedImportRows}. Cheap: one read of the 'importing' imports and one
 * update.
 */
export async function markDeadImports(db: Database): Promise<number[]> {
  const ownsDatabase = db.kind === "pglite";
  const importing = await db.query<{ id: number; writer: string | null; expired: boolean }>(sql`
    SELECT id, writer, updated_at < now() - make_interval(secs => ${IMPORT_LEASE_SECONDS}) AS expired
    FROM imports WHERE status = 'importing'`);
  const dead = importing.filter((row) =>
    !isHeldHere(row.writer) && (ownsDatabase || row.expired || holderIsGone(row.writer))
  ).map((row) => row.id);
  if (dead.length === 0) return [];
  const marked = await db.query<{ id: number }>(sql`
    UPDATE imports SET status = 'failed', row_count = 0, labelled_count = 0, updated_at = now(),
      error = format('Cannot import "%s": the server stopped while reading it', file_name)
    WHERE id = ANY(${dead}::int[]) AND status = 'importing'
    RETURNING id`);
  return marked.map((row) => row.id);
}

/**
 * Deletes the rows of failed imports (of `importId` only, when given) in batches of
 * {@link PURGE_BATCH_ROWS}, each its own statement with a pause for other work between; returns how many
 * rows it deleted. Such rows were never queued, embedded or decided, so deleting them undoes nothing.
 * Safe to run in several processes at once (SKIP LOCKED) and to stop at any point: what is left is
 * purged next time.
 */
export async function purgeFailedImportRows(
  db: Database,
  options: { importId?: number; shouldStop?: () => boolean } = {},
): Promise<number> {
  const only = options.importId === undefined ? sql`` : sql`AND imports.id = ${options.importId}`;
  const failed = await db.query<{ id: number }>(sql`
    SELECT id FROM imports
    WHERE status = 'failed' ${only} AND EXISTS (SELECT 1 FROM products WHERE products.import_id = imports.id)
    ORDER BY id`);
  let deleted = 0;
  for (const { id } of failed) {
    // Keyset on (import_id, row_number): each batch starts its index scan past the rows already deleted,
    // instead of stepping over their dead entries again.
    let after = 0;
    while (!options.shouldStop?.()) {
      const [batch] = await db.query<{ count: number; last: number | null }>(sql`
        WITH doomed AS (
          SELECT id FROM products WHERE import_id = ${id} AND row_number > ${after}
          ORDER BY row_number
          LIMIT ${PURGE_BATCH_ROWS}
          FOR UPDATE SKIP LOCKED
        ), gone AS (
          DELETE FROM products WHERE id IN (SELECT id FROM doomed) RETURNING row_number
        )
        SELECT count(*)::int AS count, max(row_number) AS last FROM gone`);
      deleted += batch.count;
      if (batch.count === 0 || batch.last === null) break;
      after = batch.last;
      await yieldToEventLoop();
    }
  }
  return deleted;
}

// One background sweep per database at a time, whoever asks for it.
const sweeping = new WeakMap<Database, Promise<void>>();

/**
 * Marks the imports whose writer is gone as failed and purges the rows of failed imports, in the
 * background (errors are logged, never thrown); a sweep already running for `db` is not doubled.
 */
export function nudgeImportRecovery(
  db: Database,
  options: { log?: (message: string) => void; shouldStop?: () => boolean } = {},
): Promise<void> {
  const running = sweeping.get(db);
  if (running) return running;
  const log = options.log ?? ((message: string) => console.log(`[imports] ${message}`));
  const sweep = (async () => {
    const marked = await markDeadImports(db);
    if (marked.length > 0) log(`imports ${marked.join(", ")} were left half read: marked failed`);
    const deleted = await purgeFailedImportRows(db, { shouldStop: options.shouldStop });
    if (deleted > 0) log(`deleted ${deleted} rows of failed imports`);
  })().catch((error) => log(`cannot clean up failed imports: ${(error as Error).message}`))
    .finally(() => sweeping.delete(db));
  sweeping.set(db, sweep);
  return sweep;
}

/** A running recovery: see {@link startImportRecovery}. */
export interface ImportRecovery {
  /** Stops after the batch in flight. */
  stop(): Promise<void>;
}

/**
 * Marks the imports whose writer is gone as failed before returning (start-up: before serving), then
 * purges their rows in the background, and on a server repeats both every `intervalMs` (30 s) to catch
 * writers that die while it runs.
 */
export async function startImportRecovery(
  db: Database,
  options: { intervalMs?: number; log?: (message: string) => void } = {},
): Promise<ImportRecovery> {
  let stopping = false;
  const shouldStop = () => stopping;
  const log = options.log ?? ((message: string) => console.log(`[imports] ${message}`));
  const marked = await markDeadImports(db);
  if (marked.length > 0) log(`imports ${marked.join(", ")} were left half read: marked failed`);
  void nudgeImportRecovery(db, { log, shouldStop });
  // On the embedded database no other writer can appear while this process holds it.
  const timer = db.kind === "pglite"
    ? undefined
    : setInterval(() => void nudgeImportRecovery(db, { log, shouldStop }), options.intervalMs ?? 30_000);
  return {
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      await sweeping.get(db);
    },
  };
}
