/**
 * Undo of a catalogue decision: the decision is marked withdrawn (it stays in the history) and the row gets
 * back what it held before — the decision before it that still stands, else the seed value it held when the
 * decision was made, else no answer at all, so that the next match suggests again. Only the row's standing
 * decision can be withdrawn: undoing an older one while a newer stands would restore something nobody chose.
 */
import type { Database } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";

/** What a withdrawal left the row with. */
export interface CatalogueWithdrawal {
  decision_id: number;
  product_id: number;
  /** The row's value now: a decision before (human), its seed value, or null (it waits for a suggestion). */
  restored: { source: "human" | "seed"; entry_id: number; name: string } | null;
}

/**
 * Withdraws decision `decisionId` of field `field` for `reviewer`. Throws DomainError "not_found" for a
 * decision of another field or none, "conflict" when it was withdrawn already or a later decision stands.
 */
export async function withdrawCatalogueDecision(
  db: Database,
  field: { id: number; name: string },
  decisionId: number,
  reviewer: string,
): Promise<CatalogueWithdrawal> {
  return await db.transaction(async (tx) => {
    const [decision] = await tx.query<{
      product_id: number;
      withdrawn: boolean;
      prior_source: string | null;
      prior_entry_id: number | null;
    }>(sql`
      SELECT product_id, withdrawn_at IS NOT NULL AS withdrawn, prior_source, prior_entry_id
      FROM catalogue_decisions WHERE id = ${decisionId} AND field_id = ${field.id}`);
    if (!decision) {
      throw new DomainError(
        "not_found",
        `Cannot undo: the field "${field.name}" has no decision ${decisionId}`,
      );
    }
    // The same row lock as a decision takes: a decision and an undo of one row are ordered.
    await tx.query(sql`SELECT id FROM products WHERE id = ${decision.product_id} FOR NO KEY UPDATE`);
    if (decision.withdrawn) {
      throw new DomainError("conflict", `Cannot undo: decision ${decisionId} was undone already`);
    }
    const [standing] = await tx.query<{ id: number }>(sql`
      SELECT id FROM catalogue_decisions
      WHERE field_id = ${field.id} AND product_id = ${decision.product_id} AND withdrawn_at IS NULL
      ORDER BY id DESC LIMIT 1`);
    if (standing.id !== decisionId) {
      throw new DomainError(
        "conflict",
        `Cannot undo decision ${decisionId}: a later decision (${standing.id}) stands for this row; undo that one first`,
      );
    }
    await tx.query(sql`
      UPDATE catalogue_decisions SET withdrawn_at = now(), withdrawn_by = ${reviewer} WHERE id = ${decisionId}`);
    const [before] = await tx.query<{ entry_id: number; name: string }>(sql`
      SELECT d.entry_id, e.name FROM catalogue_decisions d JOIN catalogue_entries e ON e.id = d.entry_id
      WHERE d.field_id = ${field.id} AND d.product_id = ${decision.product_id} AND d.withdrawn_at IS NULL
      ORDER BY d.id DESC LIMIT 1`);
    let restored: CatalogueWithdrawal["restored"] = null;
    if (before) {
      restored = { source: "human", ...before };
    } else if (decision.prior_source === "seed" && decision.prior_entry_id !== null) {
      const [seed] = await tx.query<{ name: string }>(sql`
        SELECT name FROM catalogue_entries WHERE id = ${decision.prior_entry_id}`);
      if (seed) restored = { source: "seed", entry_id: decision.prior_entry_id, name: seed.name };
    }
    if (restored) {
      // The restored value is chosen again: an entry retired meanwhile comes back.
      await tx.query(sql`UPDATE catalogue_entries SET retired_at = NULL WHERE id = ${restored.entry_id}`);
      await tx.query(sql`
        UPDATE catalogue_matches SET entry_id = ${restored.entry_id}, confidence = 1, alternatives = '[]',
          source = ${restored.source}, updated_at = now()
        WHERE field_id = ${field.id} AND product_id = ${decision.product_id}`);
    } else {
      await tx.query(sql`
        DELETE FROM catalogue_matches WHERE field_id = ${field.id} AND product_id = ${decision.product_id}`);
    }
    // A decided row left the index: the next match is a full one (catalogue_match_job.ts reads a missing
    // matched_at as "the index changed").
    await tx.query(sql`
      UPDATE fields SET match_requested_at = now(), matched_at = NULL WHERE id = ${field.id}`);
    return { decision_id: decisionId, product_id: decision.product_id, restored };
  });
}
