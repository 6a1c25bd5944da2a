import type { Database } from "../../core/db/database.ts";
import type { ModelRuntime } from "../../core/models/active_model.ts";
import type { UploadRegistry } from "../../core/imports/upload_progress.ts";
import type { NeighbourRefresher } from "../../core/review/neighbour_refresh.ts";

/** What the routes need from the running app: the database, the model in service, limits. */
export interface ApiDependencies {
  db: Database;
  modelId: string;
  maxUploadBytes: number;
  /** The model version this process scores with; without one, suggestions use no classifier head. */
  models?: ModelRuntime;
  /** Where model versions are written and read (MODELS_DIR). */
  modelsDir?: string;
  /** Uploads being read in this process, by key (a fresh registry per app when not given). */
  uploads?: UploadRegistry;
  /**
   * Re-scores the neighbours of decisions after answering, in batches (the served app); without it a
   * decision re-scores them before answering.
   */
  neighbours?: NeighbourRefresher;
}
