/**
 * The sample catalogue a new user can load from the empty Imports page (POST /imports/sample, or
 * `csv-sorter sample`): 1,200 real Amazon product rows of 12 categories, one in four with its category as a
 * seed label (datasets/sample/, drawn by scripts/make_sample.ts from the Walmart-Amazon benchmark,
 * CC BY 4.0). It goes through the same import as an upload, so it is embedded, suggested, reviewed,
 * exported and deleted like any file; only `imports.sample` marks it.
 */
import path from "node:path";
import type { ImportCreated } from "../../contract/schemas.ts";
import type { Database } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { importCsvFile } from "./csv_import.ts";
import { ImportError } from "./import_error.ts";

/** The bundled file, inside the repository (and the image: the Dockerfiles copy datasets/). */
export const SAMPLE_CATALOGUE_PATH = path.resolve(
  import.meta.dirname ?? ".",
  "../../datasets/sample/sample_catalogue.csv",
);
/** The name the sample gets in the imports list. */
export const SAMPLE_FILE_NAME = "sample_catalogue.csv";
/** Embedded text and seed labels of the sample: the title and brand say what the product is. */
export const SAMPLE_TEXT_COLUMNS = ["title", "brand"];
export const SAMPLE_LABEL_COLUMN = "category";

/**
 * Imports the sample catalogue; resolves to the import as POST /upload-csv answers it, plus `sample: true`.
 * Errors: ImportError 409 when a sample import already exists (delete it to load it again), and whatever
 * {@link importCsvFile} throws.
 */
export async function loadSampleCatalogue(
  db: Database,
  options: { modelId: string },
): Promise<ImportCreated & { sample: true }> {
  const [existing] = await db.query<{ id: number }>(sql`
    SELECT id FROM imports WHERE sample AND status <> 'failed' ORDER BY id LIMIT 1`);
  if (existing) {
    throw new ImportError(
      "conflict",
      `Cannot load the sample catalogue: it is already import ${existing.id}; delete that import to load it again`,
    );
  }
  const created = await importCsvFile(db, SAMPLE_CATALOGUE_PATH, {
    fileName: SAMPLE_FILE_NAME,
    textColumns: SAMPLE_TEXT_COLUMNS,
    labelColumn: SAMPLE_LABEL_COLUMN,
    modelId: options.modelId,
  });
  await db.query(sql`UPDATE imports SET sample = true WHERE id = ${created.import_id}`);
  return { ...created, sample: true };
}
