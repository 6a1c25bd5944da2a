/**
 * A reviewer's decision on a catalogue field: the row is the entry `entry_id`, or a canonical entry to
 * create ("none of these" + the typed name; an existing entry of that name, by key, is taken instead).
 * One transaction stores the decision (catalogue_decisions keeps every one), the row's current state
 * (catalogue_matches, source 'human') and the request to match the field again: the decided row is a
 * new document of the index and a training example of the re-ranker.
 */
import { CatalogueDecisionInput, type CatalogueDecisionSaved } from "../../contract/schemas.ts";
import type { Database } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { parseInput } from "../parse_input.ts";
import { entryNamed, isEntryOf, standingEntry } from "./catalogue_entries.ts";

/**
 * Stores a decision by `reviewer` on field `field`. Throws DomainError "invalid" for a bad body,
 * "not_found" for an unknown product or an entry of another field, "conflict" when the row's standing
 * decision is not `expected_decision_id` (someone decided or withdrew meanwhile: nothing is stored; the
 * error's `current_decision_id` is the standing one, or null).
 */
export async function saveCatalogueDecision(
  db: Database,
  field: { id: number; name: string },
  body: unknown,
  reviewer: string,
): Promise<CatalogueDecisionSaved> {
  const input = parseInput(CatalogueDecisionInput, body, "catalogue decision");
  return await db.transaction(async (tx) => {
    const [product] = await tx.query<{ id: number }>(sql`
      SELECT p.id FROM products p JOIN imports i ON i.id = p.import_id AND i.status = 'imported'
      WHERE p.id = ${input.product_id}
      FOR NO KEY UPDATE OF p`);
    if (!product) throw new DomainError("not_found", `Cannot decide: no product with id ${input.product_id}`);
    // The row lock above orders two reviewers deciding the same row: the second sees the first's decision.
    const [standing] = await tx.query<{ id: number; entry_id: number; name: string; reviewer: string }>(sql`
      SELECT d.id, d.entry_id, e.name, d.reviewer FROM catalogue_decisions d
      JOIN catalogue_entries e ON e.id = d.entry_id
      WHERE d.field_id = ${field.id} AND d.product_id = ${product.id} AND d.withdrawn_at IS NULL
      ORDER BY d.id DESC LIMIT 1`);
    if (input.expected_decision_id !== undefined && (standing?.id ?? null) !== input.expected_decision_id) {
      throw new DomainError(
        "conflict",
        standing
          ? `Not saved: ${standing.reviewer} decided this row meanwhile ("${standing.name}")`
          : `Not saved: the decision this card showed was withdrawn meanwhile`,
        undefined,
        // What a client sends as expected_decision_id to replace it knowingly.
        { current_decision_id: standing?.id ?? null },
      );
    }
    const [prior] = await tx.query<{ source: string; entry_id: number | null }>(sql`
      SELECT source, entry_id FROM catalogue_matches WHERE field_id = ${field.id} AND product_id = ${product.id}`);
    let entry: { id: number; name: string; created: boolean };
    if (input.entry_id !== undefined) {
      entry = { ...await standingEntry(tx, field, input.entry_id), created: false };
    } else {
      entry = await entryNamed(tx, field.id, input.new_entry!, "review");
    }
    // Approvals and corrections are counted by it: an entry of another field would count wrongly.
    if (input.suggested_entry_id != null && !await isEntryOf(tx, field.id, input.suggested_entry_id)) {
      throw new DomainError(
        "invalid",
        `Cannot decide: suggested_entry_id ${input.suggested_entry_id} is not an entry of the field "${field.name}"`,
      );
    }
    const [decision] = await tx.query<{ id: number }>(sql`
      INSERT INTO catalogue_decisions (field_id, product_id, entry_id, suggested_entry_id, created_entry, reviewer,
                                       prior_source, prior_entry_id)
      VALUES (${field.id}, ${product.id}, ${entry.id}, ${input.suggested_entry_id ?? null}, ${entry.created},
              ${reviewer}, ${prior?.source ?? null}, ${prior?.entry_id ?? null})
      RETURNING id`);
    await tx.query(sql`
      INSERT INTO catalogue_matches (field_id, product_id, entry_id, confidence, alternatives, source)
      VALUES (${field.id}, ${product.id}, ${entry.id}, 1, '[]', 'human')
      ON CONFLICT (field_id, product_id) DO UPDATE
        SET entry_id = excluded.entry_id, confidence = 1, alternatives = '[]', source = 'human',
            updated_at = now()`);
    await tx.query(sql`UPDATE fields SET match_requested_at = now() WHERE id = ${field.id}`);
    return {
      decision_id: decision.id,
      product_id: product.id,
      entry: { entry_id: entry.id, name: entry.name },
      created_entry: entry.created,
    };
  });
}
