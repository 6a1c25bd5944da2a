/**
 * A catalogue field's review queue: rows whose entry is only suggested, least confident first (the rows
 * the matcher is least sure of are where a reviewer's decision is worth most), with the suggested entry
 * and its runners-up named, each with its attributes (the reference list's other columns). Keyset-paged
 * by (confidence, product id), the order of the queue's index. With `entry_id`, only the rows suggested
 * that entry (a group for a bulk decision, migration 0028's index); with `import_id`, only that file's rows.
 */
import type {
  CatalogueCard,
  CatalogueReviewPage,
  CatalogueReviewQuery,
  EntryChoice,
} from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { isEntryOf } from "./catalogue_entries.ts";

/** An entry's attributes as text, the empty ones left out (a reference list's cells are text already). */
function textAttributes(attributes: Record<string, unknown> | null): Record<string, string> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined) continue;
    const shown = typeof value === "string" ? value.trim() : JSON.stringify(value);
    if (shown !== "") text[name] = shown;
  }
  return text;
}

/** `waiting` is exact up to this many rows; past it, `waiting_capped`. */
export const WAITING_CAP = 10_000;

interface QueueRow {
  product_id: number;
  text: string;
  data: Record<string, unknown>;
  entry_id: number;
  confidence: number;
  alternatives: { entry_id: number; confidence: number }[];
}

/**
 * One page of field `field`'s queue. `after` is `next_after` of the previous page ("confidence:id").
 * Throws DomainError "not_found" for an `entry_id` that is not an entry of the field.
 */
export async function readCatalogueReviewPage(
  db: Queryable,
  field: { id: number; name: string },
  query: CatalogueReviewQuery,
): Promise<CatalogueReviewPage> {
  const [confidence, productId] = query.after ? query.after.split(":").map(Number) : [-1, 0];
  if (query.entry_id !== undefined) {
    // An empty group would read as "no row is suggested it" when the id names nothing of this field.
    if (!await isEntryOf(db, field.id, query.entry_id)) {
      throw new DomainError("not_found", `The field "${field.name}" has no entry ${query.entry_id}`);
    }
  }
  const group = query.entry_id === undefined ? sql`` : sql`AND m.entry_id = ${query.entry_id}`;
  const file = query.import_id === undefined ? sql`` : sql`AND p.import_id = ${query.import_id}`;
  const rows = await db.query<QueueRow>(sql`
    SELECT m.product_id, p.text, p.data, m.entry_id, m.confidence, m.alternatives
    FROM catalogue_matches m JOIN products p ON p.id = m.product_id
    WHERE m.field_id = ${field.id} AND m.source = 'suggested' ${group} ${file}
      AND (m.confidence, m.product_id) > (${confidence}::real, ${productId}::int)
    ORDER BY m.confidence, m.product_id
    LIMIT ${query.limit + 1}`);
  const more = rows.length > query.limit;
  const page = rows.slice(0, query.limit);
  const ids = [
    ...new Set(page.flatMap((row) => [row.entry_id, ...row.alternatives.map((alt) => alt.entry_id)])),
  ];
  const entries = new Map(
    (await db.query<{ id: number; name: string; attributes: Record<string, unknown> }>(sql`
      SELECT id, name, attributes FROM catalogue_entries WHERE id = ANY(${ids}::int[]) AND retired_at IS NULL`))
      .map((
        entry,
      ) => [entry.id, entry]),
  );
  const choice = (entryId: number, confidence: number): EntryChoice | null => {
    const entry = entries.get(entryId);
    return entry === undefined
      ? null
      : { entry_id: entryId, name: entry.name, confidence, attributes: textAttributes(entry.attributes) };
  };
  const items: CatalogueCard[] = [];
  for (const row of page) {
    const suggestion = choice(row.entry_id, row.confidence);
    if (!suggestion) continue;
    items.push({
      product_id: row.product_id,
      text: row.text,
      data: row.data,
      suggestion,
      alternatives: row.alternatives.map((alt) => choice(alt.entry_id, alt.confidence))
        .filter((alt): alt is EntryChoice => alt !== null),
    });
  }
  // Counted up to a cap, as GET /products-for-review does: an exact count of a million waiting rows would
  // cost more than the page itself.
  const [{ waiting }] = await db.query<{ waiting: number }>(sql`
    SELECT count(*)::int AS waiting FROM (
      SELECT 1 FROM catalogue_matches m JOIN products p ON p.id = m.product_id
      WHERE m.field_id = ${field.id} AND m.source = 'suggested' ${group} ${file}
      LIMIT ${WAITING_CAP + 1}) AS capped`);
  const last = page[page.length - 1];
  return {
    field: field.name,
    waiting: Math.min(waiting, WAITING_CAP),
    waiting_capped: waiting > WAITING_CAP,
    items,
    // The stored real, printed exactly enough to compare equal when read back.
    next_after: more && last ? `${last.confidence}:${last.product_id}` : null,
  };
}
