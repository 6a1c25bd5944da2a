/**
 * The auto-accept setting as ops see and change it: what it would do under the active version (shown
 * before it is applied), and turning it on only when that version's held-out precision at τ meets the
 * target (409 otherwise, with the measured precision in the message).
 */
import type { AutoAcceptPreview, AutoAcceptSetting, AutoAcceptState } from "../../contract/schemas.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import {
  applyAutoAccept,
  countAutoAccepted,
  countEligible,
  judgeAutoAccept,
  readAutoAccept,
  writeAutoAccept,
} from "../suggest/auto_accept.ts";
import type { Queryable } from "../db/database.ts";
import { DomainError } from "../domain_error.ts";

/** What auto-accept at `threshold` would do now. */
export async function previewAutoAccept(
  db: Queryable,
  models: ModelRuntime | undefined,
  input: { threshold: number; target_precision: number },
): Promise<AutoAcceptPreview> {
  const model = models?.current();
  const judged = judgeAutoAccept(model, input.threshold, input.target_precision);
  return { ...judged, pending_eligible: await countEligible(db, judged.model_version, input.threshold) };
}

/** The stored setting with its preview. */
export async function readAutoAcceptState(
  db: Queryable,
  models: ModelRuntime | undefined,
): Promise<AutoAcceptState> {
  const setting = await readAutoAccept(db);
  return {
    setting,
    preview: await previewAutoAccept(db, models, setting),
    accepted_count: await countAutoAccepted(db),
    accepted_now: 0,
  };
}

/** Stores `setting`; turning it on requires the active version to qualify, and accepts at once. */
export async function saveAutoAccept(
  db: Queryable,
  models: ModelRuntime | undefined,
  setting: AutoAcceptSetting,
): Promise<AutoAcceptState> {
  const preview = await previewAutoAccept(db, models, setting);
  if (setting.enabled && !preview.allowed) {
    throw new DomainError(
      "conflict",
      `Cannot turn on auto-accept above ${setting.threshold}: ${preview.reason}`,
    );
  }
  await writeAutoAccept(db, setting);
  const acceptedNow = setting.enabled ? await applyAutoAccept(db, models?.current(), null) : 0;
  return {
    setting,
    preview: {
      ...preview,
      pending_eligible: await countEligible(db, preview.model_version, setting.threshold),
    },
    accepted_count: await countAutoAccepted(db),
    accepted_now: acceptedNow,
  };
}
