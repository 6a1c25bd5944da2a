/**
 * Retraining by itself while people review: active learning ranks the queue by the uncertainty of the
 * active version, so that version has to follow the labels. Every worker that can retrain calls
 * {@link scheduleRetrain} on its poll tick; it queues a retrain when the ops setting (key
 * `auto_retrain`) says one is due. Several workers may check at once: a transaction-level advisory lock
 * lets one check at a time (the others skip their tick), and the partial unique index jobs_one_retrain
 * (migration 0011) keeps at most one retrain queued or running whoever asks.
 *
 * New labels are counted by time against the last retrain job's creation: reviewers' decisions
 * (feedback rows, every decision counts) and seed labels from imports. Nothing is queued while labelled
 * rows still wait for their vectors: a retrain then would not see them.
 */
import type { AutoRetrainSetting, AutoRetrainStatus, JobKind } from "../../contract/schemas.ts";
import { readAutoRetrain } from "./auto_retrain_setting.ts";
import type { Database, Queryable } from "../db/database.ts";
import { MAX_ATTEMPTS } from "../embedding/embedding_queue.ts";
import { enqueueRetrain } from "./retrain_job.ts";
import { sql } from "../db/sql.ts";
import { MIN_TRAINING_ROWS } from "../learning/training.ts";

/** Serialises the schedulers of all workers (other locks: 7_340_001 migrations, 7_340_002 activation). */
const SCHEDULE_LOCK = 7_340_003;

const ISO = 'YYYY-MM-DD"T"HH24:MI:SS"Z"';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * Whether a retrain is due now under `setting`, and why (or why not), for embedding model `modelId`.
 * Cheap: a few indexed reads (migration 0011 indexes feedback and seed labels by time); the count of
 * trainable rows runs only while no version was ever trained.
 */
export async function judgeRetrain(
  db: Queryable,
  modelId: string,
  setting: AutoRetrainSetting,
): Promise<AutoRetrainStatus> {
  const [last] = await db.query<
    { id: number; status: string; created_at: string; exact: string; elapsed: number }
  >(sql`
    SELECT id, status, to_char(created_at AT TIME ZONE 'UTC', ${ISO}) AS created_at, created_at::text AS exact,
      extract(epoch FROM now() - created_at)::float8 AS elapsed
    FROM jobs WHERE kind = ${"retrain" satisfies JobKind} ORDER BY id DESC LIMIT 1`);
  const since = last?.exact ?? null;
  // Two shapes rather than `$1 IS NULL OR …`, which a generic plan would answer with a full scan.
  const [{ decisions, seeds }] = await db.query<{ decisions: number; seeds: number }>(
    since === null
      ? sql`
        SELECT (SELECT count(*)::int FROM feedback) AS decisions,
          (SELECT count(*)::int FROM product_labels WHERE source = 'seed') AS seeds`
      : sql`
        SELECT (SELECT count(*)::int FROM feedback WHERE created_at > ${since}::timestamptz) AS decisions,
          (SELECT count(*)::int FROM product_labels
           WHERE source = 'seed' AND updated_at > ${since}::timestamptz) AS seeds`,
  );
  const newLabels = decisions + seeds;
  const status = (due: boolean, reason: string): AutoRetrainStatus => ({
    new_labels: newLabels,
    last_retrain_job_id: last?.id ?? null,
    last_retrain_at: last?.created_at ?? null,
    due,
    reason,
  });
  if (!setting.enabled) return status(false, "Auto-retrain is off");
  if (last && (last.status === "queued" || last.status === "running")) {
    return status(false, `Retrain job ${last.id} is ${last.status}`);
  }
  if (newLabels === 0) {
    return status(false, last ? `No new labels since retrain job ${last.id}` : "No labels yet");
  }
  const labels = plural(newLabels, "new label");
  let reason: string | undefined;
  if (newLabels >= setting.every_labels) {
    reason = `${labels} (retrains every ${setting.every_labels})`;
  } else if (last && setting.every_minutes > 0 && last.elapsed >= setting.every_minutes * 60) {
    reason = `${labels} and ${plural(Math.floor(last.elapsed / 60), "minute")} since retrain job ${last.id}`;
  } else {
    const [{ usable }] = await db.query<{ usable: boolean }>(sql`
      SELECT EXISTS (SELECT 1 FROM model_versions WHERE status IN ('ready', 'active', 'retired')) AS usable`);
    if (!usable) {
      const [trainable] = await db.query<{ rows: number; values: number }>(sql`
        SELECT count(*)::int AS rows, count(DISTINCT labels.value)::int AS values
        FROM product_labels labels
        JOIN embeddings ON embeddings.product_id = labels.product_id AND embeddings.model_id = ${modelId}
        WHERE labels.source IN ('seed', 'human')`);
      if (trainable.rows >= MIN_TRAINING_ROWS && trainable.values >= 2) {
        reason = `No version trained yet, ${plural(trainable.rows, "labelled row")} to train on`;
      }
    }
  }
  if (!reason) {
    const more = setting.every_labels - newLabels;
    const after = last && setting.every_minutes > 0
      ? ` or ${plural(Math.max(1, Math.ceil(setting.every_minutes - last.elapsed / 60)), "minute")}`
      : "";
    return status(false, `${labels}: retrains after ${more} more${after}`);
  }
  // A retrain now would not see labelled rows whose vectors are still being computed.
  const [{ waiting }] = await db.query<{ waiting: boolean }>(sql`
    SELECT EXISTS (
      SELECT 1 FROM embedding_queue queue
      JOIN product_labels labels ON labels.product_id = queue.product_id AND labels.source IN ('seed', 'human')
      WHERE queue.model_id = ${modelId} AND queue.attempts < ${MAX_ATTEMPTS}
    ) AS waiting`);
  if (waiting) return status(false, `${reason}; waiting for the vectors of labelled rows`);
  return status(true, reason);
}

/** The stored setting and what the scheduler sees now. */
export async function readAutoRetrainState(
  db: Queryable,
  modelId: string,
): Promise<{ setting: AutoRetrainSetting; status: AutoRetrainStatus }> {
  const setting = await readAutoRetrain(db);
  return { setting, status: await judgeRetrain(db, modelId, setting) };
}

/**
 * One scheduler tick: queues a retrain if one is due. Returns the queued job, or null when none was due
 * or another worker is checking right now (it holds the lock; this tick is skipped, the next one runs).
 */
export async function scheduleRetrain(
  db: Database,
  modelId: string,
): Promise<{ job_id: number; reason: string } | null> {
  return await db.transaction(async (tx) => {
    const [{ locked }] = await tx.query<{ locked: boolean }>(sql`
      SELECT pg_try_advisory_xact_lock(${SCHEDULE_LOCK}) AS locked`);
    if (!locked) return null;
    const status = await judgeRetrain(tx, modelId, await readAutoRetrain(tx));
    if (!status.due) return null;
    const queued = await enqueueRetrain(tx, { trigger: "schedule", reason: status.reason });
    return queued.already_queued ? null : { job_id: queued.job_id, reason: status.reason };
  });
}
