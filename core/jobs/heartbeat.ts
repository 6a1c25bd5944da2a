/**
 * Worker heartbeats (table `workers`): each worker upserts its row at start, about every 10 s, and once
 * more when it stops, so ops see nodes join and leave (GET /workers). A report only: leases on the
 * queues decide who does what, so a late or lost heartbeat never changes the work.
 */
import os from "node:os";
import process from "node:process";
import type { WorkerList, WorkerView } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";

/** How often a worker reports. */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** A worker unseen for this long (three missed beats) counts as lost. */
export const LIVE_WITHIN_SECONDS = 30;
/** Workers gone for longer than this are no longer listed. */
export const RECENTLY_GONE_SECONDS = 3600;
/** Rows of workers gone for longer than this are deleted by the next heartbeat. */
export const FORGET_AFTER_DAYS = 7;

/** What does not change while a worker runs. */
export interface WorkerIdentity {
  id: string;
  host: string;
  pid: number;
  /** "node 20.20.2" or "deno 2.9.6". */
  runtime: string;
  /** Embedding execution provider: "cuda" or "cpu". */
  device: string;
  deviceDetail: string | null;
  trainingBackend: string | null;
  embeddingModel: string;
}

/** What a heartbeat reports besides the identity. */
export interface WorkerCounters {
  productsEmbedded: number;
  jobsDone: number;
  jobsFailed: number;
  modelVersion: string | null;
}

/** The name and version of the JavaScript runtime this code runs on. */
export function runtimeName(): string {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  return deno ? `deno ${deno.version.deno}` : `node ${process.versions.node}`;
}

/** The identity of this process, with the device fields filled in by the caller. */
export function thisProcess(
  fields: Omit<WorkerIdentity, "host" | "pid" | "runtime">,
): WorkerIdentity {
  return { host: os.hostname(), pid: process.pid, runtime: runtimeName(), ...fields };
}

/** Inserts or refreshes the worker's row (and clears stopped_at: a row reused by a restart is live). */
export async function recordHeartbeat(
  db: Queryable,
  identity: WorkerIdentity,
  counters: WorkerCounters,
): Promise<void> {
  await db.query(sql`
    INSERT INTO workers (id, host, pid, runtime, device, device_detail, training_backend, embedding_model,
                         model_version, products_embedded, jobs_done, jobs_failed)
    VALUES (${identity.id}, ${identity.host}, ${identity.pid}, ${identity.runtime}, ${identity.device},
            ${identity.deviceDetail}, ${identity.trainingBackend}, ${identity.embeddingModel},
            ${counters.modelVersion}, ${counters.productsEmbedded}, ${counters.jobsDone}, ${counters.jobsFailed})
    ON CONFLICT (id) DO UPDATE SET
      device = excluded.device, device_detail = excluded.device_detail,
      training_backend = excluded.training_backend, embedding_model = excluded.embedding_model,
      model_version = excluded.model_version, products_embedded = excluded.products_embedded,
      jobs_done = excluded.jobs_done, jobs_failed = excluded.jobs_failed,
      last_seen_at = now(), stopped_at = NULL`);
}

/** Marks the worker as stopped cleanly, with its final counters. */
export async function recordStopped(
  db: Queryable,
  workerId: string,
  counters: WorkerCounters,
): Promise<void> {
  await db.query(sql`
    UPDATE workers SET stopped_at = now(), last_seen_at = now(), model_version = ${counters.modelVersion},
      products_embedded = ${counters.productsEmbedded}, jobs_done = ${counters.jobsDone},
      jobs_failed = ${counters.jobsFailed}
    WHERE id = ${workerId}`);
}

/** Deletes the rows of workers gone for more than `days` days; returns how many. */
export async function forgetOldWorkers(db: Queryable, days = FORGET_AFTER_DAYS): Promise<number> {
  const rows = await db.query(sql`
    DELETE FROM workers WHERE last_seen_at < now() - make_interval(days => ${days}) RETURNING 1`);
  return rows.length;
}

/** Live workers first (newest first), then those stopped or lost within `recentSeconds`. */
export async function listWorkers(
  db: Queryable,
  options: { recentSeconds?: number; liveWithinSeconds?: number } = {},
): Promise<WorkerList> {
  const live = options.liveWithinSeconds ?? LIVE_WITHIN_SECONDS;
  const recent = options.recentSeconds ?? RECENTLY_GONE_SECONDS;
  const timestamp = (column: ReturnType<typeof sql>) =>
    sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
  const workers = await db.query<WorkerView>(sql`
    WITH seen AS (
      SELECT workers.*,
        CASE WHEN stopped_at IS NOT NULL THEN 'stopped'
             WHEN last_seen_at >= now() - make_interval(secs => ${live}) THEN 'live'
             ELSE 'lost' END AS status
      FROM workers
      WHERE last_seen_at >= now() - make_interval(secs => ${recent})
    )
    SELECT id, host, pid, runtime, device, device_detail, training_backend, embedding_model, model_version,
      products_embedded, jobs_done, jobs_failed, status,
      ${timestamp(sql`started_at`)} AS started_at, ${timestamp(sql`last_seen_at`)} AS last_seen_at,
      greatest(0, floor(extract(epoch FROM now() - last_seen_at)))::int AS seconds_since_seen
    FROM seen
    ORDER BY status = 'live' DESC, last_seen_at DESC, id
    LIMIT 500`);
  const [{ now }] = await db.query<{ now: string }>(
    sql`SELECT ${timestamp(sql`now()`)} AS now`,
  );
  return {
    workers,
    live_count: workers.filter((worker) => worker.status === "live").length,
    heartbeat_seconds: HEARTBEAT_INTERVAL_MS / 1000,
    live_within_seconds: live,
    now,
  };
}

/** A running heartbeat. */
export interface Heartbeat {
  /** Reports now (also called by the timer); never throws, a failure is logged and retried next beat. */
  beat(): Promise<void>;
  /** Stops the timer and records a clean stop. */
  stop(): Promise<void>;
}

/** Reports at once, then every `intervalMs`, until stopped. */
export function startHeartbeat(
  db: Queryable,
  identity: WorkerIdentity,
  counters: () => WorkerCounters,
  options: { intervalMs?: number; log?: (message: string) => void } = {},
): Heartbeat {
  const log = options.log ?? console.log;
  let failing = false;
  let stopped = false;
  let forgotten = false;
  let inFlight: Promise<void> = Promise.resolve();
  const beat = () => {
    inFlight = inFlight.then(async () => {
      if (stopped) return;
      try {
        await recordHeartbeat(db, identity, counters());
        // Once per worker life is enough to keep the table small.
        if (!forgotten) {
          await forgetOldWorkers(db);
          forgotten = true;
        }
        if (failing) log("heartbeat recorded again");
        failing = false;
      } catch (error) {
        // Logged once per outage: the worker loop already reports the database being unreachable.
        if (!failing) log(`cannot record the heartbeat: ${(error as Error).message}`);
        failing = true;
      }
    });
    return inFlight;
  };
  const timer = setInterval(beat, options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  // A heartbeat alone must not keep a process alive (Node; Deno's timers have no unref here).
  (timer as { unref?: () => void }).unref?.();
  void beat();
  return {
    beat,
    async stop() {
      clearInterval(timer);
      await inFlight;
      stopped = true;
      try {
        await recordStopped(db, identity.id, counters());
      } catch (error) {
        log(`cannot record the stop: ${(error as Error).message}`);
      }
    },
  };
}
