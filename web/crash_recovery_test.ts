/**
 * Crash safety with real processes: the app as `npm start` runs it (`deno run -A web/main.ts`, the worker
 * in the same process), killed with SIGKILL as a whole process group at chosen moments — while a file is
 * read and a retrain runs, in the retrain's second attempt, while embedding — and started again on the
 * same data.
 * Embedded PGlite by default; with TEST_DATABASE_URL the same on a PostgreSQL server (web process with
 * EMBEDDED_WORKER=1). Test-only triggers record every row that is queued, embedded, listed for review or
 * decided, with its import's status when that commits, and the size of every DELETE on products: what a
 * crash must never let happen shows there even after the rows are gone.
 *
 * Then, with fail points armed (core/runtime/fail_point.ts) so the kill lands exactly between two steps
 * that must both happen: while a model version's files are written, right after POST /load-model
 * activates a version, in the middle of a re-score, inside and right after a bulk decision's
 * transaction, and while an export streams.
 *
 * The steps share one data dir and build on each other, so they run in order.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import type { Database } from "../core/db/database.ts";
import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { openPostgresDatabase } from "../core/db/database_postgres.ts";
import { migrate } from "../core/db/migrate.ts";
import { sql } from "../core/db/sql.ts";
import { createServerTestDatabase, type ServerTestDatabase, testServerUrl } from "../testing/test_server.ts";
import { datasetRows, freePort, REPO_ROOT, toCsv } from "../testing/testing.ts";
import { DEFAULT_AUTO_RETRAIN, writeAutoRetrain } from "../core/model_lifecycle/auto_retrain_setting.ts";
import { createUser } from "../core/accounts/accounts.ts";
import { createApiToken } from "../core/accounts/api_tokens.ts";
import { PURGE_BATCH_ROWS } from "../core/imports/import_recovery.ts";
import { SPOOL_DIR } from "../core/imports/upload_spool.ts";

const AUDIT = `
  CREATE TABLE crash_audit (kind text NOT NULL, product_id integer, import_status text, row_count integer);
  CREATE FUNCTION crash_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO crash_audit (kind, product_id, import_status)
    SELECT TG_ARGV[0], NEW.product_id, imports.status
    FROM products JOIN imports ON imports.id = products.import_id WHERE products.id = NEW.product_id;
    RETURN NULL;
  END $$;
  CREATE CONSTRAINT TRIGGER crash_audit_queued AFTER INSERT ON embedding_queue
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crash_audit_row('queued');
  CREATE CONSTRAINT TRIGGER crash_audit_embedded AFTER INSERT ON embeddings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crash_audit_row('embedded');
  CREATE CONSTRAINT TRIGGER crash_audit_listed AFTER INSERT ON review_queue
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crash_audit_row('listed');
  CREATE CONSTRAINT TRIGGER crash_audit_decided AFTER INSERT ON feedback
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION crash_audit_row('decided');
  CREATE FUNCTION crash_audit_deletes() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    INSERT INTO crash_audit (kind, row_count) SELECT 'products_deleted', count(*) FROM gone HAVING count(*) > 0;
    RETURN NULL;
  END $$;
  CREATE TRIGGER crash_audit_deletes AFTER DELETE ON products REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION crash_audit_deletes();
`;

const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-crash-"));
const dataDir = path.join(tempDir, "data");
const modelsDir = path.join(tempDir, "models");
let server: ServerTestDatabase | undefined;
let token = "";

/** Opens the app's database from the test (on PGlite only while no app holds the data dir). */
async function openAppDatabase(): Promise<Database> {
  if (server) return await openPostgresDatabase(server.url, { max: 2 });
  return await openPgliteDatabase(dataDir);
}

/** A running app in its own process group. */
interface App {
  baseUrl: string;
  pid: number;
  output(): string;
  /** SIGKILL to the whole process group (`kill -9 -<pgid>`), as an operator killing `npm start`. */
  kill9(): Promise<void>;
  /** SIGTERM, and waits for a clean exit. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Starts the app; `env` adds variables, e.g. FAIL_POINTS (core/runtime/fail_point.ts). */
async function startApp(env: Record<string, string> = {}): Promise<App> {
  const port = await freePort();
  const database: Record<string, string> = server
    ? { DATABASE_URL: server.url, EMBEDDED_WORKER: "1" }
    : { DATA_DIR: dataDir };
  const child = spawn(path.join(REPO_ROOT, "node_modules/.bin/deno"), ["run", "-A", "web/main.ts"], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...database,
      PORT: String(port),
      HOST: "127.0.0.1",
      ALLOW_REMOTE_MODELS: "0",
      WORKER_POLL_MS: "200",
      // Long leases and small batches: work a killed worker held resumes only if its leases are ended.
      WORKER_LEASE_SECONDS: "600",
      EMBED_BATCH_SIZE: "8",
      MODELS_DIR: modelsDir,
      NO_COLOR: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  running.add(child);
  let output = "";
  // "close", not "exit": it comes after the pipes are drained, so output() holds every line the process
  // wrote before it died (a log line written just before a kill is still in the pipe at "exit").
  const exit = new Promise<number | null>((resolve) =>
    child.once("close", (code) => {
      running.delete(child);
      resolve(code);
    })
  );
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const started = Date.now();
  while (!output.includes("CSV-Sorter on http://")) {
    if (child.exitCode !== null) throw new Error(`The app exited before listening:\n${output}`);
    if (Date.now() - started > 120_000) throw new Error(`The app did not start within 120 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => output,
    async kill9() {
      process.kill(-child.pid!, "SIGKILL");
      await exit;
    },
    async stop() {
      child.kill("SIGTERM");
      return await exit;
    },
  };
}

after(async () => {
  for (const child of running) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch { /* already gone */ }
  }
  await server?.drop();
  fs.rmSync(tempDir, { recursive: true, force: true });
});

async function call<T>(app: App, method: string, url: string, body?: unknown, type = "application/json") {
  const response = await fetch(`${app.baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": type }) },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, text };
}

async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  ms = 120_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

interface ImportView {
  id: number;
  status: string;
  error: string | null;
  row_count: number;
  embedded_count: number;
}
interface JobView {
  status: string;
  attempts: number;
  last_error: string | null;
  progress: { message: string } | null;
}

function importOf(app: App, id: number) {
  return call<ImportView>(app, "GET", `/imports/${id}`);
}

/** Waits until `jobId` runs attempt `attempt` and has made its model version; returns the version. */
async function retrainRunning(app: App, jobId: number, attempt: number, earlier: string[]): Promise<string> {
  return await waitFor(`attempt ${attempt} of retrain job ${jobId}`, async () => {
    const { body: job } = await call<JobView>(app, "GET", `/jobs/${jobId}`);
    assert.ok(
      job.status === "running" || job.status === "queued",
      `job ${jobId} ended: ${JSON.stringify(job)}`,
    );
    const version = /^(v\d+):/.exec(job.progress?.message ?? "")?.[1];
    const fresh = version && !earlier.includes(version);
    return job.status === "running" && job.attempts === attempt && fresh ? version : undefined;
  });
}

// Small, as embedding is the slow part: 30 seed labels (enough to train on), 30 rows left for review.
const SMALL_ROWS = 60;
const NEXT_ROWS = 240;
const products = datasetRows(SMALL_ROWS);
const smallCsv = toCsv(products.map((row, index) => ({
  title: row.title,
  brand: row.brand,
  category: index % 2 === 0 ? row.category : "",
})));
// A file large enough to be killed half way through reading it.
const BIG_ROWS = 100_000;
const bigCsv = "title,brand\n" +
  Array.from({ length: BIG_ROWS }, (_, i) => {
    const row = products[i % products.length];
    return `"${row.title.replaceAll('"', '""')} #${i}","${row.brand.replaceAll('"', '""')}"`;
  }).join("\n");

const state = {
  app: undefined as App | undefined,
  small: 0,
  big: 0,
  jobId: 0,
  versions: [] as string[],
  decisions: [] as number[],
  next: 0,
  spoolsOfKilled: [] as string[],
  earlierOutput: "",
};

test("setup: a database with an ops token and the audit triggers, and a first app", async () => {
  if (testServerUrl()) server = await createServerTestDatabase();
  const db = await openAppDatabase();
  try {
    await migrate(db);
    await createUser(db, { name: "ops", role: "ops", password: "crash-test-password-1" });
    ({ token } = await createApiToken(db, { name: "crash", userName: "ops", role: "ops", createdBy: null }));
    // The retrains here are started and killed by the test; one queued by the scheduler would be another.
    await writeAutoRetrain(db, { ...DEFAULT_AUTO_RETRAIN, enabled: false, auto_activate: false });
    await db.executeScript(AUDIT);
  } finally {
    await db.close();
  }
  const app = state.app = await startApp();
  const created = await call<{ import_id: number }>(
    app,
    "POST",
    "/upload-csv?file_name=small.csv&text_columns=title,brand&label_column=category",
    smallCsv,
    "text/csv",
  );
  assert.equal(created.status, 201, created.text);
  state.small = created.body.import_id;
  await waitFor(
    "the small import embedded",
    async () => (await importOf(app, state.small)).body.embedded_count === SMALL_ROWS,
  );
  const page = await call<{ items: { product_id: number }[] }>(
    app,
    "GET",
    `/products-for-review?import_id=${state.small}&limit=3`,
  );
  for (const item of page.body.items) {
    const saved = await call<{ feedback_id: number }>(app, "POST", "/submit-feedback", {
      product_id: item.product_id,
      approved: false,
      corrected_text: "reviewed before the crash",
    });
    assert.equal(saved.status, 201, saved.text);
    state.decisions.push(saved.body.feedback_id);
  }
  assert.equal(state.decisions.length, 3);
});

test("kill -9 while a file is read and a retrain runs: the half-read rows are never decidable", async () => {
  const app = state.app!;
  const spoolsBefore = new Set(fs.existsSync(SPOOL_DIR) ? fs.readdirSync(SPOOL_DIR) : []);
  const uploadKey = `crash-${Date.now()}`;
  const upload = call(
    app,
    "POST",
    `/upload-csv?file_name=big.csv&upload_key=${uploadKey}`,
    bigCsv,
    "text/csv",
  )
    .catch(() => undefined);
  const { import_id } = await waitFor("the big file half read", async () => {
    const { body } = await call<{ rows_read: number; import_id: number | null; phase: string }>(
      app,
      "GET",
      `/uploads/${uploadKey}`,
    );
    return body && body.rows_read >= 3 * PURGE_BATCH_ROWS && body.import_id ? body : undefined;
  }, 60_000);
  state.big = import_id!;
  // Its rows exist but are not decidable: ids follow the small import's.
  const early = await call(app, "POST", "/submit-feedback", {
    product_id: SMALL_ROWS + 1,
    approved: false,
    corrected_text: "decided while the file was read",
  });
  assert.equal(early.status, 409, early.text);
  const retrain = await call<{ job_id: number }>(app, "POST", "/trigger-retrain", {});
  assert.equal(retrain.status, 202, retrain.text);
  state.jobId = retrain.body.job_id;
  state.versions.push(await retrainRunning(app, state.jobId, 1, state.versions));
  assert.equal(
    (await importOf(app, state.big)).body.status,
    "importing",
    "killed too late: the file was read",
  );
  state.spoolsOfKilled = fs.readdirSync(SPOOL_DIR).filter((name) => !spoolsBefore.has(name));
  assert.equal(state.spoolsOfKilled.length, 1, "the upload is spooled in the spool folder");
  await app.kill9();
  await upload;
});

test("restart: the retrain's next attempt resumes at once, and is killed too", async () => {
  const app = state.app = await startApp();
  state.versions.push(await retrainRunning(app, state.jobId, 2, state.versions));
  // What the operator sees right after the restart.
  const big = await importOf(app, state.big);
  assert.equal(big.body.status, "failed");
  assert.equal(big.body.error, 'Cannot import "big.csv": the server stopped while reading it');
  await app.kill9();
  state.earlierOutput = app.output();
});

test("after the second restart the half-read import is failed, deletable and never shown", async () => {
  const app = state.app = await startApp();
  const big = await importOf(app, state.big);
  assert.equal(big.body.status, "failed");
  assert.equal(big.body.row_count, 0);
  const listed = await call<{ total: number }>(app, "GET", `/products-for-review?import_id=${state.big}`);
  assert.equal(listed.body.total, 0);
  const late = await call(app, "POST", "/submit-feedback", {
    product_id: SMALL_ROWS + 1,
    approved: false,
    corrected_text: "decided after the crash",
  });
  assert.ok(
    late.status === 409 || late.status === 404,
    `a decision on a dead row: ${late.status} ${late.text}`,
  );
  // Deletable (it was refused while 'importing'); once the background clean-up is through, nothing is
  // left for the delete's single transaction.
  await waitFor(
    "the clean-up",
    () => Promise.resolve(/deleted \d+ rows of failed imports/.test(state.earlierOutput + app.output())),
  );
  const deleted = await call<{ deleted_products: number }>(
    app,
    "DELETE",
    `/imports/${state.big}?confirm=true`,
  );
  assert.equal(deleted.status, 200, deleted.text);
  assert.equal(deleted.body.deleted_products, 0);
});

test("the upload's spool file of the killed process is removed at start-up", () => {
  const left = fs.readdirSync(SPOOL_DIR);
  for (const name of state.spoolsOfKilled) assert.ok(!left.includes(name), `${name} was left behind`);
});

test("a retrain killed in each of its attempts fails with the reason, and so do its versions", async () => {
  const app = state.app!;
  const job = await waitFor("the retrain to end", async () => {
    const { body } = await call<JobView>(app, "GET", `/jobs/${state.jobId}`);
    return body.status === "failed" || body.status === "done" ? body : undefined;
  }, 30_000);
  assert.equal(job.status, "failed");
  assert.equal(job.attempts, 2);
  assert.match(job.last_error ?? "", /^The worker running attempt 2 of 2 \(.+\) stopped/);
  const { body: models } = await call<
    { versions: { version: string; status: string; error: string | null }[] }
  >(
    app,
    "GET",
    "/models",
  );
  for (const version of state.versions) {
    const row = models.versions.find((v) => v.version === version);
    assert.equal(row?.status, "failed", `${version}: ${JSON.stringify(row)}`);
    assert.match(row?.error ?? "", /ended before it was ready/);
  }
  const load = await call(app, "POST", "/load-model", { version: state.versions[0] });
  assert.equal(load.status, 409, load.text);
  // Numbered without gaps across the crashes.
  assert.deepEqual(state.versions, ["v1", "v2"]);
});

test("a new upload gets the next id, and is killed while it is embedded", async () => {
  const app = state.app!;
  const created = await call<{ import_id: number }>(
    app,
    "POST",
    "/upload-csv?file_name=next.csv&text_columns=title",
    toCsv(datasetRows(SMALL_ROWS + NEXT_ROWS).slice(SMALL_ROWS).map((row) => ({ title: row.title }))),
    "text/csv",
  );
  assert.equal(created.status, 201, created.text);
  state.next = created.body.import_id;
  assert.equal(state.next, state.big + 1);
  // Killed while embedding it (a few batches of 8 in; 240 rows take seconds).
  await new Promise((resolve) => setTimeout(resolve, 500));
  await app.kill9();
  // The crash leaves a batch leased to the dead worker, unless the kill fell between two batches; then
  // the state of a kill a moment later is made here: the next batch leased to it.
  const db = await openAppDatabase();
  try {
    const [{ embedded }] = await db.query<{ embedded: number }>(sql`
      SELECT count(*)::int AS embedded FROM embeddings JOIN products ON products.id = embeddings.product_id
      WHERE products.import_id = ${state.next}`);
    assert.ok(embedded < NEXT_ROWS, "killed too late: every row was embedded");
    await db.query(sql`
      UPDATE embedding_queue SET locked_by = (SELECT id FROM workers WHERE pid = ${app.pid}),
        locked_until = now() + interval '600 seconds', attempts = attempts + 1
      WHERE product_id IN (
        SELECT product_id FROM embedding_queue ORDER BY product_id LIMIT 8)
        AND NOT EXISTS (SELECT 1 FROM embedding_queue WHERE locked_until > now())`);
    const [{ leased }] = await db.query<{ leased: number }>(sql`
      SELECT count(*)::int AS leased FROM embedding_queue
      WHERE locked_until > now() + interval '60 seconds' AND locked_by IS NOT NULL`);
    assert.ok(leased > 0, "a batch is leased to the killed worker");
  } finally {
    await db.close();
  }
});

test("restart: embedding resumes at once, not when the dead worker's lease would end", async () => {
  // The lease is WORKER_LEASE_SECONDS=600: only ending it at start-up lets this finish in time.
  const app = state.app = await startApp();
  await waitFor(
    "the new upload embedded",
    async () => (await importOf(app, state.next)).body.embedded_count === NEXT_ROWS,
  );
  await app.stop();
});

test("nothing of the half-read import was queued, embedded, listed or decided; decisions survived", async () => {
  const db = await openAppDatabase();
  try {
    const leaks = await db.query<{ kind: string; import_status: string; rows: number }>(sql`
      SELECT kind, import_status, count(*)::int AS rows FROM crash_audit
      WHERE kind <> 'products_deleted' AND import_status <> 'imported'
      GROUP BY kind, import_status ORDER BY kind`);
    assert.deepEqual(leaks, []);
    const [{ kept }] = await db.query<{ kept: number }>(sql`
      SELECT count(*)::int AS kept FROM feedback WHERE id = ANY(${state.decisions}::int[])`);
    assert.equal(kept, state.decisions.length, "acknowledged decisions were deleted");
    // The clean-up deleted the rows in batches, never in one long statement.
    const deletes = await db.query<{ row_count: number }>(sql`
      SELECT row_count FROM crash_audit WHERE kind = 'products_deleted'`);
    assert.ok(deletes.length >= 3, `${deletes.length} deletes`);
    assert.ok(
      deletes.every((row) => row.row_count <= PURGE_BATCH_ROWS),
      `delete sizes: ${deletes.map((row) => row.row_count).join(", ")}`,
    );
    const [{ left }] = await db.query<{ left: number }>(sql`
      SELECT count(*)::int AS left FROM products WHERE import_id = ${state.big}`);
    assert.equal(left, 0);
  } finally {
    await db.close();
  }
});

/** Waits until `app` prints that it reached the armed fail point `name`. */
async function reached(app: App, name: string): Promise<void> {
  await waitFor(
    `fail point ${name}`,
    () => Promise.resolve(app.output().includes(`fail point ${name} reached`)),
  );
}

/** Temporary model version folders in MODELS_DIR. */
function modelTempFolders(): string[] {
  return fs.existsSync(modelsDir) ? fs.readdirSync(modelsDir).filter((name) => name.startsWith(".tmp-")) : [];
}

/** Rows waiting for review that have a vector: what a re-score scores. */
const PENDING = sql`
  FROM embeddings LEFT JOIN suggestions ON suggestions.product_id = embeddings.product_id
  WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = embeddings.product_id)`;

async function pendingRows(): Promise<{ total: number; version: string | null; since: Date }[]> {
  const db = await openAppDatabase();
  try {
    return await db.query(sql`
      SELECT count(*)::int AS total, suggestions.model_version AS version, min(suggestions.updated_at) AS since
      ${PENDING} GROUP BY suggestions.model_version`);
  } finally {
    await db.close();
  }
}

const later = { retrainJob: 0, halfWritten: [] as string[], ready: "", rescoreJob: 0, group: [] as number[] };

test("kill -9 while a model version is written: its half-written folder is removed at start-up", async () => {
  const app = state.app = await startApp({ FAIL_POINTS: "model-version.half-written" });
  const retrain = await call<{ job_id: number }>(app, "POST", "/trigger-retrain", {});
  assert.equal(retrain.status, 202, retrain.text);
  later.retrainJob = retrain.body.job_id;
  await reached(app, "model-version.half-written");
  later.halfWritten = modelTempFolders();
  assert.equal(later.halfWritten.length, 1, "the version is being written in a temporary folder");
  await app.kill9();
  const restarted = state.app = await startApp();
  const left = modelTempFolders();
  for (const name of later.halfWritten) assert.ok(!left.includes(name), `${name} was left behind`);
  const job = await waitFor("the retrain's next attempt to end", async () => {
    const { body } = await call<JobView>(restarted, "GET", `/jobs/${later.retrainJob}`);
    return body.status === "failed" || body.status === "done" ? body : undefined;
  });
  assert.equal(job.status, "done", JSON.stringify(job));
  const { body: models } = await call<{ versions: { version: string; status: string }[] }>(
    restarted,
    "GET",
    "/models",
  );
  assert.deepEqual(models.versions.slice(0, 2).map((v) => [v.version, v.status]), [
    ["v4", "ready"],
    ["v3", "failed"],
  ]);
  later.ready = "v4";
  assert.deepEqual(modelTempFolders(), []);
  await restarted.stop();
});

test("kill -9 right after POST /load-model activates a version: its re-score is not lost", async () => {
  const app = state.app = await startApp({ FAIL_POINTS: "load-model.activated" });
  const load = call(app, "POST", "/load-model", { version: later.ready }).catch(() => undefined);
  await reached(app, "load-model.activated");
  await app.kill9();
  await load;
  const restarted = state.app = await startApp();
  const models = await call<{ active_version: string | null; rescore_job: { id: number } | null }>(
    restarted,
    "GET",
    "/models",
  );
  assert.equal(models.body.active_version, later.ready);
  assert.ok(models.body.rescore_job, "the activation committed without the re-score it needs");
  const job = await waitFor("the re-score to end", async () => {
    const { body } = await call<JobView>(restarted, "GET", `/jobs/${models.body.rescore_job!.id}`);
    return body.status === "failed" || body.status === "done" ? body : undefined;
  });
  assert.equal(job.status, "done", JSON.stringify(job));
  await restarted.stop();
  const pending = await pendingRows();
  assert.deepEqual(pending.map((row) => row.version), [later.ready], JSON.stringify(pending));
});

test("kill -9 in the middle of a re-score: after the restart every row is scored again", async () => {
  const app = state.app = await startApp({ FAIL_POINTS: "rescore.batch" });
  const started = new Date();
  const load = await call<{ rescore_job_id: number }>(app, "POST", "/load-model", { version: later.ready });
  assert.equal(load.status, 200, load.text);
  later.rescoreJob = load.body.rescore_job_id;
  await reached(app, "rescore.batch");
  await app.kill9();
  const [{ total, fresh }] = await (async () => {
    const db = await openAppDatabase();
    try {
      return await db.query<{ total: number; fresh: number }>(sql`
        SELECT count(*)::int AS total,
               count(*) FILTER (WHERE suggestions.updated_at >= ${started.toISOString()}::timestamptz)::int
                 AS fresh
        ${PENDING}`);
    } finally {
      await db.close();
    }
  })();
  assert.ok(fresh > 0 && fresh < total, `killed half way: ${fresh} of ${total} rows re-scored`);
  const restarted = state.app = await startApp();
  const job = await waitFor("the re-score's retry to end", async () => {
    const { body } = await call<JobView>(restarted, "GET", `/jobs/${later.rescoreJob}`);
    return body.status === "failed" || body.status === "done" ? body : undefined;
  });
  assert.equal(job.status, "done", JSON.stringify(job));
  assert.equal(job.attempts, 2);
  await restarted.stop();
  const pending = await pendingRows();
  assert.deepEqual(pending.map((row) => row.version), [later.ready]);
  assert.ok(
    pending[0].since >= started,
    `a row kept its score from before: ${pending[0].since.toISOString()}`,
  );
});

/** Counts of what a bulk decision on `ids` wrote: feedback rows, labels, audit entries. */
async function bulkWrites(ids: number[]) {
  const db = await openAppDatabase();
  try {
    const [row] = await db.query<{ feedback: number; labels: number; audit: number; acknowledged: number }>(
      sql`
      SELECT (SELECT count(*)::int FROM feedback WHERE product_id = ANY(${ids}::int[])) AS feedback,
             (SELECT count(*)::int FROM product_labels WHERE product_id = ANY(${ids}::int[])) AS labels,
             (SELECT count(*)::int FROM audit_log WHERE kind = 'feedback.bulk') AS audit,
             (SELECT count(*)::int FROM feedback WHERE id = ANY(${state.decisions}::int[])) AS acknowledged`,
    );
    return row;
  } finally {
    await db.close();
  }
}

test("kill -9 inside a bulk decision's transaction: none of the group is stored", async () => {
  const db = await openAppDatabase();
  let value = "";
  try {
    // The biggest group of waiting rows that share a suggestion.
    const [group] = await db.query<{ value: string; ids: number[] }>(sql`
      SELECT suggestions.value, (array_agg(suggestions.product_id ORDER BY suggestions.product_id))[1:5] AS ids
      ${PENDING} GROUP BY suggestions.value ORDER BY count(*) DESC LIMIT 1`);
    value = group.value;
    later.group = group.ids;
  } finally {
    await db.close();
  }
  assert.ok(later.group.length >= 2, `a group of ${later.group.length}`);
  const body = { product_ids: later.group, approved: true, expected_value: value };
  for (const point of ["bulk-decision.before-commit", "bulk-decision.committed"]) {
    const app = state.app = await startApp({ FAIL_POINTS: point });
    const answer = call(app, "POST", "/submit-feedback-bulk", body).catch(() => undefined);
    await reached(app, point);
    await app.kill9();
    await answer;
    const writes = await bulkWrites(later.group);
    const n = point === "bulk-decision.committed" ? later.group.length : 0;
    assert.deepEqual(
      writes,
      { feedback: n, labels: n, audit: n, acknowledged: state.decisions.length },
      point,
    );
  }
});

test("kill -9 while an export streams: the CLI leaves no file; after the restart the export is whole", async () => {
  const out = path.join(tempDir, "export.csv");
  const exportWithCli = (app: App) =>
    new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn("node", [path.join(REPO_ROOT, "cli/csv-sorter.mjs"), "export", "-o", out], {
        cwd: tempDir,
        env: { ...process.env, CSV_SORTER_URL: app.baseUrl, CSV_SORTER_TOKEN: token, NO_COLOR: "1" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stderr }));
    });
  const app = state.app = await startApp({ FAIL_POINTS: "export.page" });
  const broken = exportWithCli(app);
  await reached(app, "export.page");
  await app.kill9();
  const run = await broken;
  assert.equal(run.code, 5, run.stderr);
  assert.equal(fs.existsSync(out), false, "a partial export was left as the file");
  assert.deepEqual(fs.readdirSync(tempDir).filter((name) => name.endsWith(".part")), []);
  const restarted = state.app = await startApp();
  const whole = await exportWithCli(restarted);
  assert.equal(whole.code, 0, whole.stderr);
  await restarted.stop();
  const db = await openAppDatabase();
  try {
    const [{ rows }] = await db.query<{ rows: number }>(sql`
      SELECT count(*)::int AS rows FROM products JOIN imports ON imports.id = products.import_id
      WHERE imports.status = 'imported'`);
    const lines = fs.readFileSync(out, "utf8").split("\n").filter((line) => line !== "");
    assert.equal(lines.length, rows + 1);
    assert.equal(rows, SMALL_ROWS + NEXT_ROWS);
  } finally {
    await db.close();
  }
});
