/** The auto-retrain ops setting (key `auto_retrain` in `settings`, first stored by migration 0011). */
import { AutoRetrainSetting } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";

/** The settings key. */
export const AUTO_RETRAIN_KEY = "auto_retrain";

/** On: every 50 new labels, or 5 minutes after the last retrain when any label is new; auto-activation on. */
export const DEFAULT_AUTO_RETRAIN: AutoRetrainSetting = {
  enabled: true,
  every_labels: 50,
  every_minutes: 5,
  auto_activate: true,
};

/** The stored setting, or the default when none is stored (or it no longer parses). */
export async function readAutoRetrain(db: Queryable): Promise<AutoRetrainSetting> {
  const [row] = await db.query<{ value: unknown }>(sql`
    SELECT value FROM settings WHERE key = ${AUTO_RETRAIN_KEY}`);
  const parsed = AutoRetrainSetting.safeParse(row?.value);
  return parsed.success ? parsed.data : DEFAULT_AUTO_RETRAIN;
}

/** Stores the setting. */
export async function writeAutoRetrain(db: Queryable, setting: AutoRetrainSetting): Promise<void> {
  await db.query(sql`
    INSERT INTO settings (key, value, updated_at)
    VALUES (${AUTO_RETRAIN_KEY}, ${JSON.stringify(setting)}::text::jsonb, now())
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`);
}
