/**
 * Removing an import: its products and, through ON DELETE CASCADE, their embeddings, queue entries,
 * suggestions, labels and feedback, in one transaction. The import itself goes too; the files appended
 * to its dataset stay (dataset_id is a name, not a foreign key). When labels go with it, a re-score of
 * the rows waiting for review is queued in the same transaction.
 */
import type { ImportDeleted } from "../../contract/schemas.ts";
import type { Database } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { enqueueRescore } from "../suggest/rescore_job.ts";

/**
 * Deletes import `importId`. People's decisions on its rows would be lost, so with any reviewed row the
 * caller must confirm (409 otherwise); an import still being read is stopped by cancelling its upload.
 */
export async function deleteImport(
  db: Database,
  importId: number,
  options: { confirm: boolean },
): Promise<ImportDeleted> {
  return await db.transaction(async (tx) => {
    const [row] = await tx.query<
      { file_name: string; status: string; products: number; reviewed: number; labelled: number }
    >(
      sql`
      SELECT imports.file_name, imports.status,
        (SELECT count(*)::int FROM products WHERE products.import_id = imports.id) AS products,
        (SELECT count(*)::int FROM products JOIN product_labels
           ON product_labels.product_id = products.id AND product_labels.source = 'human'
         WHERE products.import_id = imports.id) AS reviewed,
        (SELECT count(*)::int FROM products JOIN product_labels
           ON product_labels.product_id = products.id AND product_labels.source <> 'auto'
         WHERE products.import_id = imports.id) AS labelled
      FROM imports WHERE imports.id = ${importId}
      FOR UPDATE OF imports`,
    );
    if (!row) throw new DomainError("not_found", `Cannot delete import ${importId}: there is no such import`);
    if (row.status === "importing") {
      throw new DomainError(
        "conflict",
        `Cannot delete import ${importId} ("${row.file_name}"): it is still being read; cancel the upload`,
      );
    }
    if (row.reviewed > 0 && !options.confirm) {
      throw new DomainError(
        "conflict",
        `Cannot delete import ${importId} ("${row.file_name}"): ${row.reviewed} of its rows were reviewed ` +
          `and those decisions would be lost; send confirm=true to delete anyway`,
      );
    }
    await tx.query(sql`DELETE FROM imports WHERE id = ${importId}`);
    // Suggestions of other rows may come from the labels just deleted (their kNN votes, exact matches,
    // a version trained on them): every waiting row is scored again. Queued in this transaction, so a
    // crash after the commit still re-scores.
    if (row.labelled > 0) await enqueueRescore(tx, { reason: "labels_deleted" });
    return { import_id: importId, deleted_products: row.products, deleted_reviewed: row.reviewed };
  });
}
