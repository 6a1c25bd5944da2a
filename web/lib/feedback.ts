/**
 * Records a reviewer's decision. History is kept in `feedback`; the decision also becomes the product's
 * current label in the same transaction, and the suggestions of its nearest unreviewed neighbours are
 * refreshed at once, so the next card already benefits from it.
 */
import { type FeedbackInput, type FeedbackSaved, WORK_CHANNEL } from "../../contract/schemas.ts";
import type { Database } from "../../gpu-worker/lib/database.ts";
import { sql } from "../../gpu-worker/lib/sql.ts";
import { refreshAroundLabels } from "../../gpu-worker/lib/suggestions.ts";
import type { ModelRuntime } from "../../gpu-worker/lib/active_model.ts";

/** A decision that cannot be stored; `status` is the HTTP status to answer with. */
export class FeedbackError extends Error {
  constructor(readonly status: 404 | 422, message: string) {
    super(message);
    this.name = "FeedbackError";
  }
}

/** Stores `input` and returns what was decided. */
export async function saveFeedback(
  db: Database,
  input: FeedbackInput,
  options: { modelId: string; reviewer: string; models?: ModelRuntime },
): Promise<FeedbackSaved> {
  const saved = await db.transaction(async (tx) => {
    const [product] = await tx.query<{ id: number; suggestion: string | null; confidence: number | null }>(
      sql`
      SELECT products.id, suggestions.value AS suggestion, suggestions.confidence
      FROM products LEFT JOIN suggestions ON suggestions.product_id = products.id
      WHERE products.id = ${input.product_id}
      FOR UPDATE OF products`,
    );
    if (!product) {
      throw new FeedbackError(404, `Cannot store feedback: no product with id ${input.product_id}`);
    }
    let value: string;
    if (input.approved) {
      // An approval accepts the suggestion shown; a different value is a correction, not an approval.
      value = product.suggestion ?? "";
      if (!value) {
        throw new FeedbackError(
          422,
          `Cannot approve product ${input.product_id}: it has no suggestion; send corrected_text instead`,
        );
      }
    } else {
      if (!input.corrected_text) {
        throw new FeedbackError(422, "Cannot store a correction without corrected_text");
      }
      value = input.corrected_text;
    }
    const [row] = await tx.query<{ id: number }>(sql`
      INSERT INTO feedback (product_id, approved, corrected_text, value, suggested_value, suggested_confidence,
                            reviewer)
      VALUES (${product.id}, ${input.approved}, ${input.approved ? null : value}, ${value},
              ${product.suggestion}, ${product.confidence}, ${options.reviewer})
      RETURNING id`);
    await tx.query(sql`
      INSERT INTO product_labels (product_id, value, source, updated_at)
      VALUES (${product.id}, ${value}, 'human', now())
      ON CONFLICT (product_id) DO UPDATE SET value = excluded.value, source = 'human', updated_at = now()`);
    return { feedback_id: row.id, product_id: product.id, value };
  });
  const refreshed = await refreshAroundLabels(db, {
    modelId: options.modelId,
    labelledIds: [saved.product_id],
    models: options.models,
  });
  await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, ${`feedback:${saved.product_id}`})`);
  return { ...saved, refreshed_neighbours: refreshed };
}
