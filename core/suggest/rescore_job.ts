/**
 * The `rescore` job: re-scores every row still waiting for review, after a version is activated (so the
 * whole queue reflects the new model, not only rows touched since) or after a taxonomy upload (so
 * zero-shot can use the new label names). Rows are scored in batches, reporting progress.
 */
import { type JobKind, RescorePayload } from "../../contract/schemas.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import type { Queryable } from "../db/database.ts";
import { enqueueJob } from "../jobs/jobs.ts";
import { embedMissingLabelNames } from "./label_names.ts";
import { sql } from "../db/sql.ts";
import { refreshSuggestions } from "./suggestions.ts";
import type { JobHandler } from "../jobs/job_handler.ts";
import { yieldToEventLoop } from "../runtime/yield_to_event_loop.ts";
import { failPoint } from "../runtime/fail_point.ts";

/**
 * Rows scored per statement batch. On embedded PGlite each batch's kNN query runs on the web server's
 * thread: 256 rows held it for ~1.5 s on 2 busy cores (bench:retrain-latency, the re-score an
 * auto-activation queues); 64 keep each stall a few hundred ms.
 */
const BATCH = 64;

/** Queues a rescore unless one is already waiting (it will score with whatever is active when it runs). */
export async function enqueueRescore(db: Queryable, payload: RescorePayload): Promise<number> {
  const [waiting] = await db.query<{ id: number }>(sql`
    SELECT id FROM jobs WHERE kind = ${"rescore" satisfies JobKind} AND status = 'queued'
    ORDER BY id LIMIT 1`);
  if (waiting) return waiting.id;
  return await enqueueJob(db, "rescore", payload, { priority: 1 });
}

/** The `rescore` job handler for a process whose model runtime is `models`. */
export function rescoreHandler(options: { models: ModelRuntime }): JobHandler {
  return async (job, context) => {
    const payload = RescorePayload.parse(job.payload);
    const { db, embedder } = context;
    // The notification that announced the version may not have arrived here yet.
    await options.models.sync(db);
    await embedMissingLabelNames(db, embedder);
    const pending = await db.query<{ product_id: number }>(sql`
      SELECT embeddings.product_id FROM embeddings
      WHERE embeddings.model_id = ${embedder.modelId}
        AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = embeddings.product_id)
      ORDER BY embeddings.product_id`);
    const ids = pending.map((row) => row.product_id);
    const version = options.models.version;
    let rescored = 0;
    for (let start = 0; start < ids.length; start += BATCH) {
      await context.progress(
        start,
        ids.length,
        `Re-scoring with ${version ?? "no model"}: ${start} of ${ids.length}`,
      );
      rescored += await refreshSuggestions(db, {
        modelId: embedder.modelId,
        productIds: ids.slice(start, start + BATCH),
        models: options.models,
      });
      // A crash here leaves some rows scored by the new version and some by the old: the job's lease
      // ends at the next start-up and its retry scores them all again.
      await failPoint("rescore.batch");
      await yieldToEventLoop();
    }
    await context.progress(
      ids.length,
      ids.length,
      `Re-scored ${rescored} rows with ${version ?? "no model"}`,
    );
    return { reason: payload.reason, version, rescored };
  };
}
