import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { Database } from "../db/database.ts";
import type { Embedder } from "../embedding/embedder.ts";
import { claimJob, completeJob, enqueueJob, failJob, reportJobProgress } from "./jobs.ts";
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

async function jobRow(id: number) {
  const [row] = await db.query<
    { status: string; attempts: number; last_error: string | null; result: unknown }
  >(
    sql`SELECT status, attempts, last_error, result FROM jobs WHERE id = ${id}`,
  );
  return row;
}

test("a job is claimed by one worker at a time and completes with its result", async () => {
  const id = await enqueueJob(db, "retrain", { reason: "test" });
  const job = await claimJob(db, { kinds: ["retrain"], workerId: "a", leaseSeconds: 60 });
  assert.equal(job?.id, id);
  assert.deepEqual(job?.payload, { reason: "test" });
  assert.equal(await claimJob(db, { kinds: ["retrain"], workerId: "b", leaseSeconds: 60 }), undefined);
  assert.equal(
    await reportJobProgress(db, {
      jobId: id,
      workerId: "a",
      leaseSeconds: 60,
      progress: { done: 1, total: 2, message: "half" },
    }),
    true,
  );
  assert.equal(
    await reportJobProgress(db, {
      jobId: id,
      workerId: "b",
      leaseSeconds: 60,
      progress: { done: 2, total: 2, message: "not mine" },
    }),
    false,
  );
  await completeJob(db, { jobId: id, workerId: "a", result: { ok: true } });
  const row = await jobRow(id);
  assert.equal(row.status, "done");
  assert.deepEqual(row.result, { ok: true });
});

test("a failed job backs off, is retried, and fails for good after max_attempts", async () => {
  const id = await enqueueJob(db, "rescore", {}, { maxAttempts: 2 });
  for (let attempt = 1; attempt <= 2; attempt++) {
    const job = await claimJob(db, { kinds: ["rescore"], workerId: "w", leaseSeconds: 60 });
    assert.equal(job?.id, id, `attempt ${attempt}`);
    await failJob(db, { jobId: id, workerId: "w", error: `broken ${attempt}` });
    await db.query(sql`UPDATE jobs SET run_at = now() WHERE id = ${id}`);
  }
  const row = await jobRow(id);
  assert.equal(row.status, "failed");
  assert.equal(row.attempts, 2);
  assert.equal(row.last_error, "broken 2");
  assert.equal(await claimJob(db, { kinds: ["rescore"], workerId: "w", leaseSeconds: 60 }), undefined);
});

test("a job whose worker died is taken over once its lease ends", async () => {
  const id = await enqueueJob(db, "retrain");
  await claimJob(db, { kinds: ["retrain"], workerId: "dead", leaseSeconds: 60 });
  await db.query(sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = ${id}`);
  const job = await claimJob(db, { kinds: ["retrain"], workerId: "alive", leaseSeconds: 60 });
  assert.equal(job?.id, id);
  assert.equal(job?.attempts, 2);
  await completeJob(db, { jobId: id, workerId: "alive", result: null });
});

test("the worker loop runs jobs beside embedding and reports their progress", async () => {
  const noEmbedder: Embedder = { modelId: "none", dimensions: 384, embed: () => Promise.resolve([]) };
  const seen: number[] = [];
  const worker = await startWorker(db, noEmbedder, {
    batchSize: 8,
    pollMs: 50,
    leaseSeconds: 30,
    log: () => {},
    jobHandlers: {
      retrain: async (job, context) => {
        await context.progress(1, 1, "trained");
        seen.push(job.id);
        return { version: "v-test" };
      },
    },
  });
  try {
    const id = await enqueueJob(db, "retrain");
    const started = Date.now();
    while ((await jobRow(id)).status !== "done" && Date.now() - started < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const row = await jobRow(id);
    assert.equal(row.status, "done");
    assert.deepEqual(row.result, { version: "v-test" });
    assert.deepEqual(seen, [id]);
    const [progress] = await db.query<{ progress: unknown }>(sql`SELECT progress FROM jobs WHERE id = ${id}`);
    assert.deepEqual(progress.progress, { done: 1, total: 1, message: "trained" });
  } finally {
    await worker.stop();
  }
});

test("a job whose lease expired on its last attempt fails with the reason, and its version too", async () => {
  const id = await enqueueJob(db, "retrain", {}, { maxAttempts: 2 });
  for (const worker of ["killed-1", "killed-2"]) {
    const job = await claimJob(db, { kinds: ["retrain"], workerId: worker, leaseSeconds: 60 });
    assert.equal(job?.id, id);
    await db.query(sql`
      INSERT INTO model_versions (embedding_model_id, dimensions, job_id) VALUES ('test', 3, ${id})`);
    // The worker is killed: its lease runs out.
    await db.query(sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = ${id}`);
  }
  assert.equal(await claimJob(db, { kinds: ["retrain"], workerId: "next", leaseSeconds: 60 }), undefined);
  const row = await jobRow(id);
  assert.equal(row.status, "failed");
  assert.match(
    row.last_error ?? "",
    /^The worker running attempt 2 of 2 \(killed-2\) stopped: its lease ended at /,
  );
  const versions = await db.query<{ status: string; error: string }>(sql`
    SELECT status, error FROM model_versions WHERE job_id = ${id} ORDER BY id`);
  assert.deepEqual(versions.map((v) => v.status), ["failed", "failed"]);
  assert.match(versions[0].error, /attempt 1 of job \d+ ended before it was ready$/);
  assert.match(
    versions[1].error,
    /attempt 2 of job \d+ ended before it was ready \(The worker running attempt 2/,
  );
});
