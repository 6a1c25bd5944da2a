/**
 * Model versions from the web side: the list GET /models shows, and activation (POST /load-model). A
 * version is checked in this process (files, checksums, manifest against the running embedding model)
 * before the database marks it active, so a corrupt or incompatible one is refused with 422 and the
 * active version stays; the workers then follow the activation through NOTIFY.
 */
import type { ModelList, ModelLoaded } from "../../contract/schemas.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import { countAutoAccepted } from "../suggest/auto_accept.ts";
import type { Database, Queryable } from "../db/database.ts";
import { ModelLoadError } from "../models/model_store.ts";
import {
  activateModelVersion,
  listModelVersions,
  modelVersionStatus,
  newestReadyVersion,
} from "../models/model_versions.ts";
import { enqueueRescore } from "../suggest/rescore_job.ts";
import { sql } from "../db/sql.ts";
import { DomainError } from "../domain_error.ts";
import { latestJob } from "../jobs/job_view.ts";
import { failPoint } from "../runtime/fail_point.ts";

/** Every version with its metrics, the active one, and the jobs that change them. */
export async function readModelList(db: Queryable): Promise<ModelList> {
  const versions = await listModelVersions(db);
  const [{ taxonomy }] = await db.query<{ taxonomy: number }>(sql`
    SELECT count(*)::int AS taxonomy FROM taxonomy_labels`);
  return {
    versions,
    active_version: versions.find((version) => version.status === "active")?.version ?? null,
    retrain_job: await latestJob(db, "retrain"),
    rescore_job: await latestJob(db, "rescore"),
    taxonomy_count: taxonomy,
    auto_accepted_count: await countAutoAccepted(db),
  };
}

/**
 * Why no version is ready, for the 409 of POST /load-model: the newest retrain still running, its error
 * (too few labels, say), or the newest version already active (activated by the auto-activation policy).
 */
export async function whyNoneReady(db: Queryable): Promise<string> {
  const job = await latestJob(db, "retrain");
  const [newest] = await db.query<{ version: string; status: string; job_id: number | null }>(sql`
    SELECT version, status, job_id FROM model_versions WHERE status <> 'failed' ORDER BY id DESC LIMIT 1`);
  if (job && (job.status === "queued" || job.status === "running")) {
    const progress = job.progress ? ` (${job.progress.message})` : "";
    const retry = job.last_error ? ` after a failed attempt: ${job.last_error}` : "";
    return `retrain job ${job.id} is ${job.status}${progress}${retry}`;
  }
  if (job?.status === "failed") {
    return `retrain job ${job.id} failed: ${job.last_error ?? "no reason recorded"}`;
  }
  if (newest?.status === "active") return `${newest.version}, the newest version, is already active`;
  if (newest) return `the newest version, ${newest.version}, is ${newest.status}; retrain first`;
  return "retrain first";
}

/**
 * Activates `requested` (the newest ready version when absent) in this process and in the database,
 * and queues the re-scoring of every row waiting for review in the activation's transaction.
 */
export async function loadModel(
  db: Database,
  models: ModelRuntime,
  requested: string | undefined,
): Promise<ModelLoaded> {
  const version = requested ?? await newestReadyVersion(db);
  if (!version) {
    throw new DomainError("conflict", `Cannot load a model: no version is ready; ${await whyNoneReady(db)}`);
  }
  const status = await modelVersionStatus(db, version);
  if (!status) throw new DomainError("not_found", `Cannot load model "${version}": no such version`);
  if (status === "training" || status === "failed") {
    throw new DomainError("conflict", `Cannot load model "${version}": it is ${status}, not ready`);
  }
  let previous: string | null = null;
  let rescoreJobId = 0;
  try {
    await models.switchTo(version, async () => {
      previous = await activateModelVersion(db, version, async (tx) => {
        rescoreJobId = await enqueueRescore(tx, { reason: "activation", version });
      });
    });
  } catch (error) {
    if (error instanceof ModelLoadError) throw new DomainError("invalid", error.message);
    throw error;
  }
  await failPoint("load-model.activated");
  return { version, previous, rescore_job_id: rescoreJobId };
}
