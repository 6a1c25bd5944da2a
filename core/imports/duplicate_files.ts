/**
 * The same file uploaded twice. Without a check it became a second dataset: its rows came back into the
 * review queue although they were decided, and "Export everything" listed each of them twice. A file is
 * recognised by its rows — the header and every cell as read, so the same data re-saved with another
 * encoding, byte order mark, delimiter or line endings is recognised too — and the uploader chooses:
 * `skip` (nothing imported; the answer is the earlier import), `append` (the next delivery of that
 * dataset: earlier decisions are reused) or `import` (a new dataset anyway). Without a choice the upload
 * is refused with 409 naming the earlier import. A file appended explicitly (append_to) is not checked:
 * the uploader chose already.
 */
import crypto from "node:crypto";
import type { ImportCreated } from "../../contract/schemas.ts";
import type { Database, Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { discardImport } from "./failed_imports.ts";

/** What to do with a file whose rows equal an earlier import's. */
export type DuplicateAction = "skip" | "append" | "import";

/** SHA-256 over records (header first), each as the JSON text of its cells plus a newline. */
export class RowsDigest {
  #hash = crypto.createHash("sha256");

  /** Adds one record's cells. */
  add(fields: string[]): void {
    this.#hash.update(JSON.stringify(fields));
    this.#hash.update("\n");
  }

  /** The digest as 64 hex characters (once: the hash is finished by it). */
  hex(): string {
    return this.#hash.digest("hex");
  }
}

/** An earlier import with the same rows. */
export interface EarlierImport {
  id: number;
  file_name: string;
  dataset_id: number;
  created_at: string;
}

/** The oldest finished import other than `importId` whose rows digest is `rowsSha256`, if any. */
export async function findEarlierImport(
  db: Queryable,
  rowsSha256: string,
  importId: number,
): Promise<EarlierImport | undefined> {
  const [row] = await db.query<EarlierImport>(sql`
    SELECT id, file_name, coalesce(dataset_id, id) AS dataset_id,
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') AS created_at
    FROM imports WHERE status = 'imported' AND rows_sha256 = ${rowsSha256} AND id <> ${importId}
    ORDER BY id LIMIT 1`);
  return row;
}

/** A file whose rows equal `earlier`'s, uploaded without saying what to do with it (HTTP 409). */
export class DuplicateFileError extends DomainError {
  constructor(readonly fileName: string, readonly earlier: EarlierImport) {
    super(
      "conflict",
      `Not imported: "${fileName}" has the same rows as import ${earlier.id} ("${earlier.file_name}", ` +
        `${earlier.created_at}); upload it again with on_duplicate=skip, append or import`,
      [
        `skip: import nothing; the answer is import ${earlier.id}`,
        `append: add it to dataset ${earlier.dataset_id} as its next delivery (earlier decisions are reused)`,
        "import: import it as a new dataset anyway (its rows are reviewed and exported again)",
      ],
    );
    this.name = "DuplicateFileError";
  }
}

/**
 * Removes an unfinished import without a trace in the upload history (a duplicate skipped or appended
 * instead): its rows are deleted in batches, then the import itself.
 */
export async function forgetImport(db: Database, importId: number, reason: string): Promise<void> {
  await discardImport(db, importId, reason);
  await db.query(sql`DELETE FROM imports WHERE id = ${importId} AND status = 'failed'`);
}

/** What POST /upload-csv answers about an existing import (a skipped duplicate's earlier import). */
export async function readImportCreated(db: Queryable, importId: number): Promise<ImportCreated> {
  const [row] = await db.query<{
    file_name: string;
    row_count: number;
    labelled_count: number;
    columns: string[];
    text_columns: string[];
    label_column: string | null;
    dataset_id: number;
    encoding: string | null;
    header_line: number | null;
  }>(sql`
    SELECT file_name, row_count, labelled_count, columns, text_columns, label_column,
           coalesce(dataset_id, id) AS dataset_id, encoding, header_line
    FROM imports WHERE id = ${importId}`);
  return {
    import_id: importId,
    file_name: row.file_name,
    row_count: row.row_count,
    labelled_count: row.labelled_count,
    columns: row.columns,
    text_columns: row.text_columns,
    label_column: row.label_column,
    dataset_id: row.dataset_id,
    appended_to: null,
    reused_count: 0,
    encoding: row.encoding ?? "utf-8",
    header_line: row.header_line ?? 1,
    dropped_columns: [],
  };
}
