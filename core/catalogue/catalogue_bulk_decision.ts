/**
 * One decision on a catalogue field for a group of rows the matcher suggested the same entry: offers of
 * one product in different shops' wording are common in a supplier file, and a reviewer who recognises the
 * group decides it at once. Every row still gets its own catalogue_decisions row (each can be undone alone,
 * catalogue_withdraw.ts), all in ONE transaction: an error on any row leaves none behind. Rows that changed
 * since the reviewer looked — decided meanwhile, or suggested another entry by a newer match — are skipped
 * and reported, never decided blindly. The preview (`dry_run`) runs the same checks without locking or
 * writing, so its count is what an immediate apply would store.
 */
import {
  CatalogueBulkDecisionInput,
  type CatalogueBulkDecisionResult,
  type CatalogueBulkSkipped,
} from "../../contract/schemas.ts";
import type { Database, Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { parseInput } from "../parse_input.ts";
import { textKey } from "../text_key.ts";
import { entryNamed, isEntryOf, standingEntry } from "./catalogue_entries.ts";

interface RowState {
  id: number;
  source: string | null;
  entry_id: number | null;
}

/** Splits `ids` (distinct, ascending) into rows to decide and rows to skip; locks the rows unless `preview`. */
async function plan(
  q: Queryable,
  fieldId: number,
  ids: number[],
  expectedEntryId: number,
  preview: boolean,
): Promise<{ ready: RowState[]; skipped: CatalogueBulkSkipped[] }> {
  // The product rows are locked in id order, as a single decision locks its row: a reviewer deciding one
  // of them alone meanwhile waits, then sees this decision (and is refused by its expected_decision_id).
  const lock = preview ? sql`` : sql`ORDER BY p.id FOR NO KEY UPDATE OF p`;
  const products = await q.query<{ id: number }>(sql`
    SELECT p.id FROM products p JOIN imports i ON i.id = p.import_id AND i.status = 'imported'
    WHERE p.id = ANY(${ids}::int[]) ${lock}`);
  const found = new Set(products.map((row) => row.id));
  const states = new Map(
    (await q.query<RowState>(sql`
      SELECT product_id AS id, source, entry_id FROM catalogue_matches
      WHERE field_id = ${fieldId} AND product_id = ANY(${ids}::int[])`)).map((row) => [row.id, row]),
  );
  const ready: RowState[] = [];
  const skipped: CatalogueBulkSkipped[] = [];
  for (const id of ids) {
    const state = states.get(id);
    if (!found.has(id)) skipped.push({ product_id: id, reason: "not_found" });
    else if (state && state.source !== "suggested") skipped.push({ product_id: id, reason: "decided" });
    else if (!state || state.entry_id !== expectedEntryId) {
      skipped.push({ product_id: id, reason: "suggestion_changed" });
    } else ready.push(state);
  }
  return { ready, skipped };
}

/**
 * Decides the rows `body.product_ids` (1–500) of field `field` as one entry, by `reviewer`. Returns the
 * rows decided in product id order with their decision ids, and the rows skipped with the reason. Throws
 * DomainError "invalid" for a bad body or an `expected_entry_id` that is not an entry of the field,
 * "not_found" for an `entry_id` that is not a standing entry of the field, "conflict" when no row is left
 * to decide (nothing is stored; the preview answers instead of throwing).
 */
export async function saveCatalogueBulkDecision(
  db: Database,
  field: { id: number; name: string },
  body: unknown,
  reviewer: string,
): Promise<CatalogueBulkDecisionResult> {
  const input = parseInput(CatalogueBulkDecisionInput, body, "catalogue bulk decision");
  const ids = [...new Set(input.product_ids)].sort((a, b) => a - b);
  const work = async (tx: Queryable): Promise<CatalogueBulkDecisionResult> => {
    if (!await isEntryOf(tx, field.id, input.expected_entry_id)) {
      throw new DomainError(
        "invalid",
        `Cannot decide: expected_entry_id ${input.expected_entry_id} is not an entry of the field "${field.name}"`,
      );
    }
    const { ready, skipped } = await plan(tx, field.id, ids, input.expected_entry_id, input.dry_run);
    let entry: { id: number; name: string; created: boolean } | null;
    if (input.entry_id !== undefined) {
      entry = { ...await standingEntry(tx, field, input.entry_id), created: false };
    } else if (input.dry_run) {
      const [existing] = await tx.query<{ id: number; name: string }>(sql`
        SELECT id, name FROM catalogue_entries WHERE field_id = ${field.id} AND name_key = ${
        textKey(input.new_entry!)
      }`);
      entry = existing ? { ...existing, created: false } : null;
    } else {
      entry = await entryNamed(tx, field.id, input.new_entry!, "review");
    }
    const result = {
      dry_run: input.dry_run,
      entry: entry && { entry_id: entry.id, name: entry.name },
      created_entry: input.dry_run ? input.new_entry !== undefined && entry === null : entry!.created,
      requested: ids.length,
      count: ready.length,
      product_ids: ready.map((row) => row.id),
      skipped,
    };
    if (input.dry_run) return { ...result, decision_ids: [] };
    if (ready.length === 0) {
      const reasons = {
        decided: "decided meanwhile",
        suggestion_changed: "suggested another entry by now",
        not_found: "unknown",
      };
      const tally = new Map<string, number>();
      for (const row of skipped) tally.set(reasons[row.reason], (tally.get(reasons[row.reason]) ?? 0) + 1);
      throw new DomainError(
        "conflict",
        `Not saved: none of the ${ids.length} rows is left to decide (${
          [...tally].map(([reason, count]) => `${count} ${reason}`).join(", ")
        })`,
      );
    }
    const decided = ready.map((row) => row.id);
    // One statement per table, whatever the group's size. created_entry marks the decision that created
    // the entry (the first), so the history counts the entry once.
    const decisions = await tx.query<{ id: number; product_id: number }>(sql`
      INSERT INTO catalogue_decisions (field_id, product_id, entry_id, suggested_entry_id, created_entry, reviewer,
                                       prior_source, prior_entry_id)
      SELECT ${field.id}, item.id, ${entry!.id}, ${input.expected_entry_id}, item.n = 1 AND ${entry!.created},
             ${reviewer}, 'suggested', ${input.expected_entry_id}
      FROM unnest(${decided}::int[]) WITH ORDINALITY AS item(id, n)
      RETURNING id, product_id`);
    const decisionOf = new Map(decisions.map((row) => [row.product_id, row.id]));
    await tx.query(sql`
      UPDATE catalogue_matches
      SET entry_id = ${entry!.id}, confidence = 1, alternatives = '[]', source = 'human', updated_at = now()
      WHERE field_id = ${field.id} AND product_id = ANY(${decided}::int[])`);
    await tx.query(sql`UPDATE fields SET match_requested_at = now() WHERE id = ${field.id}`);
    return { ...result, decision_ids: decided.map((id) => decisionOf.get(id)!) };
  };
  return input.dry_run ? await work(db) : await db.transaction(work);
}
