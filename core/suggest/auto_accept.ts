/**
 * The "auto-accept above τ" ops setting. A row is accepted without review only when the active version's
 * held-out precision at τ meets the user's target, measured on at least MIN_AUTO_ACCEPT_SUPPORT held-out
 * rows, and the row's confidence comes from that version. Accepted rows get product_labels.source 'auto'
 * with the version and confidence: they leave the queue but never count as a person's decision (no
 * training, no kNN vote, no exact-match memory), and a person can still overrule them.
 *
 * The check is repeated whenever rows are scored, so activating a weaker version pauses auto-accept
 * instead of letting it through.
 */
import { type AutoAcceptPreview, AutoAcceptSetting } from "../../contract/schemas.ts";
import { precisionAt } from "../learning/calibration.ts";
import type { Queryable } from "../db/database.ts";
import type { StoredModel } from "../models/model_store.ts";
import { sql } from "../db/sql.ts";

/** The settings key. */
export const AUTO_ACCEPT_KEY = "auto_accept";
/** Off until someone turns it on. */
export const DEFAULT_AUTO_ACCEPT: AutoAcceptSetting = {
  enabled: false,
  threshold: 0.95,
  target_precision: 0.95,
};
/** Fewer held-out rows at or above τ than this, and precision at τ is not trusted. */
export const MIN_AUTO_ACCEPT_SUPPORT = 20;

/** The stored setting, or the default when none is stored (or it no longer parses). */
export async function readAutoAccept(db: Queryable): Promise<AutoAcceptSetting> {
  const [row] = await db.query<{ value: unknown }>(sql`
    SELECT value FROM settings WHERE key = ${AUTO_ACCEPT_KEY}`);
  const parsed = AutoAcceptSetting.safeParse(row?.value);
  return parsed.success ? parsed.data : DEFAULT_AUTO_ACCEPT;
}

/** Stores the setting. */
export async function writeAutoAccept(db: Queryable, setting: AutoAcceptSetting): Promise<void> {
  await db.query(sql`
    INSERT INTO settings (key, value, updated_at)
    VALUES (${AUTO_ACCEPT_KEY}, ${JSON.stringify(setting)}::text::jsonb, now())
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`);
}

/** Whether `model` may auto-accept at `threshold` for `targetPrecision`, and why. */
export function judgeAutoAccept(
  model: StoredModel | undefined,
  threshold: number,
  targetPrecision: number,
): Omit<AutoAcceptPreview, "pending_eligible"> {
  const base = { threshold, target_precision: targetPrecision };
  if (!model) {
    return {
      ...base,
      model_version: null,
      heldout_count: 0,
      heldout_total: 0,
      heldout_precision: null,
      allowed: false,
      reason: "No model version is active: train one and load it first",
    };
  }
  const scores = model.metrics.heldout_scores;
  const { count, precision } = precisionAt(scores, threshold);
  const measured = {
    ...base,
    model_version: model.version,
    heldout_count: count,
    heldout_total: scores.length,
  };
  const at = `at or above ${threshold}`;
  if (count < MIN_AUTO_ACCEPT_SUPPORT) {
    return {
      ...measured,
      heldout_precision: precision,
      allowed: false,
      reason: `Only ${count} held-out rows of ${model.version} score ${at}; ` +
        `at least ${MIN_AUTO_ACCEPT_SUPPORT} are needed to measure precision`,
    };
  }
  const shown = precision!.toFixed(3);
  if (precision! < targetPrecision) {
    return {
      ...measured,
      heldout_precision: precision,
      allowed: false,
      reason: `Held-out precision of ${model.version} ${at} is ${shown}, below the target ${targetPrecision}`,
    };
  }
  return {
    ...measured,
    heldout_precision: precision,
    allowed: true,
    reason: `Held-out precision of ${model.version} ${at} is ${shown} over ${count} rows, ` +
      `meeting the target ${targetPrecision}`,
  };
}

/** Rows waiting for review whose suggestion `version` scored at or above `threshold`. */
export async function countEligible(
  db: Queryable,
  version: string | null,
  threshold: number,
): Promise<number> {
  if (!version) return 0;
  const [row] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM suggestions
    WHERE model_version = ${version} AND confidence >= ${threshold}::real
      AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = suggestions.product_id)`);
  return row.count;
}

/**
 * Accepts the suggestions of `productIds` (or of every row waiting, when null) that `model` scored at or
 * above the setting's τ, if the setting is on and the model qualifies. Returns how many were accepted.
 */
export async function applyAutoAccept(
  db: Queryable,
  model: StoredModel | undefined,
  productIds: number[] | null,
): Promise<number> {
  if (!model || (productIds !== null && productIds.length === 0)) return 0;
  const setting = await readAutoAccept(db);
  if (!setting.enabled || !judgeAutoAccept(model, setting.threshold, setting.target_precision).allowed) {
    return 0;
  }
  const rows = await db.query<{ count: number }>(sql`
    WITH accepted AS (
      INSERT INTO product_labels (product_id, value, source, model_version, confidence, updated_at)
      SELECT product_id, value, 'auto', model_version, confidence, now() FROM suggestions
      WHERE model_version = ${model.version} AND confidence >= ${setting.threshold}::real
        AND (${productIds}::int[] IS NULL OR product_id = ANY(${productIds}::int[]))
      ON CONFLICT (product_id) DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::int AS count FROM accepted`);
  return rows[0].count;
}

/** How many rows auto-accept has accepted so far. */
export async function countAutoAccepted(db: Queryable): Promise<number> {
  const [row] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM product_labels WHERE source = 'auto'`);
  return row.count;
}
