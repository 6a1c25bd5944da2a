/**
 * Imports that did not make it: a refusal recorded for the upload history, the rows of an unfinished
 * import deleted, and imports left half read by a process that died cleaned up.
 */
import type { Database, Queryable } from "../../gpu-worker/lib/database.ts";
import { sql } from "../../gpu-worker/lib/sql.ts";

/** Imports marked 'importing' this long without a new batch were left by a process that died. */
const STALE_IMPORT_MINUTES = 15;

/** Records a refused upload as a failed import, with its reason, for the upload history. */
export async function recordFailedImport(db: Queryable, fileName: string, message: string): Promise<void> {
  await db.query(sql`
    INSERT INTO imports (file_name, status, error) VALUES (${fileName}, 'failed', ${message})`);
}

/**
 * Deletes the rows of an unfinished import and marks it failed with `message`, in one transaction. An
 * import that did finish is left alone, whatever failed after it.
 */
export async function discardImport(db: Database, importId: number, message: string): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.query<{ status: string }>(sql`
      SELECT status FROM imports WHERE id = ${importId} FOR UPDATE`);
    if (row?.status !== "importing") return;
    await tx.query(sql`DELETE FROM products WHERE import_id = ${importId}`);
    await tx.query(sql`
      UPDATE imports SET status = 'failed', error = ${message}, row_count = 0, labelled_count = 0,
        updated_at = now()
      WHERE id = ${importId}`);
  });
}

/** Discards imports left 'importing' by a process that died mid-file (no batch for a while). */
export async function discardStaleImports(db: Database): Promise<number> {
  const stale = await db.query<{ id: number; file_name: string }>(sql`
    SELECT id, file_name FROM imports
    WHERE status = 'importing' AND updated_at < now() - make_interval(mins => ${STALE_IMPORT_MINUTES})`);
  for (const row of stale) {
    await discardImport(db, row.id, `Cannot import "${row.file_name}": the server stopped while reading it`);
  }
  return stale.length;
}
