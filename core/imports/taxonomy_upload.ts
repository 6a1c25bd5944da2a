/** POST /upload-taxonomy's body: label names, one per line (text/plain, UTF-8). */
import { TaxonomyInput } from "../../contract/schemas.ts";
import { parseInput } from "../parse_input.ts";

/** Splits `text` into label names: one per line, trimmed, blank lines and repeats dropped; 422 if invalid. */
export function parseTaxonomy(text: string): TaxonomyInput {
  const names = [...new Set(text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/).map((line) => line.trim()))]
    .filter((line) => line.length > 0);
  return parseInput(TaxonomyInput, names, "taxonomy");
}
