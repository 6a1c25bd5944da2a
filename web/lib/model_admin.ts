/**
 * Model versions from the web side: the list GET /models shows, and activation (POST /load-model). A
 * version is checked in this process (files, checksums, manifest against the running embedding model)
 * before the database marks it active, so a corrupt or incompatible one is refused with 422 and the
 * active version stays; the workers then follow the activation through NOTIFY.
 */
import type { ModelList, ModelLoaded } from "../../contract/schemas.ts";
import type { ModelRuntime } from "../../gpu-worker/lib/active_model.ts";
import { countAutoAccepted } from "../../gpu-worker/lib/auto_accept.ts";
import type { Database, Queryable } from "../../gpu-worker/lib/database.ts";
import { ModelLoadError } from "../../gpu-worker/lib/model_store.ts";
import {
  activateModelVersion,
  listModelVersions,
  modelVersionStatus,
  newestReadyVersion,
} from "../../gpu-worker/lib/model_versions.ts";
import { enqueueRescore } from "../../gpu-worker/lib/rescore_job.ts";
import { sql } from "../../gpu-worker/lib/sql.ts";
import { ApiProblem } from "./api_error.ts";
import { latestJob } from "./job_view.ts";

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
 * Activates `requested` (the newest ready version when absent) in this process and in the database,
 * then queues the re-scoring of every row waiting for review.
 */
export async function loadModel(
  db: Database,
  models: ModelRuntime,
  requested: string | undefined,
): Promise<ModelLoaded> {
  const version = requested ?? await newestReadyVersion(db);
  if (!version) {
    throw new ApiProblem(409, "Cannot load a model: no version is ready; retrain first");
  }
  const status = await modelVersionStatus(db, version);
  if (!status) throw new ApiProblem(404, `Cannot load model "${version}": no such version`);
  if (status === "training" || status === "failed") {
    throw new ApiProblem(409, `Cannot load model "${version}": it is ${status}, not ready`);
  }
  let previous: string | null = null;
  try {
    await models.switchTo(version, async () => {
      previous = await activateModelVersion(db, version);
    });
  } catch (error) {
    if (error instanceof ModelLoadError) throw new ApiProblem(422, error.message);
    throw error;
  }
  const rescoreJobId = await enqueueRescore(db, { reason: "activation", version });
  return { version, previous, rescore_job_id: rescoreJobId };
}
