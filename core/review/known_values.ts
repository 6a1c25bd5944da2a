/**
 * The values rows are already labelled with (by people or a file's seed labels) and the taxonomy's label
 * names: what a correction is most likely meant to be. The review page offers them as the correction's
 * completions and marks a value that is none of them as new, so a typo no longer makes a new category
 * without anyone noticing.
 */
import type { KnownValue } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";

/** Most values listed: more is no longer a list a browser's completion can show. */
export const MAX_KNOWN_VALUES = 2000;

/**
 * Label values (not auto-accepted ones: those only repeat a suggestion) with how many rows carry each,
 * and taxonomy names (`labelled` 0 when no row carries one yet); most used first, then by value.
 */
export function readKnownValues(db: Queryable): Promise<KnownValue[]> {
  return db.query<KnownValue>(sql`
    SELECT value, sum(labelled)::int AS labelled, bool_or(in_taxonomy) AS in_taxonomy
    FROM (
      SELECT value, count(*) AS labelled, false AS in_taxonomy FROM product_labels
      WHERE source <> 'auto' GROUP BY value
      UNION ALL
      SELECT value, 0, true FROM taxonomy_labels
    ) known
    GROUP BY value
    ORDER BY sum(labelled) DESC, value
    LIMIT ${MAX_KNOWN_VALUES}`);
}
