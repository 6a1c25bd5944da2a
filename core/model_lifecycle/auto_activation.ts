/**
 * Auto-activation: a version the retrain job just made ready becomes active by itself only when it is at
 * least as good as the active one on the same rows — the new version's held-out split. The new version's
 * answers there are its out-of-fold ones (metrics.heldout_scores, as training.ts measures them); the
 * active version answers the same rows with its own classifier head and ensemble settings, its kNN and
 * exact-match memory drawing on the new version's training rows (what it would see in production, minus
 * the held-out rows themselves, which would otherwise vote for their own label).
 *
 * Only held-out rows labelled after the active version began training are compared: the active version
 * trained on the others (below 2,000 labels its heads are refitted on every label, so it answered 61 of 61
 * such rows right where its own out-of-fold accuracy was 76.7 %, and no new version could ever replace
 * it). With fewer than {@link MIN_COMPARED_ROWS} such rows, the new version's out-of-fold accuracy is
 * compared with the active version's own (both measured on rows their version did not train on, though
 * not the same rows). A tie activates (the newer one has learnt from more labels).
 *
 * Every decision is stored with its reason on the version (GET /models); an activation is also written
 * to the audit trail (kind `model.auto_activate`, via `system`) and queues the re-scoring of the rows
 * waiting for review, as POST /load-model does.
 */
import type { ActivationDecision } from "../../contract/schemas.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import { readAutoRetrain } from "./auto_retrain_setting.ts";
import type { Database } from "../db/database.ts";
import { combineEvidence } from "../learning/ensemble.ts";
import type { LabelledRow, LabelName } from "../learning/evidence.ts";
import { gatherEvidenceInSlices } from "../learning/evidence_in_slices.ts";
import { loadModelVersion, type StoredModel } from "../models/model_store.ts";
import { cacheModelFiles } from "../models/model_files.ts";
import {
  activateModelVersion,
  activeModelVersion,
  recordActivationDecision,
} from "../models/model_versions.ts";
import { enqueueRescore } from "../suggest/rescore_job.ts";
import { sql } from "../db/sql.ts";
import type { Tf } from "../runtime/tf_backend.ts";

/** Fewest held-out rows labelled since the active version was trained that make a comparison. */
export const MIN_COMPARED_ROWS = 20;

/**
 * Indexes of `holdout` rows whose label the active version cannot have trained on: a person's decision,
 * or a row of an import, made after `since` (when the active version began training). Rows without a
 * product id (not read from the database) count as unseen.
 */
async function labelledSince(db: Database, holdout: LabelledRow[], since: string): Promise<number[]> {
  const ids = holdout.map((row) => row.productId).filter((id): id is number => id !== undefined);
  const fresh = new Set(
    (await db.query<{ id: number }>(sql`
      SELECT t.id FROM unnest(${ids}::int[]) AS t(id)
      WHERE EXISTS (SELECT 1 FROM feedback WHERE feedback.product_id = t.id AND feedback.created_at >= ${since}::timestamptz)
         OR EXISTS (SELECT 1 FROM products JOIN imports ON imports.id = products.import_id
                    WHERE products.id = t.id AND imports.created_at >= ${since}::timestamptz)`)).map((row) =>
      row.id
    ),
  );
  return holdout.flatMap((row, index) =>
    row.productId === undefined || fresh.has(row.productId) ? [index] : []
  );
}

/** What {@link autoActivate} decided. */
export interface ActivationOutcome {
  decision: ActivationDecision;
  reason: string;
  /** The version active before (null: none, or nothing changed). */
  previous: string | null;
  /** Held-out rows right for the new and the active version (null when not compared). */
  right: number | null;
  active_right: number | null;
  holdout_size: number;
}

/** Options of {@link autoActivate}. */
export interface AutoActivateOptions {
  /** The version just made ready, its split and its out-of-fold held-out answers. */
  version: string;
  split: { train: LabelledRow[]; holdout: LabelledRow[] };
  heldoutScores: [number, number][];
  /** Label names the new version's evaluation used (taxonomy and training values). */
  labelNames: LabelName[];
  modelsDir: string;
  embeddingModelId: string;
  dimensions: number;
  /** This process' runtime: it serves the new version at once, and its current model is reused. */
  models?: ModelRuntime;
}

/** Held-out rows of `holdout` the stored `model` gets right, with `train` as its labelled rows. */
export async function heldoutRight(
  tf: Tf,
  model: StoredModel,
  split: { train: LabelledRow[]; holdout: LabelledRow[] },
  labelNames: LabelName[],
): Promise<number> {
  const evidence = await gatherEvidenceInSlices(tf, split.holdout, {
    rows: split.train,
    labelNames,
    classifier: { model: model.classifier, labels: model.labels },
    lexical: model.lexical,
    k: model.ensemble.knn_k,
    zeroShotTop: model.ensemble.zero_shot_top,
    zeroShotTemperature: model.ensemble.zero_shot_temperature,
  });
  return split.holdout.filter((row, index) =>
    combineEvidence(evidence[index], model.ensemble)?.value === row.value
  )
    .length;
}

function percent(right: number, total: number): string {
  return `${((100 * right) / Math.max(1, total)).toFixed(1)}%`;
}

/** Compares, activates when the policy says so, and records the decision on the version. */
export async function autoActivate(
  db: Database,
  tf: Tf,
  options: AutoActivateOptions,
): Promise<ActivationOutcome> {
  const { version } = options;
  const total = options.split.holdout.length;
  const right = options.heldoutScores.filter(([, correct]) => correct === 1).length;
  const outcome = async (
    decision: ActivationDecision,
    reason: string,
    extra: Partial<ActivationOutcome> = {},
    recorded = false,
  ): Promise<ActivationOutcome> => {
    if (!recorded) await recordActivationDecision(db, version, decision, reason);
    return {
      decision,
      reason,
      previous: null,
      right: null,
      active_right: null,
      holdout_size: total,
      ...extra,
    };
  };

  const setting = await readAutoRetrain(db);
  if (!setting.auto_activate) {
    return await outcome("off", "Auto-activation is off: load it by hand after checking its metrics");
  }
  const active = await activeModelVersion(db);
  let activeRight: number | null = null;
  let why: string;
  if (active === null) {
    why = `No version was active; ${right} of ${total} held-out rows right (${percent(right, total)})`;
  } else {
    if (total === 0) {
      return await outcome("kept", `No held-out rows to compare with ${active}: load it by hand`);
    }
    const [trained] = await db.query<{ since: string; accuracy: number | null }>(sql`
      SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS since, accuracy
      FROM model_versions WHERE version = ${active}`);
    const unseen = await labelledSince(db, options.split.holdout, trained.since);
    if (unseen.length < MIN_COMPARED_ROWS) {
      const own = trained.accuracy ?? 0;
      const figures = `held-out accuracy ${percent(right, total)} against ${active}'s own ${
        percent(own, 1)
      } (only ${unseen.length} held-out rows were labelled since ${active} was trained: too few to compare on)`;
      // The stored accuracy is rounded to four decimals: compare at that precision, so a tie activates.
      if (Math.round((right / total) * 1e4) / 1e4 < own) {
        return await outcome("kept", `${figures}: ${active} stays active`, { right, active_right: null });
      }
      why = figures;
    } else {
      const compared = await compareOn(unseen, active);
      if (compared.kept) return compared.kept;
      why = compared.why;
    }
  }
  return await activate();

  /** Both versions on the held-out rows at `indexes`: the kept outcome, or why the new one wins. */
  async function compareOn(
    indexes: number[],
    active: string,
  ): Promise<{ kept?: ActivationOutcome; why: string }> {
    const holdout = indexes.map((index) => options.split.holdout[index]);
    const newRight = indexes.filter((index) => options.heldoutScores[index]?.[1] === 1).length;
    const served = options.models?.current();
    const lease = served?.version === active ? options.models!.acquire() : undefined;
    let stored: StoredModel | undefined;
    try {
      if (!lease?.model) await cacheModelFiles(db, options.modelsDir, active);
      const model = lease?.model ?? (stored = await loadModelVersion(tf, options.modelsDir, active, {
        embeddingModelId: options.embeddingModelId,
        dimensions: options.dimensions,
      }));
      activeRight = await heldoutRight(
        tf,
        model,
        { train: options.split.train, holdout },
        options.labelNames,
      );
    } catch (error) {
      return {
        kept: await outcome(
          "failed",
          `Cannot compare with ${active}: ${(error as Error).message}; load ${version} by hand`,
        ),
        why: "",
      };
    } finally {
      lease?.release();
      stored?.classifier.dispose();
    }
    const n = holdout.length;
    const figures = `${newRight} of ${n} held-out rows labelled since ${active} was trained right ` +
      `(${percent(newRight, n)}), ${active} ${activeRight} (${percent(activeRight, n)}) on the same rows`;
    if (newRight < activeRight) {
      return {
        kept: await outcome("kept", `${figures}: ${active} stays active`, {
          right,
          active_right: activeRight,
        }),
        why: figures,
      };
    }
    return { why: figures };
  }

  async function activate(): Promise<ActivationOutcome> {
    let previous: string | null = null;
    try {
      // The decision, the re-score and the audit entry commit with the activation: a crash right after it
      // loses none of them, and no reader sees the version active without the reason.
      const commit = async () => {
        previous = await activateModelVersion(db, version, async (tx, retired) => {
          await recordActivationDecision(tx, version, "activated", why);
          const rescoreJobId = await enqueueRescore(tx, { reason: "activation", version });
          const details = JSON.stringify({
            version,
            previous: retired,
            reason: why,
            rescore_job_id: rescoreJobId,
          });
          // The same row core/accounts/audit.ts writes; an activation by the system has no acting user.
          await tx.query(sql`
          INSERT INTO audit_log (actor, actor_id, via, kind, details)
          VALUES (NULL, NULL, 'system', 'model.auto_activate', ${details}::text::jsonb)`);
        });
      };
      if (options.models) await options.models.switchTo(version, commit);
      else await commit();
    } catch (error) {
      return await outcome("failed", `Cannot activate ${version}: ${(error as Error).message}`, {
        right,
        active_right: activeRight,
      });
    }
    return await outcome("activated", why, { previous, right, active_right: activeRight }, true);
  }
}
