/**
 * The worker loop, the same module under Deno (embedded, in the web process) and Node (separate worker
 * processes): wake on NOTIFY, also poll (a lost notification delays work, never loses it), claim a batch
 * of products, embed, write vectors and suggestions, report progress.
 */
import { WORK_CHANNEL } from "../../contract/schemas.ts";
import type { Database } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import type { JobContext, JobHandler } from "../jobs/job_handler.ts";
import {
  type ClaimedProduct,
  claimProducts,
  completeEmbeddings,
  enqueueMissingEmbeddings,
  failEmbeddings,
  hasQueuedProducts,
} from "../embedding/embedding_queue.ts";
import {
  productsMissingSuggestion,
  queueRefreshAroundLabels,
  refreshQueuedSuggestions,
  refreshSuggestions,
} from "../suggest/suggestions.ts";
import { sql } from "../db/sql.ts";
import { yieldToEventLoop } from "../runtime/yield_to_event_loop.ts";
import { claimJob, completeJob, failJob, reportJobProgress } from "../jobs/jobs.ts";
import { startHeartbeat, thisProcess } from "../jobs/heartbeat.ts";
import type { ModelRuntime } from "../models/active_model.ts";
import { embedMissingLabelNames } from "../suggest/label_names.ts";
import { processIdentity } from "../runtime/process_identity.ts";
import { scheduleRetrain } from "../model_lifecycle/auto_retrain.ts";
import { scheduleCatalogueMatch } from "../catalogue/catalogue_schedule.ts";
import {
  fillMissingDensity,
  hasMissingDensity,
  needsSpread,
  spreadQueueTop,
} from "../suggest/review_rank.ts";

/** Options for {@link startWorker}. */
export interface WorkerOptions {
  batchSize: number;
  pollMs: number;
  leaseSeconds: number;
  /** Identifies this worker in leases and logs; defaults to host:pid:random. */
  workerId?: string;
  log?: (message: string) => void;
  /** Handlers by job kind; the worker claims only jobs it has a handler for. */
  jobHandlers?: Record<string, JobHandler>;
  /** What the heartbeat reports about the device (see device.ts); defaults to plain "cpu". */
  device?: { device: string; detail: string | null; trainingBackend: string | null };
  /** The model version this worker serves, for the heartbeat; null until one is active. */
  modelVersion?: () => string | null;
  /** Heartbeat interval; defaults to HEARTBEAT_INTERVAL_MS (10 s). */
  heartbeatMs?: number;
  /** The model version this process scores with (active_model.ts); without it: no classifier head. */
  models?: ModelRuntime;
}

/**
 * Pause after the n-th consecutive database failure: 0.5 s doubling to 30 s, with jitter so many
 * workers do not reconnect in lockstep after a server restart. postgres.js reconnects by itself on the
 * next query, so waiting is all the loop has to do.
 */
export function retryDelayMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.75 + 0.5 * random()));
}

/** Rows per write and per scoring statement on embedded PGlite (see startWorker's statementRows). */
export const EMBEDDED_STATEMENT_ROWS = 8;

/**
 * Rows re-scored per transaction by the idle sweep of suggestion_refresh: as the rescore job's batches,
 * small enough that on embedded PGlite (the web server's thread) each stall stays short.
 */
const REFRESH_CHUNK = 64;

/** A running worker. */
export interface WorkerHandle {
  readonly workerId: string;
  /**
   * Resolves once every product queued so far is embedded (or has failed for good) and the review
   * queue's order is complete (every waiting row's density, the top spread: review_rank.ts), and no
   * job's follow-up is still running.
   */
  idle(): Promise<void>;
  /** Stops after the batch in flight; resolves when the loop has exited. */
  stop(): Promise<void>;
  /** Counters since start. */
  readonly stats: WorkerStats;
}

/** What a worker has done since start. */
export interface WorkerStats {
  embedded: number;
  failed: number;
  batches: number;
  jobsDone: number;
  jobsFailed: number;
  /**
   * Wall-clock seconds the embedding loop spent in each step since start: leasing a batch, the model,
   * writing vectors, scoring the batch, queueing and re-scoring the unlabelled neighbours of labelled rows,
   * and the rest (progress notices, idle sweeps of label names and missing suggestions). Where throughput goes;
   * bench:embed prints it.
   */
  seconds: Record<WorkerStep, number>;
}

/** The steps of {@link WorkerStats.seconds}. */
export type WorkerStep = "claim" | "embed" | "write" | "suggest" | "neighbours" | "other";

function defaultWorkerId(): string {
  return processIdentity(Math.random().toString(36).slice(2, 8));
}

/** Starts the loop; it runs until `stop()` is called. */
export async function startWorker(
  db: Database,
  embedder: Embedder,
  options: WorkerOptions,
): Promise<WorkerHandle> {
  const workerId = options.workerId ?? defaultWorkerId();
  const log = options.log ?? ((message: string) => console.log(`[worker ${workerId}] ${message}`));
  const stats: WorkerStats = {
    embedded: 0,
    failed: 0,
    batches: 0,
    jobsDone: 0,
    jobsFailed: 0,
    seconds: { claim: 0, embed: 0, write: 0, suggest: 0, neighbours: 0, other: 0 },
  };
  /** Runs `work`, adding its wall time to `stats.seconds[step]`. */
  async function timed<T>(step: WorkerStep, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      stats.seconds[step] += (performance.now() - started) / 1000;
    }
  }
  let stopping = false;
  const sleepers = new Set<() => void>();
  const wake = () => {
    for (const done of [...sleepers]) done();
  };
  let idleWaiters: (() => void)[] = [];
  // Jobs' follow-ups (JobContext.followUp) still running; stop() aborts and waits for them.
  const followUps = new Set<Promise<void>>();
  const followUpsStopped = new AbortController();
  const followUp = (name: string, work: (stopped: AbortSignal) => Promise<void>) => {
    const running: Promise<void> = work(followUpsStopped.signal)
      .catch((error) => log(`${name}: ${(error as Error).message}`))
      .finally(() => {
        followUps.delete(running);
        wake();
      });
    followUps.add(running);
  };

  const requeued = await enqueueMissingEmbeddings(db, embedder.modelId);
  if (requeued > 0) log(`queued ${requeued} products that have no ${embedder.modelId} vector`);

  // `wake` on every (re)subscription too: NOTIFYs sent while the connection was down are lost.
  const unlisten = await db.listen(WORK_CHANNEL, wake, wake);
  const heartbeat = startHeartbeat(
    db,
    thisProcess({
      id: workerId,
      device: options.device?.device ?? "cpu",
      deviceDetail: options.device?.detail ?? null,
      trainingBackend: options.device?.trainingBackend ?? null,
      embeddingModel: embedder.modelId,
    }),
    () => ({
      productsEmbedded: stats.embedded,
      jobsDone: stats.jobsDone,
      jobsFailed: stats.jobsFailed,
      modelVersion: options.modelVersion?.() ?? options.models?.version ?? null,
    }),
    { intervalMs: options.heartbeatMs, log },
  );

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      }
      sleepers.add(done);
    });
  }

  /**
   * Rows written and scored per statement. On embedded PGlite a statement holds the server's thread:
   * writing 32 vectors (each an HNSW insert, ~5 ms here) and scoring them held it for 300–900 ms, so
   * requests waited that long (bench/embed_responsiveness.ts); 8 at a time with a macrotask between
   * them lets requests through. A server's workers write the whole batch at once.
   */
  const statementRows = db.kind === "pglite" ? EMBEDDED_STATEMENT_ROWS : options.batchSize;

  /** A claimed batch and its vectors on the way. */
  interface Claimed {
    products: ClaimedProduct[];
    vectors: Promise<number[][]>;
  }
  /**
   * The next batch, claimed and sent to the model while this one is written and scored, when the model
   * runs on a thread of its own (Embedder.offThread): the database work of a batch (write, score,
   * neighbours) took ~4× the model's time in the embedded shape, and this way they overlap.
   */
  let ahead: Promise<Claimed> | undefined;

  async function claimBatch(): Promise<Claimed> {
    const products = await timed("claim", () =>
      claimProducts(db, {
        modelId: embedder.modelId,
        workerId,
        limit: options.batchSize,
        leaseSeconds: options.leaseSeconds,
      }));
    const vectors = products.length === 0
      ? Promise.resolve([])
      : embedder.embed(products.map((product) => product.text));
    // Awaited when the batch is written; until then a failure must not count as unhandled.
    vectors.catch(() => {});
    return { products, vectors };
  }

  async function runBatch(): Promise<boolean> {
    const next = ahead ?? claimBatch();
    ahead = undefined;
    const { products: claimed, vectors: embedding } = await next;
    if (claimed.length === 0) return false;
    if (embedder.offThread && !stopping) {
      ahead = claimBatch();
      ahead.catch(() => {});
    }
    const productIds = claimed.map((product) => product.product_id);
    try {
      const vectors = await timed("embed", () => embedding);
      for (let start = 0; start < productIds.length; start += statementRows) {
        const ids = productIds.slice(start, start + statementRows);
        await timed(
          "write",
          () =>
            db.transaction((tx) =>
              completeEmbeddings(tx, {
                modelId: embedder.modelId,
                workerId,
                productIds: ids,
                vectors: vectors.slice(start, start + statementRows),
              })
            ),
        );
        if (statementRows < productIds.length) await yieldToEventLoop();
      }
      for (let start = 0; start < productIds.length; start += statementRows) {
        const ids = productIds.slice(start, start + statementRows);
        await timed(
          "suggest",
          () =>
            refreshSuggestions(db, { modelId: embedder.modelId, productIds: ids, models: options.models }),
        );
        if (statementRows < productIds.length) await yieldToEventLoop();
      }
      // The neighbours of rows that came with a label are only queued here (a labelled file would
      // otherwise re-score hundreds of rows per batch); the idle sweep below re-scores each once.
      await timed("neighbours", async () => {
        const labelled = await db.query<{ product_id: number }>(sql`
          SELECT product_id FROM product_labels WHERE product_id = ANY(${productIds}::int[])`);
        await queueRefreshAroundLabels(db, {
          modelId: embedder.modelId,
          labelledIds: labelled.map((row) => row.product_id),
        });
      });
      stats.embedded += claimed.length;
    } catch (error) {
      stats.failed += claimed.length;
      log(`batch of ${claimed.length} failed: ${(error as Error).message}`);
      await failEmbeddings(db, {
        modelId: embedder.modelId,
        workerId,
        productIds,
        error: (error as Error).message,
      });
    }
    stats.batches++;
    return true;
  }

  /** Re-scores rows queued near new labels (suggestions.ts queueRefreshAroundLabels), a chunk at a time. */
  async function sweepQueuedRefresh(): Promise<boolean> {
    return (await refreshQueuedSuggestions(db, {
      modelId: embedder.modelId,
      limit: REFRESH_CHUNK,
      models: options.models,
    })) > 0;
  }

  async function sweepMissingSuggestions(): Promise<boolean> {
    const ids = await productsMissingSuggestion(db, { modelId: embedder.modelId, limit: 200 });
    if (ids.length === 0) return false;
    return (await refreshSuggestions(db, {
      modelId: embedder.modelId,
      productIds: ids,
      models: options.models,
    })) >
      0;
  }

  /** Embeds label names (taxonomy, new label values) for zero-shot, a few at a time when idle. */
  async function sweepLabelNames(): Promise<boolean> {
    return (await embedMissingLabelNames(db, embedder, { limit: 64 })) > 0;
  }

  /**
   * Measures the density of waiting rows that have none (the review queue's order), a batch at a time
   * when idle: after the embedding, so each row is compared with the whole import rather than the part
   * embedded before it.
   */
  async function sweepDensity(): Promise<boolean> {
    // 16 rows a statement: one HNSW search per row, ~15 ms each on 2 busy cores, and on embedded PGlite
    // the statement holds the web server's thread.
    return (await fillMissingDensity(db, { modelId: embedder.modelId, limit: 16 })) > 0;
  }

  /** Spreads the top of the review queue over the data once its order changed (review_rank.ts). */
  async function sweepQueueTop(): Promise<boolean> {
    if (!(await needsSpread(db, embedder.modelId))) return false;
    await spreadQueueTop(db, { modelId: embedder.modelId });
    return true;
  }

  async function hasPendingWork(): Promise<boolean> {
    return await hasQueuedProducts(db, embedder.modelId) || await hasMissingDensity(db, embedder.modelId) ||
      await needsSpread(db, embedder.modelId);
  }

  /**
   * Runs `tick` until stop(): again at once when it did work, after pollMs (or a NOTIFY) when idle, and
   * after {@link retryDelayMs} while the database fails, saying when it is reachable again. `what` names
   * the loop in its log lines ("" for the embedding loop, " for jobs").
   */
  async function runLoop(what: string, tick: () => Promise<boolean>): Promise<void> {
    let failures = 0;
    while (!stopping) {
      let worked: boolean;
      try {
        worked = await tick();
      } catch (error) {
        failures++;
        const delay = retryDelayMs(failures);
        log(`cannot reach the database${what}: ${(error as Error).message}; retrying in ${delay} ms`);
        await sleep(delay);
        continue;
      }
      if (failures > 0) log(`database reachable again${what} after ${failures} failed attempts`);
      failures = 0;
      if (!worked) await sleep(options.pollMs);
      // Between two ticks that did work, a macrotask: in-process PGlite resolves as microtasks, so a run
      // of sweeps (a density statement per 16 rows after an import) held the embedded server's thread
      // for 85 s at 20,000 rows, every request waiting (bench/embed_responsiveness.ts).
      else await yieldToEventLoop();
    }
  }

  let lastReport = Date.now();
  let sinceReport = 0;

  /**
   * One step of the embedding loop: a batch, else label names, else queued neighbours, else missing
   * suggestions, else the review queue's density and spread.
   */
  async function embeddingTick(): Promise<boolean> {
    const before = stats.embedded;
    let worked = await runBatch();
    sinceReport += stats.embedded - before;
    if (!worked) worked = await timed("other", sweepLabelNames);
    if (!worked) worked = await timed("neighbours", sweepQueuedRefresh);
    if (!worked) worked = await timed("other", sweepMissingSuggestions);
    if (!worked) worked = await timed("other", sweepDensity);
    if (!worked) worked = await timed("other", sweepQueueTop);
    const now = Date.now();
    if (sinceReport > 0 && (now - lastReport > 5000 || !worked)) {
      const rate = sinceReport / ((now - lastReport) / 1000);
      log(`embedded ${stats.embedded} products (${rate.toFixed(1)}/s), ${stats.failed} failed`);
      lastReport = now;
      sinceReport = 0;
    }
    if (
      !worked && idleWaiters.length > 0 && followUps.size === 0 && !(await hasPendingWork().catch(() => true))
    ) {
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    }
    return worked;
  }

  const loop = runLoop("", embeddingTick);

  const handlers = options.jobHandlers ?? {};
  const kinds = Object.keys(handlers);

  async function runJob(): Promise<boolean> {
    const job = await claimJob(db, { kinds, workerId, leaseSeconds: options.leaseSeconds });
    if (!job) return false;
    log(`job ${job.id} (${job.kind}) started, attempt ${job.attempts}`);
    const context: JobContext = {
      db,
      embedder,
      workerId,
      async progress(done, total, message) {
        const held = await reportJobProgress(db, {
          jobId: job.id,
          workerId,
          leaseSeconds: options.leaseSeconds,
          progress: { done, total, message: message.slice(0, 500) },
        });
        if (!held) throw new Error(`Lost the lease on job ${job.id}`);
      },
      followUp,
    };
    try {
      const result = await handlers[job.kind](job, context);
      await completeJob(db, { jobId: job.id, workerId, result });
      stats.jobsDone++;
      log(`job ${job.id} (${job.kind}) done`);
    } catch (error) {
      stats.jobsFailed++;
      log(`job ${job.id} (${job.kind}) failed: ${(error as Error).message}`);
      await failJob(db, { jobId: job.id, workerId, error: (error as Error).message });
    }
    return true;
  }

  // The auto-retrain scheduler runs where retrains can run, on the job loop's idle ticks (every pollMs
  // while no job is waiting): a few indexed reads under a try-lock, so any number of workers is cheap.
  async function scheduleTick(): Promise<boolean> {
    const queued = await scheduleRetrain(db, embedder.modelId);
    if (queued) log(`queued retrain job ${queued.job_id}: ${queued.reason}`);
    return queued !== null;
  }

  // Catalogue fields are matched again when their rows, entries or decisions changed (catalogue_schedule.ts).
  async function catalogueTick(): Promise<boolean> {
    const queued = await scheduleCatalogueMatch(db, embedder.modelId);
    if (queued) log(`queued catalogue-match job ${queued.job_id} for the field ${queued.field}`);
    return queued !== null;
  }

  // Jobs run beside the embedding loop, not between its batches, so a long retrain never stalls
  // embedding (and vice versa) even inside the one embedded process.
  const jobLoop = kinds.length === 0 ? Promise.resolve() : runLoop(" for jobs", async () => {
    const worked = await runJob();
    return worked || (handlers.retrain !== undefined && await scheduleTick()) ||
      (handlers["catalogue-match"] !== undefined && await catalogueTick());
  });

  return {
    workerId,
    stats,
    idle() {
      return new Promise((resolve) => {
        idleWaiters.push(resolve);
        wake();
      });
    },
    async stop() {
      stopping = true;
      wake();
      await Promise.all([loop, jobLoop]);
      followUpsStopped.abort();
      await Promise.all(followUps);
      // A batch claimed ahead is finished too, rather than left leased until its lease runs out.
      if (ahead) await runBatch().catch(() => {});
      await heartbeat.stop();
      await unlisten();
      for (const resolve of idleWaiters) resolve();
      idleWaiters = [];
    },
  };
}
