import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fixtureMetrics } from "../../testing/model_fixtures.ts";
import { type ClassifierModel, predictProbabilities, trainClassifier } from "../learning/classifier.ts";
import { defaultEnsembleConfig } from "../learning/ensemble.ts";
import { lexicalProbabilities, trainLexical } from "../learning/lexical.ts";
import { loadModelVersion, ModelLoadError, saveModelVersion } from "./model_store.ts";
import { loadTf, type Tf } from "../runtime/tf_backend.ts";
import { seededRandom } from "../learning/training.ts";

const DIMENSIONS = 384;
const EXPECTED = { embeddingModelId: "test/embedder", dimensions: DIMENSIONS };
let tf: Tf;
let modelsDir: string;
let classifier: ClassifierModel;
let probe: Float32Array[];

/** Three well-separated clusters of unit vectors. */
function clusters(count: number): { vectors: Float32Array[]; classes: number[] } {
  const random = seededRandom(11);
  const vectors: Float32Array[] = [];
  const classes: number[] = [];
  for (let i = 0; i < count; i++) {
    const cls = i % 3;
    const vector = Float32Array.from({ length: DIMENSIONS }, () => (random() - 0.5) * 0.1);
    vector[cls] += 1;
    const norm = Math.hypot(...vector);
    vectors.push(vector.map((x) => x / norm));
    classes.push(cls);
  }
  return { vectors, classes };
}

async function save(version: string): Promise<string> {
  return await saveModelVersion(tf, modelsDir, {
    version,
    classifier,
    labels: ["a", "b", "c"],
    ensemble: defaultEnsembleConfig(60),
    metrics: fixtureMetrics(["a", "b", "c"], 60),
    embeddingModelId: EXPECTED.embeddingModelId,
    dimensions: DIMENSIONS,
    feedbackSnapshot: 12,
    tfjsVersion: tf.version.tfjs,
    backend: tf.getBackend(),
  });
}

before(async () => {
  tf = await loadTf();
  modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-models-"));
  const data = clusters(60);
  classifier = await trainClassifier(tf, { ...data, classCount: 3, dimensions: DIMENSIONS }, { epochs: 5 });
  probe = data.vectors.slice(0, 6);
});

after(() => {
  classifier?.dispose();
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

test("a saved version loads back with identical predictions and a manifest of checksums", async () => {
  const dir = await save("v1");
  assert.deepEqual(fs.readdirSync(dir).sort(), [
    "ensemble.json",
    "labels.json",
    "manifest.json",
    "metrics.json",
    "model.json",
    "weights.bin",
  ]);
  assert.deepEqual(fs.readdirSync(modelsDir), ["v1"], "no temporary folder is left behind");
  const loaded = await loadModelVersion(tf, modelsDir, "v1", EXPECTED);
  try {
    assert.deepEqual(loaded.labels, ["a", "b", "c"]);
    assert.equal(loaded.manifest.embedding_model_id, EXPECTED.embeddingModelId);
    assert.equal(loaded.manifest.feedback_snapshot, 12);
    assert.match(loaded.manifest.files["weights.bin"].sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(
      predictProbabilities(tf, loaded.classifier, probe),
      predictProbabilities(tf, classifier, probe),
    );
  } finally {
    loaded.classifier.dispose();
  }
});

test("a version whose weights.bin has flipped bytes is refused with a checksum error", async () => {
  const dir = await save("v2");
  const weights = path.join(dir, "weights.bin");
  const bytes = fs.readFileSync(weights);
  bytes[100] ^= 0xff;
  bytes[101] ^= 0xff;
  fs.writeFileSync(weights, bytes);
  await assert.rejects(
    loadModelVersion(tf, modelsDir, "v2", EXPECTED),
    (error: Error) => {
      assert.ok(error instanceof ModelLoadError);
      assert.equal(error.message, 'Cannot load model "v2": checksum of weights.bin does not match');
      return true;
    },
  );
});

test("a version made for other embeddings (model or dimensions) is refused before anything loads", async () => {
  const dir = await save("v3");
  await assert.rejects(
    loadModelVersion(tf, modelsDir, "v3", { ...EXPECTED, embeddingModelId: "other/model" }),
    {
      message:
        'Cannot load model "v3": it was trained on embeddings of "test/embedder", this process uses "other/model"',
    },
  );
  const manifestFile = path.join(dir, "manifest.json");
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
  fs.writeFileSync(manifestFile, JSON.stringify({ ...manifest, dimensions: 512 }));
  await assert.rejects(loadModelVersion(tf, modelsDir, "v3", EXPECTED), {
    message: 'Cannot load model "v3": it expects 512-dimensional embeddings, this process has 384',
  });
});

test("a missing version, a missing file and a name that is not a version are refused", async () => {
  await assert.rejects(
    loadModelVersion(tf, modelsDir, "v9", EXPECTED),
    /Cannot load model "v9": .* does not exist/,
  );
  const dir = await save("v4");
  fs.rmSync(path.join(dir, "labels.json"));
  await assert.rejects(loadModelVersion(tf, modelsDir, "v4", EXPECTED), {
    message: 'Cannot load model "v4": labels.json is missing',
  });
  // check_repo_paths: ignore (a name that must be refused)
  await assert.rejects(
    loadModelVersion(tf, modelsDir, "../v1", EXPECTED),
    /not a version name/,
  );
});

test("a save that fails halfway leaves no version folder and no temporary folder", async () => {
  const broken = {
    save: () => Promise.reject(new Error("disk full")),
  } as unknown as ClassifierModel;
  const before = fs.readdirSync(modelsDir).sort();
  await assert.rejects(
    saveModelVersion(tf, modelsDir, {
      version: "v5",
      classifier: broken,
      labels: ["a"],
      ensemble: defaultEnsembleConfig(1),
      metrics: fixtureMetrics(["a", "b", "c"], 60),
      embeddingModelId: EXPECTED.embeddingModelId,
      dimensions: DIMENSIONS,
      feedbackSnapshot: 0,
      tfjsVersion: tf.version.tfjs,
      backend: tf.getBackend(),
    }),
    { message: "disk full" },
  );
  assert.deepEqual(fs.readdirSync(modelsDir).sort(), before);
});

test("a version with a lexical channel stores it checksummed and scores the same after loading", async () => {
  const data = clusters(30);
  const texts = data.classes.map((cls, i) => `${["toner tn", "cable usb", "mouse mx"][cls]}${i} pack`);
  const labels = ["a", "b", "c"];
  const lexical = await trainLexical(
    data.vectors.map((vector, i) => ({ text: texts[i], vector })),
    data.classes.map((cls) => labels[cls]),
    labels,
    { epochs: 3 },
  );
  const dir = await saveModelVersion(tf, modelsDir, {
    version: "v20",
    classifier,
    lexical,
    labels,
    ensemble: defaultEnsembleConfig(30),
    metrics: fixtureMetrics(["a", "b", "c"], 60),
    embeddingModelId: EXPECTED.embeddingModelId,
    dimensions: DIMENSIONS,
    feedbackSnapshot: 0,
    tfjsVersion: tf.version.tfjs,
    backend: tf.getBackend(),
  });
  const inputs = data.vectors.slice(0, 6).map((vector, i) => ({ text: texts[i], vector }));
  const loaded = await loadModelVersion(tf, modelsDir, "v20", EXPECTED);
  try {
    assert.equal(loaded.manifest.format, "csv-sorter-model/3");
    assert.match(loaded.manifest.files["lexical.bin"].sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(lexicalProbabilities(loaded.lexical!, inputs), lexicalProbabilities(lexical, inputs));
  } finally {
    loaded.classifier.dispose();
  }
  const bin = path.join(dir, "lexical.bin");
  const bytes = fs.readFileSync(bin);
  bytes[8] ^= 0xff;
  fs.writeFileSync(bin, bytes);
  await assert.rejects(
    loadModelVersion(tf, modelsDir, "v20", EXPECTED),
    /Cannot load model "v20": checksum of lexical.bin does not match/,
  );
  // A version saved before the lexical channel (format /1) loads without one.
  const loadedOld = await loadModelVersion(tf, modelsDir, "v1", EXPECTED);
  assert.equal(loadedOld.manifest.format, "csv-sorter-model/1");
  assert.equal(loadedOld.lexical, undefined);
  loadedOld.classifier.dispose();
});
