/**
 * Many worker processes on a real PostgreSQL server (TEST_DATABASE_URL; scripts/test.sh starts one):
 * each worker is `node --import tsx gpu-worker/main.ts`, as `npm run worker` starts it, with the real
 * model. Every test gets its own database with three audit triggers: one row per vector written (so a
 * product embedded twice shows, even though the upsert keeps one vector), one per lease taken and one
 * per queue row completed (with the worker that held it).
 *
 * Sizes: the model saturates both cores of this machine at ~90 products/s whatever the number of
 * workers, so 5,000 products would take ~1 min per test. The coordination under test (claims, leases,
 * reconnects) is exercised just as well by 1,500 products in batches of 16 (~95 claims raced by three
 * processes) and 600 for the fault tests; `npm run bench:scale` runs the full 5,000.
 */
import { after, afterEach, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { promisify } from "node:util";
import type { Database } from "../core/db/database.ts";
import { openPostgresDatabase } from "../core/db/database_postgres.ts";
import { listWorkers } from "../core/jobs/heartbeat.ts";
import { enqueueRetrain, type RetrainResult } from "../core/model_lifecycle/retrain_job.ts";
import { DEFAULT_AUTO_RETRAIN, writeAutoRetrain } from "../core/model_lifecycle/auto_retrain_setting.ts";
import { sql } from "../core/db/sql.ts";
import { createServerTestDatabase, type ServerTestDatabase, testServerUrl } from "../testing/test_server.ts";
import { datasetRows, REPO_ROOT } from "../testing/testing.ts";
import {
  seedProducts,
  spawnWorker,
  stopAllWorkers,
  waitUntil,
  type WorkerProcess,
} from "../testing/worker_processes.ts";

const AUDIT = `
  CREATE TABLE audit_writes (product_id int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE FUNCTION audit_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO audit_writes (product_id) VALUES (NEW.product_id); RETURN NULL; END $$;
  CREATE TRIGGER audit_write AFTER INSERT OR UPDATE ON embeddings
    FOR EACH ROW EXECUTE FUNCTION audit_write();
  CREATE TABLE audit_claims (product_id int NOT NULL, locked_by text NOT NULL, attempts int NOT NULL);
  CREATE FUNCTION audit_claim() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO audit_claims VALUES (NEW.product_id, NEW.locked_by, NEW.attempts); RETURN NULL; END $$;
  CREATE TRIGGER audit_claim AFTER UPDATE ON embedding_queue
    FOR EACH ROW WHEN (NEW.attempts > OLD.attempts) EXECUTE FUNCTION audit_claim();
  CREATE TABLE audit_done (
    product_id int NOT NULL, locked_by text, at timestamptz NOT NULL DEFAULT clock_timestamp());
  CREATE FUNCTION audit_done() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO audit_done VALUES (OLD.product_id, OLD.locked_by); RETURN NULL; END $$;
  CREATE TRIGGER audit_done AFTER DELETE ON embedding_queue FOR EACH ROW EXECUTE FUNCTION audit_done();
`;

let created: ServerTestDatabase | undefined;
let db: Database | undefined;

async function freshDatabase(): Promise<{ db: Database; url: string }> {
  created = await createServerTestDatabase();
  db = await openPostgresDatabase(created.url, { max: 3 });
  await db.executeScript(AUDIT);
  return { db, url: created.url };
}

afterEach(async () => {
  await stopAllWorkers();
  await db?.close();
  db = undefined;
  await created?.drop();
  created = undefined;
});
after(stopAllWorkers);

function titles(count: number): string[] {
  return datasetRows(count).map((row) => row.title);
}

async function count(db: Database, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await db.query<{ n: number }>(query);
  return row.n;
}

function startWorkers(url: string, howMany: number, env: Record<string, string>): WorkerProcess[] {
  return Array.from({ length: howMany }, () => spawnWorker(url, env));
}

async function ready(workers: WorkerProcess[]): Promise<void> {
  await waitUntil(
    "every worker to load the model",
    () => Promise.resolve(workers.every((worker) => /\] ready: /.test(worker.output()))),
    180_000,
  ).catch((error) => {
    throw new Error(`${error.message}\n${workers.map((worker) => worker.output()).join("\n---\n")}`);
  });
}

async function allEmbedded(db: Database, total: number, timeoutMs: number, workers: WorkerProcess[]) {
  await waitUntil(
    `${total} products to be embedded`,
    async () => (await count(db, sql`SELECT count(*)::int AS n FROM embeddings`)) === total,
    timeoutMs,
  ).catch((error) => {
    throw new Error(`${error.message}\n${workers.map((worker) => worker.output()).join("\n---\n")}`);
  });
}

/** Products written (vector upserted) more than once, and products leased more than once. */
async function repeats(db: Database): Promise<{ rewritten: number[]; reclaimed: number[] }> {
  const rewritten = await db.query<{ product_id: number }>(sql`
    SELECT product_id FROM audit_writes GROUP BY product_id HAVING count(*) > 1 ORDER BY product_id`);
  const reclaimed = await db.query<{ product_id: number }>(sql`
    SELECT product_id FROM audit_claims GROUP BY product_id HAVING count(*) > 1 ORDER BY product_id`);
  return {
    rewritten: rewritten.map((row) => row.product_id),
    reclaimed: reclaimed.map((row) => row.product_id),
  };
}

async function assertNothingStuck(db: Database, ids: number[]): Promise<void> {
  assert.equal(await count(db, sql`SELECT count(*)::int AS n FROM embedding_queue`), 0, "the queue is empty");
  assert.equal(
    await count(db, sql`SELECT count(DISTINCT product_id)::int AS n FROM embeddings`),
    ids.length,
    "every product has its vector",
  );
  assert.equal(
    await count(db, sql`SELECT count(DISTINCT product_id)::int AS n FROM audit_writes`),
    ids.length,
  );
}

test("three worker processes embed 1,500 products, each exactly once, sharing the work", async () => {
  const { db, url } = await freshDatabase();
  const workers = startWorkers(url, 3, {
    EMBED_BATCH_SIZE: "16",
    WORKER_POLL_MS: "500",
    WORKER_HEARTBEAT_SECONDS: "0.5",
  });
  await ready(workers);
  const ids = await seedProducts(db, titles(1500));
  await allEmbedded(db, ids.length, 240_000, workers);

  await assertNothingStuck(db, ids);
  const { rewritten, reclaimed } = await repeats(db);
  assert.deepEqual(rewritten, [], "no product was embedded twice");
  assert.deepEqual(reclaimed, [], "no product was leased twice");
  assert.equal(await count(db, sql`SELECT count(*)::int AS n FROM audit_claims`), ids.length);

  const shares = await db.query<{ locked_by: string; n: number }>(sql`
    SELECT locked_by, count(*)::int AS n FROM audit_done GROUP BY locked_by ORDER BY locked_by`);
  assert.equal(shares.length, 3, `every worker finished some products: ${JSON.stringify(shares)}`);
  for (const share of shares) {
    assert.ok(share.n >= ids.length * 0.05, `${share.locked_by} did only ${share.n} products`);
  }

  // Heartbeats: three live workers whose counters add up; then a clean stop is reported as such.
  await waitUntil("the heartbeats to count every product", async () => {
    const list = await listWorkers(db);
    return list.workers.reduce((sum, worker) => sum + worker.products_embedded, 0) === ids.length;
  }, 10_000);
  const live = await listWorkers(db);
  assert.equal(live.live_count, 3);
  assert.deepEqual(live.workers.map((worker) => worker.device), ["cpu", "cpu", "cpu"]);
  assert.deepEqual(
    live.workers.map((worker) => worker.pid).sort(),
    workers.map((worker) => worker.pid).sort(),
  );
  await Promise.all(workers.map((worker) => worker.stop()));
  for (const worker of workers) assert.deepEqual(await worker.exited, { code: 0, signal: null });
  const stopped = await listWorkers(db);
  assert.deepEqual(stopped.workers.map((worker) => worker.status), ["stopped", "stopped", "stopped"]);
});

test("a worker killed with SIGKILL mid-batch loses its lease and the others finish its products once", async () => {
  const { db, url } = await freshDatabase();
  const workers = startWorkers(url, 3, {
    EMBED_BATCH_SIZE: "16",
    WORKER_POLL_MS: "300",
    WORKER_LEASE_SECONDS: "8",
    WORKER_HEARTBEAT_SECONDS: "0.5",
  });
  await ready(workers);
  const [victim, ...survivors] = workers;
  const ids = await seedProducts(db, titles(600));

  // Kill it while it holds a lease: between claiming a batch and committing its vectors.
  const held = sql`
    SELECT count(*)::int AS n FROM embedding_queue
    WHERE locked_by LIKE ${`%:${victim.pid}:%`} AND locked_until > now()`;
  await waitUntil("the victim to hold a lease", async () => (await count(db, held)) > 0, 60_000);
  victim.kill("SIGKILL");
  assert.deepEqual(await victim.exited, { code: null, signal: "SIGKILL" });
  const stranded = (await db.query<{ product_id: number }>(sql`
    SELECT product_id FROM embedding_queue WHERE locked_by LIKE ${`%:${victim.pid}:%`}
    ORDER BY product_id`)).map((row) => row.product_id);
  assert.ok(stranded.length > 0 && stranded.length <= 16, `stranded ${stranded.length} products`);

  await allEmbedded(db, ids.length, 120_000, survivors);
  await assertNothingStuck(db, ids);
  const { rewritten, reclaimed } = await repeats(db);
  // The victim's batch was leased again and written once, by a survivor: it never committed its own.
  for (const id of stranded) assert.ok(reclaimed.includes(id), `product ${id} was leased again`);
  assert.deepEqual(rewritten.filter((id) => stranded.includes(id)), [], "the victim wrote none of its batch");
  // Work repeats only where a lease ran out: a product written twice was leased twice. (A survivor's
  // batch takes ~0.5 s against its 8 s lease, so in practice only the victim's batch repeats; on a
  // heavily loaded machine a survivor's lease may run out too, which is allowed.)
  assert.deepEqual(rewritten.filter((id) => !reclaimed.includes(id)), [], "nothing repeated under a lease");
  const finishers = await db.query<{ locked_by: string }>(sql`
    SELECT DISTINCT locked_by FROM audit_done WHERE product_id = ANY(${stranded}::int[])`);
  assert.ok(finishers.every((row) => !row.locked_by.includes(`:${victim.pid}:`)));

  // Ops see it leave: it stops beating while the others carry on.
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const list = await listWorkers(db, { liveWithinSeconds: 2 });
  const status = new Map(list.workers.map((worker) => [worker.pid, worker.status]));
  assert.equal(status.get(victim.pid), "lost");
  for (const survivor of survivors) assert.equal(status.get(survivor.pid), "live");
});

test("the database restarts while workers run: they reconnect with backoff, finish, and listen again", async () => {
  const { db, url } = await freshDatabase();
  // A one-minute poll: after the restart only a re-established LISTEN can wake an idle worker quickly.
  const workers = startWorkers(url, 2, {
    EMBED_BATCH_SIZE: "16",
    WORKER_POLL_MS: "60000",
    WORKER_LEASE_SECONDS: "5",
    WORKER_HEARTBEAT_SECONDS: "0.5",
  });
  await ready(workers);
  const ids = await seedProducts(db, titles(600));
  await waitUntil(
    "a first part to be embedded",
    async () => (await count(db, sql`SELECT count(*)::int AS n FROM embeddings`)) >= 100,
    60_000,
  );

  const port = new URL(testServerUrl()!).port || "5432";
  // Crash-like stop, three seconds of refused connections, crash recovery, back.
  await promisify(execFile)(
    "bash",
    [path.join(REPO_ROOT, "scripts/pg_test_server.sh"), "restart", "immediate", "3"],
    { env: { ...process.env, PGTEST_PORT: port } },
  );
  const restartedAt = Date.now();
  const [{ since }] = await db.query<{ since: string }>(sql`SELECT now()::text AS since`);

  await allEmbedded(db, ids.length, 120_000, workers);
  await assertNothingStuck(db, ids);
  const { rewritten, reclaimed } = await repeats(db);
  // A batch in flight at the crash was rolled back, or committed and then lost with the client's
  // connection; either way its lease ran out and it was taken again. Nothing else repeats.
  assert.ok(
    rewritten.every((id) => reclaimed.includes(id)),
    `written twice without a lease running out: ${rewritten.filter((id) => !reclaimed.includes(id))}`,
  );
  for (const worker of workers) {
    const delays = [...worker.output().matchAll(/cannot reach the database: .*; retrying in (\d+) ms/g)]
      .map((match) => Number(match[1]));
    assert.ok(delays.length >= 2, `retried ${delays.length} times:\n${worker.output()}`);
    assert.ok(delays.every((delay, i) => i === 0 || delay > delays[i - 1]), `backs off: ${delays}`);
  }
  // Both carried on: each finished products after the restart, and says it is back.
  const finishers = await db.query<{ locked_by: string }>(sql`
    SELECT DISTINCT locked_by FROM audit_done WHERE at > ${since}::timestamptz`);
  for (const worker of workers) {
    assert.ok(
      finishers.some((row) => row.locked_by.includes(`:${worker.pid}:`)),
      `worker ${worker.pid} embedded nothing after the restart:\n${worker.output()}`,
    );
  }
  await waitUntil(
    "each worker to report the database reachable again",
    () =>
      Promise.resolve(
        workers.every((worker) => /database reachable again after \d+ failed/.test(worker.output())),
      ),
    20_000,
  );

  // Idle now, sleeping a minute between polls: a NOTIFY must reach them over the new connection.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const more = await seedProducts(db, titles(620).slice(600), { fileName: "after-restart.csv" });
  await allEmbedded(db, ids.length + more.length, 20_000, workers);

  await waitUntil("both heartbeats after the restart", async () => {
    const list = await listWorkers(db, { liveWithinSeconds: 5 });
    return list.live_count === 2 &&
      list.workers.every((worker) => Date.parse(worker.last_seen_at) >= restartedAt - 1000);
  }, 10_000);
});

test("a retrain job runs on a worker process while embedding goes on, and yields a ready version", async () => {
  const { db, url } = await freshDatabase();
  // Queued and left ready by hand here (auto_retrain_test.ts covers the scheduler and auto-activation).
  await writeAutoRetrain(db, { ...DEFAULT_AUTO_RETRAIN, enabled: false, auto_activate: false });
  const rows = datasetRows(900).filter((row) => row.category.trim() !== "").slice(0, 600);
  const labels = rows.map((row, i) => (i % 3 === 0 ? row.category : null));
  const workers = startWorkers(url, 2, {
    EMBED_BATCH_SIZE: "16",
    WORKER_POLL_MS: "300",
    WORKER_HEARTBEAT_SECONDS: "0.5",
  });
  await ready(workers);
  const ids = await seedProducts(db, rows.map((row) => row.title), { labels });
  // Train as soon as some labelled rows have vectors, while most of the import still waits.
  await waitUntil("120 labelled vectors", async () =>
    (await count(
      db,
      sql`
      SELECT count(*)::int AS n FROM embeddings JOIN product_labels USING (product_id)`,
    )) >= 120, 60_000);
  const { job_id: jobId } = await enqueueRetrain(db, {});
  const [{ queued }] = await db.query<{ queued: string }>(sql`SELECT now()::text AS queued`);
  await waitUntil(
    "the retrain job to finish",
    async () =>
      (await db.query(sql`SELECT 1 FROM jobs WHERE id = ${jobId} AND status IN ('done', 'failed')`))
        .length === 1,
    180_000,
  );

  const [job] = await db.query<
    { status: string; attempts: number; last_error: string | null; result: RetrainResult; finished: string }
  >(sql`SELECT status, attempts, last_error, result, finished_at::text AS finished FROM jobs WHERE id = ${jobId}`);
  assert.equal(job.status, "done", job.last_error ?? "");
  assert.equal(job.attempts, 1);
  assert.equal(job.result.version, "v1");
  assert.ok(job.result.train_size + job.result.holdout_size >= 120, JSON.stringify(job.result));
  const [version] = await db.query<{ status: string }>(sql`
    SELECT status FROM model_versions WHERE version = ${job.result.version}`);
  assert.equal(version.status, "ready");
  const during = await count(
    db,
    sql`
    SELECT count(*)::int AS n FROM audit_writes
    WHERE at > ${queued}::timestamptz AND at < ${job.finished}::timestamptz`,
  );
  assert.ok(during > 0, "vectors were written while the job ran");

  await allEmbedded(db, ids.length, 120_000, workers);
  await assertNothingStuck(db, ids);
  assert.deepEqual((await repeats(db)).rewritten, []);
  await waitUntil("the heartbeats to count the job", async () => {
    const list = await listWorkers(db);
    return list.workers.reduce((sum, worker) => sum + worker.jobs_done, 0) === 1;
  }, 10_000);
  console.log(`retrain ${JSON.stringify(job.result)}; ${during} vectors written meanwhile`);
});
