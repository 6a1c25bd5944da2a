import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import type { Database, Queryable } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import {
  forgetOldWorkers,
  listWorkers,
  recordHeartbeat,
  recordStopped,
  runtimeName,
  startHeartbeat,
  thisProcess,
  type WorkerCounters,
} from "./heartbeat.ts";
import { sql } from "../db/sql.ts";
import { openTestDatabase } from "../../testing/testing.ts";
import { startWorker } from "../worker/worker_loop.ts";

let db: Database;

before(async () => {
  db = await openTestDatabase();
});
after(async () => {
  await db.close();
});

const counters = (productsEmbedded = 0): WorkerCounters => ({
  productsEmbedded,
  jobsDone: 0,
  jobsFailed: 0,
  modelVersion: null,
});

function identity(id: string) {
  return thisProcess({
    id,
    device: "cpu",
    deviceDetail: "embedding on cpu: no NVIDIA GPU",
    trainingBackend: "@tensorflow/tfjs-backend-wasm",
    embeddingModel: "test-model",
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("recordHeartbeat() inserts a worker once and then refreshes its counters and last_seen_at", async () => {
  await recordHeartbeat(db, identity("hb-a"), counters(0));
  await db.query(sql`UPDATE workers SET last_seen_at = now() - interval '20 seconds' WHERE id = 'hb-a'`);
  await recordHeartbeat(db, identity("hb-a"), { ...counters(64), jobsDone: 2, modelVersion: "v3" });
  const rows = await db.query<
    { products_embedded: number; jobs_done: number; model_version: string; fresh: boolean; runtime: string }
  >(sql`
    SELECT products_embedded, jobs_done, model_version, runtime,
           last_seen_at > now() - interval '5 seconds' AS fresh
    FROM workers WHERE id = 'hb-a'`);
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0], {
    products_embedded: 64,
    jobs_done: 2,
    model_version: "v3",
    runtime: runtimeName(),
    fresh: true,
  });
  assert.match(runtimeName(), /^(node|deno) \d+\.\d+\.\d+/);
  await db.query(sql`DELETE FROM workers`);
});

test("listWorkers() lists live workers first, then stopped and lost ones, and hides long-gone ones", async () => {
  for (const id of ["live-old", "live-new", "stopped", "lost", "ancient"]) {
    await recordHeartbeat(db, identity(id), counters());
  }
  await db.query(sql`UPDATE workers SET last_seen_at = now() - interval '5 seconds' WHERE id = 'live-old'`);
  await recordStopped(db, "stopped", counters(10));
  await db.query(sql`UPDATE workers SET last_seen_at = now() - interval '2 minutes' WHERE id = 'stopped'`);
  await db.query(sql`UPDATE workers SET last_seen_at = now() - interval '45 seconds' WHERE id = 'lost'`);
  await db.query(sql`UPDATE workers SET last_seen_at = now() - interval '2 hours' WHERE id = 'ancient'`);

  const list = await listWorkers(db);
  assert.deepEqual(
    list.workers.map((worker) => [worker.id, worker.status]),
    [["live-new", "live"], ["live-old", "live"], ["lost", "lost"], ["stopped", "stopped"]],
  );
  assert.equal(list.live_count, 2);
  assert.equal(list.heartbeat_seconds, 10);
  assert.equal(list.live_within_seconds, 30);
  assert.match(list.now, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const lost = list.workers.find((worker) => worker.id === "lost")!;
  assert.ok(lost.seconds_since_seen >= 44 && lost.seconds_since_seen <= 60, String(lost.seconds_since_seen));
  assert.equal(list.workers.find((worker) => worker.id === "stopped")!.products_embedded, 10);
  await db.query(sql`DELETE FROM workers`);
});

test("forgetOldWorkers() deletes only rows gone for more than seven days", async () => {
  await recordHeartbeat(db, identity("week-old"), counters());
  await recordHeartbeat(db, identity("six-days"), counters());
  await db.query(sql`UPDATE workers SET last_seen_at = now() - interval '8 days' WHERE id = 'week-old'`);
  await db.query(sql`UPDATE workers SET last_seen_at = now() - interval '6 days' WHERE id = 'six-days'`);
  assert.equal(await forgetOldWorkers(db), 1);
  const left = await db.query<{ id: string }>(sql`SELECT id FROM workers`);
  assert.deepEqual(left.map((row) => row.id), ["six-days"]);
  await db.query(sql`DELETE FROM workers`);
});

test("startHeartbeat() reports at once and on every interval, and records a clean stop", async () => {
  let embedded = 0;
  const heartbeat = startHeartbeat(db, identity("beating"), () => counters(embedded), {
    intervalMs: 40,
    log: () => {},
  });
  const reported = async (n: number) =>
    (await db.query<{ n: number }>(sql`SELECT products_embedded AS n FROM workers WHERE id = 'beating'`))[0]
      ?.n === n;
  await waitFor("the first beat", () => reported(0));
  embedded = 7;
  await waitFor("a later beat", () => reported(7));
  embedded = 9;
  await heartbeat.stop();
  const [row] = await db.query<{ n: number; stopped: boolean }>(sql`
    SELECT products_embedded AS n, stopped_at IS NOT NULL AS stopped FROM workers WHERE id = 'beating'`);
  assert.deepEqual(row, { n: 9, stopped: true }, "the stop carries the final counters");
  await new Promise((resolve) => setTimeout(resolve, 120));
  const [still] = await db.query<{ stopped: boolean }>(sql`
    SELECT stopped_at IS NOT NULL AS stopped FROM workers WHERE id = 'beating'`);
  assert.equal(still.stopped, true, "no beat after stop() revives the row");
  await db.query(sql`DELETE FROM workers`);
});

test("startHeartbeat() rides out a database outage, logging it once, and reports again after", async () => {
  let down = false;
  const flaky: Queryable = {
    query(query) {
      return down ? Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:5432")) : db.query(query);
    },
  };
  const logged: string[] = [];
  let embedded = 0;
  const heartbeat = startHeartbeat(flaky, identity("flaky"), () => counters(embedded), {
    intervalMs: 30,
    log: (line) => logged.push(line),
  });
  await waitFor("the first beat", async () => (await db.query(sql`SELECT 1 FROM workers`)).length === 1);
  down = true;
  await new Promise((resolve) => setTimeout(resolve, 200));
  embedded = 5;
  down = false;
  await waitFor(
    "a beat after the outage",
    async () => (await db.query(sql`SELECT 1 FROM workers WHERE products_embedded = 5`)).length === 1,
  );
  await heartbeat.stop();
  assert.deepEqual(logged, [
    "cannot record the heartbeat: connect ECONNREFUSED 127.0.0.1:5432",
    "heartbeat recorded again",
  ]);
  await db.query(sql`DELETE FROM workers`);
});

test("a running worker loop announces itself with its device and counts what it embedded", async () => {
  const fake: Embedder = {
    modelId: "heartbeat-model",
    dimensions: 384,
    embed: (texts) =>
      Promise.resolve(texts.map((_, i) => Array.from({ length: 384 }, (_, j) => (i + j) % 7))),
  };
  const [created] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('hb.csv', 'imported') RETURNING id`);
  await db.query(sql`
    INSERT INTO products (import_id, row_number, data, text)
    SELECT ${created.id}, n, '{}'::jsonb, 'product ' || n FROM generate_series(1, 20) AS n`);
  const worker = await startWorker(db, fake, {
    batchSize: 8,
    pollMs: 50,
    leaseSeconds: 30,
    heartbeatMs: 30,
    log: () => {},
    device: {
      device: "cuda",
      detail: "embedding on cuda: GPU 0",
      trainingBackend: "@tensorflow/tfjs-node-gpu",
    },
    modelVersion: () => "v7",
  });
  try {
    await worker.idle();
    await waitFor(
      "the heartbeat to count 20 products",
      async () => (await db.query(sql`SELECT 1 FROM workers WHERE products_embedded = 20`)).length === 1,
    );
    const list = await listWorkers(db);
    assert.equal(list.workers.length, 1);
    const [me] = list.workers;
    assert.equal(me.id, worker.workerId);
    assert.equal(me.status, "live");
    assert.equal(me.device, "cuda");
    assert.equal(me.training_backend, "@tensorflow/tfjs-node-gpu");
    assert.equal(me.embedding_model, "heartbeat-model");
    assert.equal(me.model_version, "v7");
    assert.equal(me.pid, process.pid);
  } finally {
    await worker.stop();
  }
  const [stopped] = (await listWorkers(db)).workers;
  assert.equal(stopped.status, "stopped");
});
