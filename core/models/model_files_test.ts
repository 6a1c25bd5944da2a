/**
 * Model versions live in the database; MODELS_DIR is each machine's cache. A process with its own empty
 * MODELS_DIR (a worker on another host) serves the active version from the database alone; a damaged
 * cache is written anew; damaged stored bytes are refused by the checksums; versions trained before the
 * files were stored are stored by the first process that has their folder. Runs on PGlite, and on
 * PostgreSQL when TEST_DATABASE_URL is set.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Database } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { type ClassifierModel, predictProbabilities, trainClassifier } from "../learning/classifier.ts";
import { defaultEnsembleConfig } from "../learning/ensemble.ts";
import { seededRandom } from "../learning/training.ts";
import { loadTf, type Tf } from "../runtime/tf_backend.ts";
import { openTestDatabase } from "../../testing/testing.ts";
import { fixtureMetrics } from "../../testing/model_fixtures.ts";
import { ModelRuntime } from "./active_model.ts";
import { cacheModelFiles, storeModelFiles } from "./model_files.ts";
import { loadModelVersion, ModelLoadError, saveModelVersion } from "./model_store.ts";
import { activateModelVersion, createModelVersion, markModelReady } from "./model_versions.ts";

const DIMENSIONS = 384;
const EMBEDDING_MODEL = "test/embedder";
const EXPECTED = { embeddingModelId: EMBEDDING_MODEL, dimensions: DIMENSIONS };
let tf: Tf;
let db: Database;
let classifier: ClassifierModel;
let probe: Float32Array[];
const folders: string[] = [];

function tempModelsDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-model-cache-"));
  folders.push(dir);
  return dir;
}

/** A version trained "on another machine": saved in `modelsDir`, its row made ready; stored or not. */
async function trainedVersion(modelsDir: string, options: { store: boolean }): Promise<string> {
  const version = await createModelVersion(db, { ...EXPECTED, jobId: null });
  await saveModelVersion(tf, modelsDir, {
    version,
    classifier,
    labels: ["a", "b"],
    ensemble: defaultEnsembleConfig(40),
    metrics: fixtureMetrics(["a", "b"], 40),
    embeddingModelId: EMBEDDING_MODEL,
    dimensions: DIMENSIONS,
    feedbackSnapshot: 1,
    tfjsVersion: tf.version.tfjs,
    backend: tf.getBackend(),
  });
  await db.transaction(async (tx) => {
    if (options.store) await storeModelFiles(tx, modelsDir, version);
    await markModelReady(tx, version, { metrics: fixtureMetrics(["a", "b"], 40), feedbackSnapshot: 1 });
  });
  return version;
}

before(async () => {
  tf = await loadTf();
  db = await openTestDatabase();
  const random = seededRandom(5);
  const vectors = Array.from({ length: 40 }, (_, i) => {
    const vector = Float32Array.from({ length: DIMENSIONS }, () => (random() - 0.5) * 0.1);
    vector[i % 2] += 1;
    return vector;
  });
  classifier = await trainClassifier(tf, {
    vectors,
    classes: vectors.map((_, i) => i % 2),
    classCount: 2,
    dimensions: DIMENSIONS,
  }, { epochs: 3 });
  probe = vectors.slice(0, 4);
});

after(async () => {
  classifier?.dispose();
  await db?.close();
  for (const dir of folders) fs.rmSync(dir, { recursive: true, force: true });
});

test("a process with its own empty MODELS_DIR serves the active version from the database alone", async () => {
  const trainer = tempModelsDir();
  const version = await trainedVersion(trainer, { store: true });
  await activateModelVersion(db, version);
  fs.rmSync(trainer, { recursive: true, force: true }); // nothing on disk is shared

  const elsewhere = tempModelsDir();
  const runtime = new ModelRuntime({ db, modelsDir: elsewhere, ...EXPECTED });
  try {
    await runtime.sync(db);
    assert.equal(runtime.current()?.version, version);
    const lease = runtime.acquire();
    try {
      assert.deepEqual(
        predictProbabilities(tf, lease.model!.classifier, probe),
        predictProbabilities(tf, classifier, probe),
      );
    } finally {
      lease.release();
    }
    assert.deepEqual(
      fs.readdirSync(elsewhere),
      [version],
      "the cache holds the version, no temporary folder",
    );
    assert.equal(
      await cacheModelFiles(db, elsewhere, version),
      "cached",
      "a second load reads no file again",
    );
  } finally {
    runtime.close();
  }
});

test("a damaged cached file is written anew from the database", async () => {
  const cache = tempModelsDir();
  const version = await trainedVersion(cache, { store: true });
  const weights = path.join(cache, version, "weights.bin");
  const bytes = fs.readFileSync(weights);
  bytes[0] ^= 0xff;
  fs.writeFileSync(weights, bytes);
  await assert.rejects(loadModelVersion(tf, cache, version, EXPECTED), /checksum of weights\.bin/);
  assert.equal(await cacheModelFiles(db, cache, version), "fetched");
  const loaded = await loadModelVersion(tf, cache, version, EXPECTED);
  loaded.classifier.dispose();
});

test("damaged bytes in the database are refused by the manifest's checksums, never served", async () => {
  const version = await trainedVersion(tempModelsDir(), { store: true });
  await db.query(sql`
    UPDATE model_version_files SET bytes = ${new Uint8Array([1, 2, 3])}
    WHERE version = ${version} AND name = 'weights.bin'`);
  const elsewhere = tempModelsDir();
  assert.equal(await cacheModelFiles(db, elsewhere, version), "fetched");
  await assert.rejects(
    loadModelVersion(tf, elsewhere, version, EXPECTED),
    (error) => error instanceof ModelLoadError && /checksum of weights\.bin/.test(error.message),
  );
});

test("a version trained before files were stored is stored by the first process that has its folder", async () => {
  const owner = tempModelsDir();
  const version = await trainedVersion(owner, { store: false });
  const elsewhere = tempModelsDir();
  assert.equal(await cacheModelFiles(db, elsewhere, version), "missing");
  assert.equal(await cacheModelFiles(db, owner, version), "stored");
  assert.equal(await cacheModelFiles(db, elsewhere, version), "fetched");
  const loaded = await loadModelVersion(tf, elsewhere, version, EXPECTED);
  loaded.classifier.dispose();
  const [{ count }] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM model_version_files WHERE version = ${version}`);
  assert.equal(count, 6, "manifest.json and the five files it lists");
});
