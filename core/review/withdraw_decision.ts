/**
 * Undo: a reviewer withdraws a decision. The feedback row stays (history), `feedback_withdrawals` records
 * who withdrew it and when, an audit entry (`feedback.undo`) says so, and the row's label becomes what it
 * was before that decision: the decision before it, else the file's seed label, else none — then the row
 * waits in the review queue again (the label triggers of migration 0006 put it back).
 *
 * Only a row's latest decision can be withdrawn: withdrawing an older one would leave a newer decision
 * standing on a value its reviewer may have chosen because of it. Withdrawing the latest again and again
 * walks back through the row's decisions.
 */
import type { DecisionWithdrawn } from "../../contract/schemas.ts";
import type { Database } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { type AuditActor, recordAudit } from "../accounts/audit.ts";
import { FeedbackError, latestDecision } from "./feedback.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import { type NeighbourRefresher, queueNeighbourRefresh, refreshNeighbours } from "./neighbour_refresh.ts";

/** The audit kind of a withdrawn decision. */
export const UNDO_AUDIT_KIND = "feedback.undo";

/**
 * Withdraws decision `feedbackId` in one transaction (the product row locked, as a decision locks it).
 * Throws FeedbackError: `not_found` (no such decision), `conflict` (already withdrawn, the row's import
 * is not imported, or a newer decision stands: `current_decision` is that one).
 */
export async function withdrawDecision(
  db: Database,
  feedbackId: number,
  options: {
    actor: AuditActor & { name: string };
    modelId: string;
    models?: ModelRuntime;
    /** Re-scores the row's neighbours after answering (recorded in this transaction); without, before. */
    neighbours?: NeighbourRefresher;
  },
): Promise<DecisionWithdrawn> {
  const withdrawn = await db.transaction(async (tx) => {
    const [decision] = await tx.query<{
      product_id: number;
      value: string;
      seed_label: string | null;
      status: string;
      withdrawn: boolean;
    }>(sql`
      SELECT feedback.product_id, feedback.value, products.seed_label, imports.status,
             EXISTS (SELECT 1 FROM feedback_withdrawals WHERE feedback_id = feedback.id) AS withdrawn
      FROM feedback
      JOIN products ON products.id = feedback.product_id
      JOIN imports ON imports.id = products.import_id
      WHERE feedback.id = ${feedbackId}
      FOR UPDATE OF products`);
    if (!decision) {
      throw new FeedbackError("not_found", `Cannot undo decision ${feedbackId}: no such decision`);
    }
    if (decision.withdrawn) {
      throw new FeedbackError("conflict", `Cannot undo decision ${feedbackId}: it was withdrawn already`);
    }
    if (decision.status !== "imported") {
      throw new FeedbackError(
        "conflict",
        `Cannot undo decision ${feedbackId}: the import of product ${decision.product_id} is ${decision.status}`,
      );
    }
    const latest = await latestDecision(tx, decision.product_id);
    if (latest && latest.feedback_id !== feedbackId) {
      throw new FeedbackError(
        "conflict",
        `Cannot undo decision ${feedbackId}: ${latest.reviewer} ${
          latest.approved ? "approved" : "corrected"
        } ` +
          `product ${decision.product_id} as "${latest.value}" since; undo that one first`,
        latest,
      );
    }
    await tx.query(sql`
      INSERT INTO feedback_withdrawals (feedback_id, withdrawn_by) VALUES (${feedbackId}, ${options.actor.name})`);
    const before = await latestDecision(tx, decision.product_id, feedbackId);
    const label = before
      ? { value: before.value, source: "human" as const }
      : decision.seed_label
      ? { value: decision.seed_label, source: "seed" as const }
      : null;
    if (label) {
      await tx.query(sql`
        INSERT INTO product_labels (product_id, value, source, updated_at)
        VALUES (${decision.product_id}, ${label.value}, ${label.source}, now())
        ON CONFLICT (product_id) DO UPDATE
          SET value = excluded.value, source = excluded.source, reused_from = NULL, updated_at = now()`);
    } else {
      await tx.query(sql`DELETE FROM product_labels WHERE product_id = ${decision.product_id}`);
    }
    const answer: DecisionWithdrawn = {
      feedback_id: feedbackId,
      product_id: decision.product_id,
      withdrawn_value: decision.value,
      label: label?.value ?? null,
      label_source: label?.source ?? null,
    };
    await recordAudit(tx, options.actor, UNDO_AUDIT_KIND, answer);
    if (options.neighbours) await queueNeighbourRefresh(tx, [decision.product_id]);
    return answer;
  });
  // The row's label changed (or is gone): its neighbours' suggestions, and its own, are re-scored.
  await refreshNeighbours(db, [withdrawn.product_id], options);
  return withdrawn;
}
