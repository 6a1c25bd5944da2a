/**
 * The model_versions table: one row per training run, from 'training' to 'ready' (files complete and
 * verified) to 'active' (served by every process; at most one, by a unique index) to 'retired'.
 */
import {
  type ActivationDecision,
  MODEL_CHANNEL,
  type ModelMetrics,
  type ModelVersionView,
} from "../../contract/schemas.ts";
import type { Database, Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";

/** Adds a version in 'training'; returns its name ("v" + id). */
export async function createModelVersion(
  db: Queryable,
  options: { embeddingModelId: string; dimensions: number; jobId: number | null },
): Promise<string> {
  const [row] = await db.query<{ version: string }>(sql`
    INSERT INTO model_versions (embedding_model_id, dimensions, job_id)
    VALUES (${options.embeddingModelId}, ${options.dimensions}, ${options.jobId})
    RETURNING version`);
  return row.version;
}

/** Marks a version whose files are written and verified as ready, with what it measured. */
export async function markModelReady(
  db: Queryable,
  version: string,
  options: { metrics: ModelMetrics; feedbackSnapshot: number },
): Promise<void> {
  const { metrics } = options;
  await db.query(sql`
    UPDATE model_versions SET status = 'ready', ready_at = now(),
      label_count = ${metrics.label_count}, train_size = ${metrics.train_size},
      holdout_size = ${metrics.holdout_size}, feedback_snapshot = ${options.feedbackSnapshot},
      accuracy = ${metrics.accuracy}, metrics = ${JSON.stringify(metrics)}::text::jsonb
    WHERE version = ${version} AND status = 'training'`);
}

/** Marks a version that never became ready as failed, keeping the reason. */
export async function markModelFailed(db: Queryable, version: string, error: string): Promise<void> {
  await db.query(sql`
    UPDATE model_versions SET status = 'failed', error = ${error.slice(0, 2000)}
    WHERE version = ${version} AND status = 'training'`);
}

/** The active version's name, or null. */
export async function activeModelVersion(db: Queryable): Promise<string | null> {
  const [row] = await db.query<{ version: string }>(sql`
    SELECT version FROM model_versions WHERE status = 'active'`);
  return row?.version ?? null;
}

/** One version's status, or undefined when it does not exist. */
export async function modelVersionStatus(db: Queryable, version: string): Promise<string | undefined> {
  const [row] = await db.query<{ status: string }>(sql`
    SELECT status FROM model_versions WHERE version = ${version}`);
  return row?.status;
}

/** The newest version that is ready (never yet active), or null. */
export async function newestReadyVersion(db: Queryable): Promise<string | null> {
  const [row] = await db.query<{ version: string }>(sql`
    SELECT version FROM model_versions WHERE status = 'ready' ORDER BY id DESC LIMIT 1`);
  return row?.version ?? null;
}

/** Serialises activations: see {@link activateModelVersion}. */
const ACTIVATION_LOCK = 7_340_002;

/**
 * Makes `version` the active one in one transaction (the previous active one is retired) and announces
 * it on MODEL_CHANNEL; returns the previous version. The caller has checked that its files load.
 * `alsoInTransaction(tx, previous)` runs in the same transaction, for what must not be lost if the
 * process dies right after the commit (the re-score an activation needs: a crash between two
 * transactions left the new version active and the queue scored by the old one for good).
 * Two activations at once on a server would otherwise both read the old active row before either
 * commits: the second's retiring UPDATE then misses the first's new version and the unique index on the
 * active version refuses its commit (a 500 for one of two simultaneous "Load" clicks). The advisory lock
 * makes the second wait; its statements then see the first's commit, so the last one simply wins.
 */
export async function activateModelVersion(
  db: Database,
  version: string,
  alsoInTransaction?: (tx: Queryable, previous: string | null) => Promise<void>,
): Promise<string | null> {
  return await db.transaction(async (tx) => {
    await tx.query(sql`SELECT pg_advisory_xact_lock(${ACTIVATION_LOCK})`);
    const [previous] = await tx.query<{ version: string }>(sql`
      UPDATE model_versions SET status = 'retired'
      WHERE status = 'active' AND version <> ${version}
      RETURNING version`);
    const activated = await tx.query(sql`
      UPDATE model_versions SET status = 'active', activated_at = now()
      WHERE version = ${version} AND status IN ('ready', 'retired', 'active')
      RETURNING 1`);
    if (activated.length !== 1) throw new Error(`Cannot activate model "${version}": it is not ready`);
    await alsoInTransaction?.(tx, previous?.version ?? null);
    await tx.query(sql`SELECT pg_notify(${MODEL_CHANNEL}, ${version})`);
    return previous?.version ?? null;
  });
}

const ISO = 'YYYY-MM-DD"T"HH24:MI:SS"Z"';

/** Every version, newest first, as GET /models shows them. */
export function listModelVersions(db: Queryable): Promise<ModelVersionView[]> {
  return db.query<ModelVersionView>(sql`
    SELECT version, status, embedding_model_id, dimensions, label_count, train_size, holdout_size,
      feedback_snapshot, accuracy, metrics, error, job_id,
      to_char(created_at AT TIME ZONE 'UTC', ${ISO}) AS created_at,
      to_char(ready_at AT TIME ZONE 'UTC', ${ISO}) AS ready_at,
      to_char(activated_at AT TIME ZONE 'UTC', ${ISO}) AS activated_at,
      activation_decision, activation_reason
    FROM model_versions ORDER BY id DESC`);
}

/** Stores what the auto-activation policy decided about `version`, and why (shown by GET /models). */
export async function recordActivationDecision(
  db: Queryable,
  version: string,
  decision: ActivationDecision,
  reason: string,
): Promise<void> {
  await db.query(sql`
    UPDATE model_versions SET activation_decision = ${decision}, activation_reason = ${reason.slice(0, 2000)}
    WHERE version = ${version}`);
}

/** The dimensions of the stored vectors (the `embedding vector(N)` column), for processes with no embedder. */
export async function storedVectorDimensions(db: Queryable): Promise<number> {
  const [row] = await db.query<{ dimensions: number }>(sql`
    SELECT atttypmod AS dimensions FROM pg_attribute
    WHERE attrelid = 'embeddings'::regclass AND attname = 'embedding'`);
  return row.dimensions;
}
