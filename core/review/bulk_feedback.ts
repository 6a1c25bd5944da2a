/**
 * One decision for a group of similar rows. Every row still gets its own `feedback` row, its own label
 * and its own audit entry, all in ONE transaction: an error on any row leaves none of them behind. Rows
 * that changed since the reviewer looked (labelled meanwhile, or their suggestion is no longer the value
 * the reviewer saw) are skipped and reported, never decided blindly. The preview (`dry_run`) runs the
 * same checks without locking or writing, so its count is what an immediate apply would store.
 */
import {
  type BulkFeedbackInput,
  type BulkFeedbackResult,
  type BulkSkipped,
  WORK_CHANNEL,
} from "../../contract/schemas.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import type { Database, Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { refreshAroundLabels } from "../suggest/suggestions.ts";
import { type AuditActor, recordAudit } from "../accounts/audit.ts";
import { recordDecisions } from "./feedback.ts";
import { failPoint } from "../runtime/fail_point.ts";

/** Audit kind of each row of a bulk decision. */
export const BULK_AUDIT_KIND = "feedback.bulk";

interface RowState {
  id: number;
  suggestion: string | null;
  confidence: number | null;
  labelled: boolean;
  imported: boolean;
}

interface Plan {
  ready: RowState[];
  skipped: BulkSkipped[];
}

/** Splits `ids` (distinct, in the caller's order) into rows to decide and rows to skip. */
async function plan(q: Queryable, ids: number[], expected: string): Promise<Plan> {
  const rows = await q.query<RowState>(sql`
    SELECT products.id, suggestions.value AS suggestion, suggestions.confidence,
           EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = products.id) AS labelled,
           imports.status = 'imported' AS imported
    FROM products JOIN imports ON imports.id = products.import_id
    LEFT JOIN suggestions ON suggestions.product_id = products.id
    WHERE products.id = ANY(${ids}::int[])`);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const ready: RowState[] = [];
  const skipped: BulkSkipped[] = [];
  for (const id of ids) {
    const row = byId.get(id);
    if (!row) skipped.push({ product_id: id, reason: "not_found", current_suggestion: null });
    else if (!row.imported) {
      // A file still being read, or left half read by a crash: its rows are not decidable.
      skipped.push({ product_id: id, reason: "not_imported", current_suggestion: null });
    } else if (row.labelled) {
      skipped.push({ product_id: id, reason: "already_labelled", current_suggestion: row.suggestion });
    } else if (row.suggestion !== expected) {
      skipped.push({ product_id: id, reason: "suggestion_changed", current_suggestion: row.suggestion });
    } else ready.push(row);
  }
  return { ready, skipped };
}

/** Previews (`dry_run`) or stores one decision for every row of `input.product_ids`. */
export async function saveBulkFeedback(
  db: Database,
  input: BulkFeedbackInput,
  options: { modelId: string; reviewer: string; actor: AuditActor; models?: ModelRuntime },
): Promise<BulkFeedbackResult> {
  const ids = [...new Set(input.product_ids)];
  // An approval accepts the value the reviewer saw; a correction replaces it for every row.
  const value = input.approved ? input.expected_value : input.corrected_text!;
  const base = { approved: input.approved, value, requested: ids.length, refreshed_neighbours: 0 };
  if (input.dry_run) {
    const { ready, skipped } = await plan(db, ids, input.expected_value);
    const productIds = ready.map((row) => row.id);
    return {
      ...base,
      dry_run: true,
      group_id: null,
      count: productIds.length,
      product_ids: productIds,
      skipped,
      feedback_ids: [],
    };
  }
  const groupId = crypto.randomUUID();
  const stored = await db.transaction(async (tx) => {
    // Locked in id order, so two overlapping groups decided at once wait for each other, never deadlock;
    // the state is read after the locks, so a decision that committed meanwhile is seen.
    await tx.query(sql`SELECT id FROM products WHERE id = ANY(${ids}::int[]) ORDER BY id FOR UPDATE`);
    const { ready, skipped } = await plan(tx, ids, input.expected_value);
    const feedbackIds = await recordDecisions(
      tx,
      ready.map((row) => ({
        productId: row.id,
        approved: input.approved,
        value,
        suggestion: row.suggestion,
        confidence: row.confidence,
        reviewer: options.reviewer,
      })),
    );
    for (const [index, row] of ready.entries()) {
      await recordAudit(tx, options.actor, BULK_AUDIT_KIND, {
        group_id: groupId,
        group_size: ready.length,
        product_id: row.id,
        feedback_id: feedbackIds[index],
        approved: input.approved,
        value,
        suggested_value: row.suggestion,
      });
    }
    await failPoint("bulk-decision.before-commit");
    return { ready, skipped, feedbackIds };
  });
  await failPoint("bulk-decision.committed");
  const productIds = stored.ready.map((row) => row.id);
  let refreshed = 0;
  if (productIds.length > 0) {
    // Once for the whole group: the neighbourhoods of near-identical rows overlap almost entirely.
    refreshed = await refreshAroundLabels(db, {
      modelId: options.modelId,
      labelledIds: productIds,
      models: options.models,
    });
    await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, ${`feedback-bulk:${groupId}`})`);
  }
  return {
    ...base,
    dry_run: false,
    group_id: groupId,
    count: productIds.length,
    product_ids: productIds,
    skipped: stored.skipped,
    feedback_ids: stored.feedbackIds,
    refreshed_neighbours: refreshed,
  };
}
