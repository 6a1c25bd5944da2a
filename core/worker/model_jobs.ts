/** The job handlers of the learning loop, for `startWorker({ jobHandlers })` in every worker process. */
import type { ModelRuntime } from "../models/active_model.ts";
import { rescoreHandler } from "../suggest/rescore_job.ts";
import { retrainHandler, type RetrainOptions } from "../model_lifecycle/retrain_job.ts";
import type { JobHandler } from "../jobs/job_handler.ts";
import { catalogueMatchHandler } from "../catalogue/catalogue_match_job.ts";

/**
 * `retrain` and `rescore` handlers writing versions to `modelsDir` and scoring with `models`, and the
 * catalogue fields' `catalogue-match`.
 */
export function modelJobHandlers(
  options: RetrainOptions & { models: ModelRuntime },
): Record<"retrain" | "rescore" | "catalogue-match", JobHandler> {
  return {
    retrain: retrainHandler(options),
    rescore: rescoreHandler({ models: options.models }),
    "catalogue-match": catalogueMatchHandler(),
  };
}
