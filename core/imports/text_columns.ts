/**
 * Chooses the columns whose text is embedded when the uploader names none: the title/name/description
 * columns when there are any, else every column that mostly holds words rather than numbers, codes or
 * blanks. The label column never counts: embedding it would let a suggestion read its own answer.
 */

/** A column's name and the values of the first rows. */
export interface ColumnSample {
  name: string;
  values: string[];
}

const DESCRIPTIVE = /(^|[^a-z])(title|name|description|desc|product|item|label|summary|details?)([^a-z]|$)/i;
const IDENTIFIER = /(^|[^a-z])(id|sku|ean|upc|gtin|isbn|code|url|image|price|qty|quantity)([^a-z]|$)/i;

function isWordy(value: string): boolean {
  const trimmed = value.trim();
  if (trimmed === "") return false;
  if (/^[-+]?[\d.,\s%$€£]+$/.test(trimmed)) return false;
  if (/^https?:\/\//i.test(trimmed)) return false;
  return /\p{L}{2,}/u.test(trimmed);
}

/** Returns the columns to embed, in header order; never empty while some column is not the label. */
export function chooseTextColumns(samples: ColumnSample[], labelColumn?: string): string[] {
  const candidates = samples.filter((column) => column.name !== labelColumn);
  const descriptive = candidates.filter(
    (column) => DESCRIPTIVE.test(column.name) && !IDENTIFIER.test(column.name),
  );
  if (descriptive.length > 0) return descriptive.map((column) => column.name);
  const wordy = candidates.filter((column) => {
    if (IDENTIFIER.test(column.name)) return false;
    const filled = column.values.filter((value) => value.trim() !== "");
    if (filled.length === 0) return false;
    return filled.filter(isWordy).length / filled.length >= 0.5;
  });
  if (wordy.length > 0) return wordy.map((column) => column.name);
  return candidates.map((column) => column.name);
}
