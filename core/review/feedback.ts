/**
 * Records a reviewer's decision. History is kept in `feedback`; the decision also becomes the product's
 * current label in the same transaction, and the suggestions of its nearest unreviewed neighbours are
 * refreshed at once, so the next card already benefits from it.
 */
import {
  type FeedbackInput,
  type FeedbackSaved,
  type StoredDecision,
  WORK_CHANNEL,
} from "../../contract/schemas.ts";
import type { Database, Queryable } from "../db/database.ts";
import { DomainError } from "../domain_error.ts";
import { sql } from "../db/sql.ts";
import { queueNeighbourRefresh, refreshNeighbours } from "./neighbour_refresh.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import type { NeighbourRefresher } from "./neighbour_refresh.ts";
import { endLeases } from "./review_leases.ts";

/** A decision that cannot be stored. A conflict with `current` names the decision made meanwhile on the row. */
export class FeedbackError extends DomainError {
  constructor(
    kind: "not_found" | "conflict" | "invalid",
    message: string,
    readonly current?: StoredDecision,
  ) {
    super(kind, message, undefined, current ? { current_decision: current } : undefined);
    this.name = "FeedbackError";
  }
}

/** One decision on one product, as both the single-row and the bulk path store it. */
export interface Decision {
  productId: number;
  approved: boolean;
  value: string;
  /** The suggestion (and its confidence) the decision was made on, kept with the history. */
  suggestion: string | null;
  confidence: number | null;
  reviewer: string;
  /** The client's key for this decision (FeedbackInput.decision_key), if it sent one. */
  decisionKey?: string | null;
}

/**
 * Writes `decisions` (distinct products) inside the caller's transaction, the product rows locked by it:
 * a `feedback` row each and the products' current labels, two set-based statements whatever the count.
 * With two statements per row, a 500-row group's transaction took 2.7 s on PGlite, set-based 0.6 s (its
 * 500 audit entries included), and an open PGlite transaction blocks every other query of the process.
 * Returns the feedback ids in the order of `decisions`.
 */
export async function recordDecisions(tx: Queryable, decisions: Decision[]): Promise<number[]> {
  if (decisions.length === 0) return [];
  const productIds = decisions.map((d) => d.productId);
  const values = decisions.map((d) => d.value);
  // An approval is the row without corrected_text (the table's CHECK says the same); postgres.js cannot
  // send a boolean[] parameter, so `approved` travels as that.
  const corrected = decisions.map((d) => d.approved ? null : d.value);
  const suggested = decisions.map((d) => d.suggestion);
  const confidences = decisions.map((d) => d.confidence);
  const reviewers = decisions.map((d) => d.reviewer);
  const keys = decisions.map((d) => d.decisionKey ?? null);
  const rows = await tx.query<{ id: number; product_id: number }>(sql`
    INSERT INTO feedback (product_id, approved, corrected_text, value, suggested_value, suggested_confidence,
                          reviewer, decision_key)
    SELECT product_id, corrected_text IS NULL, corrected_text, value, suggested_value, suggested_confidence,
           reviewer, decision_key
    FROM unnest(${productIds}::int[], ${corrected}::text[], ${values}::text[], ${suggested}::text[],
                ${confidences}::real[], ${reviewers}::text[], ${keys}::uuid[])
      AS decided (product_id, corrected_text, value, suggested_value, suggested_confidence, reviewer,
                  decision_key)
    RETURNING id, product_id`);
  // Decided rows leave the queue: nobody holds them any more.
  await endLeases(tx, productIds);
  await tx.query(sql`
    INSERT INTO product_labels (product_id, value, source, updated_at)
    SELECT product_id, value, 'human', now()
    FROM unnest(${productIds}::int[], ${values}::text[]) AS decided (product_id, value)
    ON CONFLICT (product_id) DO UPDATE SET value = excluded.value, source = 'human', updated_at = now()`);
  const ids = new Map(rows.map((row) => [row.product_id, row.id]));
  return decisions.map((decision) => ids.get(decision.productId)!);
}

/**
 * The latest decision on `productId` that still counts (not withdrawn: withdraw_decision.ts), if any;
 * with `before`, the latest older than that feedback id.
 */
export async function latestDecision(
  tx: Queryable,
  productId: number,
  before?: number,
): Promise<StoredDecision | undefined> {
  const [row] = await tx.query<StoredDecision>(sql`
    SELECT id AS feedback_id, product_id, approved, value, reviewer,
           to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at
    FROM feedback
    WHERE product_id = ${productId} ${before === undefined ? sql`` : sql`AND id < ${before}`}
      AND NOT EXISTS (SELECT 1 FROM feedback_withdrawals WHERE feedback_withdrawals.feedback_id = feedback.id)
    ORDER BY id DESC LIMIT 1`);
  return row;
}

/**
 * Stores `input` and returns what was decided (`replayed`: it had been stored before under its
 * `decision_key`, and nothing new was written). With `options.neighbours` the nearest waiting rows are
 * re-scored after the answer, in batches (neighbour_refresh.ts; `refreshed_neighbours` is then 0);
 * without, before it. Throws FeedbackError: 404 unknown product, 409 import not decidable or a conflict
 * with a decision made meanwhile (`expected_feedback_id`), 422 nothing to store.
 */
export async function saveFeedback(
  db: Database,
  input: FeedbackInput,
  options: { modelId: string; reviewer: string; models?: ModelRuntime; neighbours?: NeighbourRefresher },
): Promise<FeedbackSaved & { replayed: boolean }> {
  const saved = await db.transaction(async (tx) => {
    const [product] = await tx.query<
      { id: number; suggestion: string | null; confidence: number | null; import_id: number; status: string }
    >(
      sql`
      SELECT products.id, suggestions.value AS suggestion, suggestions.confidence, products.import_id,
             imports.status
      FROM products JOIN imports ON imports.id = products.import_id
      LEFT JOIN suggestions ON suggestions.product_id = products.id
      WHERE products.id = ${input.product_id}
      FOR UPDATE OF products`,
    );
    if (!product) {
      throw new FeedbackError("not_found", `Cannot store feedback: no product with id ${input.product_id}`);
    }
    // A row of a file not fully read (or left half read by a crash, and about to be deleted) is not
    // decidable: a decision acknowledged on it would be lost with it. 'imported' is final, so the
    // check holds until commit without locking the import.
    if (product.status !== "imported") {
      throw new FeedbackError(
        "conflict",
        `Cannot store feedback on product ${input.product_id}: its import ${product.import_id} is ` +
          `${product.status === "importing" ? "still being read" : "failed"}`,
      );
    }
    if (input.decision_key !== undefined) {
      // Read after the row lock: a retry racing its first attempt waits for it, then finds it.
      const [stored] = await tx.query<{ id: number; product_id: number; value: string }>(sql`
        SELECT id, product_id, value FROM feedback WHERE decision_key = ${input.decision_key}::uuid`);
      if (stored !== undefined) {
        if (stored.product_id !== product.id) {
          throw new FeedbackError(
            "conflict",
            `Cannot store feedback: decision_key ${input.decision_key} was used for product ${stored.product_id}`,
          );
        }
        return { feedback_id: stored.id, product_id: stored.product_id, value: stored.value, replayed: true };
      }
    }
    if (input.expected_feedback_id !== undefined) {
      const latest = await latestDecision(tx, product.id);
      if ((latest?.feedback_id ?? null) !== input.expected_feedback_id) {
        throw new FeedbackError(
          "conflict",
          latest === undefined
            ? `Cannot store feedback on product ${product.id}: the decision ${input.expected_feedback_id} ` +
              `it was based on no longer exists`
            : `Not stored: ${latest.reviewer} ${latest.approved ? "approved" : "corrected"} product ` +
              `${product.id} as "${latest.value}" meanwhile`,
          latest,
        );
      }
    }
    let value: string;
    let shown = { suggestion: product.suggestion, confidence: product.confidence };
    if (input.approved) {
      // An approval accepts the suggestion shown. A decision made meanwhile can re-score this row between
      // the page loading and the click; the reviewer judged the value on the card, so that value is
      // stored, with no confidence (the current one belongs to the newer suggestion).
      if (input.expected_value !== undefined && input.expected_value !== product.suggestion) {
        shown = { suggestion: input.expected_value, confidence: null };
      }
      value = shown.suggestion ?? "";
      if (!value) {
        throw new FeedbackError(
          "invalid",
          `Cannot approve product ${input.product_id}: it has no suggestion; send corrected_text instead`,
        );
      }
    } else {
      if (!input.corrected_text) {
        throw new FeedbackError("invalid", "Cannot store a correction without corrected_text");
      }
      value = input.corrected_text;
    }
    const [feedbackId] = await recordDecisions(tx, [{
      productId: product.id,
      approved: input.approved,
      value,
      suggestion: shown.suggestion,
      confidence: shown.confidence,
      reviewer: options.reviewer,
      decisionKey: input.decision_key,
    }]);
    // Recorded with the decision, so a process killed before the batch runs leaves it for the next one.
    if (options.neighbours) await queueNeighbourRefresh(tx, [product.id]);
    return { feedback_id: feedbackId, product_id: product.id, value, replayed: false };
  });
  if (saved.replayed) return { ...saved, refreshed_neighbours: 0 };
  const refreshed = await refreshNeighbours(db, [saved.product_id], options);
  await db.query(sql`SELECT pg_notify(${WORK_CHANNEL}, ${`feedback:${saved.product_id}`})`);
  return { ...saved, refreshed_neighbours: refreshed };
}
