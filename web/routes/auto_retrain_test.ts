/**
 * Auto-retrain through the API, with the real embedding model, the real database and real products (the
 * 16 most common categories among the first 3,000 Amazon rows of datasets/walmart_amazon): the setting
 * (GET/PUT /settings/auto-retrain, validated); a retrain with too few labels saying so in the job, in GET
 * /models and in POST /load-model's 409; then a file uploaded with a label column trained and activated
 * without anyone pressing Retrain, GET /models saying why.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type {
  ApiError,
  AutoRetrainState,
  JobView,
  ModelList,
  RetrainQueued,
} from "../../contract/schemas.ts";
import { ModelRuntime } from "../../core/models/active_model.ts";
import { modelJobHandlers } from "../../core/worker/model_jobs.ts";
import { sql } from "../../core/db/sql.ts";
import {
  datasetRows,
  openTestDatabase,
  startTestWorker,
  TEST_MODEL_ID,
  toCsv,
} from "../../testing/testing.ts";

const db = await openTestDatabase();
const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-web-auto-retrain-"));
const models = new ModelRuntime({
  modelsDir,
  embeddingModelId: TEST_MODEL_ID,
  dimensions: 384,
  log: () => {},
});
const worker = await startTestWorker(db, {
  models,
  jobHandlers: modelJobHandlers({ modelsDir, models, training: { epochs: 15, learningCurve: false } }),
});
const app = await signedInApp({
  db,
  modelId: TEST_MODEL_ID,
  maxUploadBytes: 10 * 1024 * 1024,
  models,
  modelsDir,
});

after(async () => {
  await worker.stop();
  models.close();
  await db.close();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

const all = datasetRows(3000).filter((row) => row.category.trim() !== "");
const counts = new Map<string, number>();
for (const row of all) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
const rows = all.filter((row) => counts.get(row.category)! >= 30);

async function call<T>(method: string, url: string, body?: unknown, status = 200): Promise<T> {
  const response = await app.request(url, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const json = await response.json();
  assert.equal(response.status, status, `${method} ${url}: ${JSON.stringify(json)}`);
  return json as T;
}

async function upload(fileName: string, csv: string): Promise<void> {
  const response = await app.request(
    `/upload-csv?file_name=${fileName}&label_column=category&text_columns=title`,
    { method: "POST", headers: { "content-type": "text/csv" }, body: csv },
  );
  assert.equal(response.status, 201, await response.text());
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 180_000): Promise<T> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`${what}: not within ${ms} ms`);
}

test("the auto-retrain setting is read, validated and stored", async () => {
  const initial = await call<AutoRetrainState>("GET", "/settings/auto-retrain");
  assert.deepEqual(initial.setting, {
    enabled: true,
    every_labels: 50,
    every_minutes: 5,
    auto_activate: true,
  });
  assert.deepEqual([initial.status.due, initial.status.new_labels, initial.status.reason], [
    false,
    0,
    "No labels yet",
  ]);

  const refused = await call<ApiError>(
    "PUT",
    "/settings/auto-retrain",
    { enabled: true, every_labels: 0, every_minutes: 5, auto_activate: true },
    422,
  );
  assert.match(refused.error.message, /every_labels/);
  await call<ApiError>("PUT", "/settings/auto-retrain", { enabled: "yes" }, 422);

  const saved = await call<AutoRetrainState>("PUT", "/settings/auto-retrain", {
    enabled: false,
    every_labels: 25,
    every_minutes: 0,
    auto_activate: true,
  });
  assert.deepEqual(saved.setting, {
    enabled: false,
    every_labels: 25,
    every_minutes: 0,
    auto_activate: true,
  });
  assert.equal(saved.status.reason, "Auto-retrain is off");
  assert.deepEqual((await call<AutoRetrainState>("GET", "/settings/auto-retrain")).setting, saved.setting);
});

test("a retrain with too few labels fails at once and says why, in the job, GET /models and POST /load-model", async () => {
  // Six labelled rows (auto-retrain is off since the test above, so only the button retrains).
  await upload(
    "few.csv",
    toCsv(rows.slice(0, 6).map((row) => ({ title: row.title, category: row.category }))),
  );
  await worker.idle();
  const queued = await call<RetrainQueued>("POST", "/trigger-retrain", {}, 202);
  const job = await waitFor("the retrain to end", async () => {
    const view = await call<JobView>("GET", `/jobs/${queued.job_id}`);
    return view.status === "done" || view.status === "failed" ? view : undefined;
  });
  const reason = "Cannot train: 6 labelled rows, need at least 10 with vectors";
  assert.deepEqual([job.status, job.attempts, job.last_error], ["failed", 1, reason], "not retried");
  const list = await call<ModelList>("GET", "/models");
  assert.equal(list.retrain_job?.last_error, reason);
  assert.deepEqual(list.versions, [], "no failed version is left behind");
  const refused = await call<ApiError>("POST", "/load-model", {}, 409);
  assert.equal(
    refused.error.message,
    `Cannot load a model: no version is ready; retrain job ${queued.job_id} failed: ${reason}`,
  );
});

test("a file uploaded with a label column gets a trained, active version without anyone pressing Retrain", async () => {
  await call<AutoRetrainState>("PUT", "/settings/auto-retrain", {
    enabled: true,
    every_labels: 1000,
    every_minutes: 0,
    auto_activate: true,
  });
  const file = rows.slice(6, 206).map((row, i) => ({
    title: row.title,
    category: i < 150 ? row.category : "",
  }));
  await upload("amazon.csv", toCsv(file));
  const list = await waitFor("an active version", async () => {
    const current = await call<ModelList>("GET", "/models");
    return current.active_version ? current : undefined;
  });
  const [version] = list.versions;
  assert.equal(version.status, "active");
  assert.equal(version.activation_decision, "activated");
  assert.match(version.activation_reason!, /^No version was active; \d+ of \d+ held-out rows right/);
  // 150 seed labels of this file and the 6 of the first one.
  assert.equal(version.train_size! + version.holdout_size!, 156);
  const [job] = await db.query<{ payload: { trigger: string; reason: string } }>(sql`
    SELECT payload FROM jobs WHERE id = ${version.job_id}`);
  assert.deepEqual(job.payload, {
    trigger: "schedule",
    reason: "No version trained yet, 156 labelled rows to train on",
  });
  // Nothing new to activate: the 409 says so instead of "retrain first".
  const refused = await call<ApiError>("POST", "/load-model", {}, 409);
  assert.equal(
    refused.error.message,
    `Cannot load a model: no version is ready; ${version.version}, the newest version, is already active`,
  );
});
