/**
 * Appending a file to a dataset: the dataset an import belongs to, the checks that keep its files
 * alike (same columns, same text and label columns), and the reuse of decisions already made in it.
 */
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { fillTextKeys } from "../db/text_key_fill.ts";
import { ImportError } from "./import_error.ts";

/** The dataset a file is appended to, as its target import describes it. */
export interface AppendTarget {
  importId: number;
  datasetId: number;
  columns: string[];
  textColumns: string[];
  labelColumn: string | null;
}

const quoted = (names: string[]) => names.map((name) => `"${name}"`).join(", ");

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}

/** Reads the import `importId` to append to: 404 when there is none, 422 when it is not a finished one. */
export async function readAppendTarget(
  db: Queryable,
  importId: number,
  fileName: string,
): Promise<AppendTarget> {
  const [row] = await db.query<{
    id: number;
    status: string;
    dataset_id: number | null;
    columns: string[];
    text_columns: string[];
    label_column: string | null;
  }>(sql`
    SELECT id, status, dataset_id, columns, text_columns, label_column FROM imports WHERE id = ${importId}`);
  if (!row) {
    throw new ImportError(
      "not_found",
      `Cannot append "${fileName}" to import ${importId}: there is no such import`,
    );
  }
  if (row.status !== "imported") {
    throw new ImportError(
      "invalid",
      `Cannot append "${fileName}" to import ${importId}: that import ` +
        (row.status === "failed" ? "failed" : "is still being read") + `; append to a finished import`,
    );
  }
  return {
    importId: row.id,
    datasetId: row.dataset_id ?? row.id,
    columns: row.columns,
    textColumns: row.text_columns,
    labelColumn: row.label_column,
  };
}

/**
 * The text and label columns of an appended file: the dataset's, unless given, and then they must be
 * the dataset's (the same text embedded the same way is what makes rows comparable across files).
 */
export function inheritColumns(
  target: AppendTarget,
  options: { fileName: string; textColumns?: string[]; labelColumn?: string },
): { textColumns: string[]; labelColumn: string | undefined } {
  const into = `Cannot append "${options.fileName}" to import ${target.importId}`;
  if (options.textColumns && !sameSet(options.textColumns, target.textColumns)) {
    throw new ImportError(
      "invalid",
      `${into}: its text columns are ${quoted(target.textColumns)}, not ${quoted(options.textColumns)}`,
    );
  }
  if (options.labelColumn !== undefined && options.labelColumn !== target.labelColumn) {
    throw new ImportError(
      "invalid",
      `${into}: its label column is ` +
        (target.labelColumn ? `"${target.labelColumn}"` : "none") + `, not "${options.labelColumn}"`,
    );
  }
  return { textColumns: target.textColumns, labelColumn: target.labelColumn ?? undefined };
}

/** Refuses a header whose column names differ from the dataset's (order may differ). */
export function checkAppendHeader(target: AppendTarget, header: string[], fileName: string): void {
  const missing = target.columns.filter((name) => !header.includes(name));
  const extra = header.filter((name) => !target.columns.includes(name));
  if (missing.length === 0 && extra.length === 0) return;
  const details = [
    ...(missing.length > 0 ? [`Missing: ${quoted(missing)}`] : []),
    ...(extra.length > 0 ? [`Extra: ${quoted(extra)}`] : []),
  ];
  throw new ImportError(
    "invalid",
    `Cannot append "${fileName}" to import ${target.importId}: the columns differ from the dataset's ` +
      `(${details.join("; ").toLowerCase()})`,
    [...details, `The dataset has: ${target.columns.join(", ")}`],
  );
}

/**
 * Labels the rows of import `importId` whose text key (core/text_key.ts: case, spacing, invisible
 * characters and Unicode forms ignored, as the exact-match memory compares) equals that of a row of dataset `datasetId` that a person or a seed label already decided,
 * with source 'reused'. A person's decision wins over a seed, the latest over older ones; a row the file
 * itself labels keeps its own label. Returns how many rows were labelled.
 */
export async function reuseDecisions(tx: Queryable, importId: number, datasetId: number): Promise<number> {
  // The earlier files' rows may have been written without keys (by tools other than the importer).
  await fillTextKeys(tx);
  const rows = await tx.query<{ count: number }>(sql`
    WITH reused AS (
      INSERT INTO product_labels (product_id, value, source, reused_from, updated_at)
      SELECT DISTINCT ON (target.id) target.id, labels.value, 'reused', twin.id, now()
      FROM products target
      JOIN products twin
        ON twin.text_key = target.text_key AND twin.import_id <> target.import_id
      JOIN imports earlier ON earlier.id = twin.import_id AND COALESCE(earlier.dataset_id, earlier.id) = ${datasetId}
        AND earlier.status = 'imported'
      JOIN product_labels labels ON labels.product_id = twin.id AND labels.source IN ('seed', 'human')
      WHERE target.import_id = ${importId} AND target.text_key <> ''
        AND NOT EXISTS (SELECT 1 FROM product_labels own WHERE own.product_id = target.id)
      ORDER BY target.id, labels.source = 'human' DESC, labels.updated_at DESC, twin.id DESC
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM reused`);
  return rows[0].count;
}
