/**
 * Imports that did not make it: a refusal recorded for the upload history, the rows of an unfinished
 * import deleted (imports left half read by a process that died: import_recovery.ts).
 */
import type { Database, Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { purgeFailedImportRows } from "./import_recovery.ts";

/** Records a refused upload as a failed import, with its reason, for the upload history. */
export async function recordFailedImport(db: Queryable, fileName: string, message: string): Promise<void> {
  await db.query(sql`
    INSERT INTO imports (file_name, status, error) VALUES (${fileName}, 'failed', ${message})`);
}

/**
 * Marks an unfinished import failed with `message`, then deletes its rows in small batches (each its own
 * statement: one transaction deleting a large file's rows held the embedded database's single connection
 * for over a minute). The rows were never visible (only an 'imported' import's rows are), so the import
 * is failed and invisible from the first statement on, and a process that dies half way leaves the rest
 * to the next clean-up. An import that did finish is left alone, whatever failed after it.
 */
export async function discardImport(db: Database, importId: number, message: string): Promise<void> {
  await db.query(sql`
    UPDATE imports SET status = 'failed', error = ${message}, row_count = 0, labelled_count = 0,
      updated_at = now()
    WHERE id = ${importId} AND status = 'importing'`);
  await purgeFailedImportRows(db, { importId });
}
