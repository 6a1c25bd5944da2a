/**
 * Model versions on disk: `<MODELS_DIR>/<version>/` holds the head (model.json + weights.bin, tfjs'
 * layers format, written through a node:fs IOHandler since pure tfjs has no file system), labels.json,
 * ensemble.json, metrics.json, the lexical channel (lexical.json + lexical.bin, see lexical.ts; format
 * csv-sorter-model/3 stores its non-zero weights only, /2 all of them, /1 versions have none and score
 * without it), and manifest.json with what the
 * version expects (embedding model, dimensions, label count) and a sha256 of every other file.
 *
 * Saving writes into a temporary sibling folder and renames it into place, so a crash leaves either no
 * folder or a complete one (plus the temporary folder, which the next start-up removes: see
 * model_temp_folders.ts); loading checks everything before a caller may swap the model in.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type * as tfTypes from "@tensorflow/tfjs";
import {
  EnsembleConfig,
  type EnsembleConfig as EnsembleConfigType,
  ModelManifest,
  type ModelManifest as ModelManifestType,
  ModelMetrics,
  type ModelMetrics as ModelMetricsType,
} from "../../contract/schemas.ts";
import type { ClassifierModel } from "../learning/classifier.ts";
import { decodeLexical, encodeLexical, type LexicalModel } from "../learning/lexical.ts";
import type { Tf } from "../runtime/tf_backend.ts";
import { failPoint } from "../runtime/fail_point.ts";
import { modelTempPrefix } from "./model_temp_folders.ts";

/** Files every version holds besides manifest.json. */
export const MODEL_FILES = ["model.json", "weights.bin", "labels.json", "ensemble.json", "metrics.json"];

/** Files a csv-sorter-model/2 or /3 version holds besides {@link MODEL_FILES}: the lexical channel. */
export const LEXICAL_FILES = ["lexical.json", "lexical.bin"];

/** A version name: "v" and the model_versions id. Anything else never becomes a path. */
export const VERSION_PATTERN = /^v\d{1,9}$/;

/** A version folder that cannot be used; the message names the version and the reason. */
export class ModelLoadError extends Error {
  constructor(readonly version: string, reason: string) {
    super(`Cannot load model "${version}": ${reason}`);
    this.name = "ModelLoadError";
  }
}

/** What the running process must match to use a version. */
export interface ModelExpectations {
  embeddingModelId: string;
  dimensions: number;
}

/** A version in memory: the head and everything needed to score with it. */
export interface StoredModel {
  version: string;
  manifest: ModelManifestType;
  labels: string[];
  ensemble: EnsembleConfigType;
  metrics: ModelMetricsType;
  classifier: ClassifierModel;
  /** The lexical channel (absent in csv-sorter-model/1 versions). */
  lexical?: LexicalModel;
}

/** What a training run hands over to be saved. */
export interface ModelToSave {
  version: string;
  classifier: ClassifierModel;
  lexical?: LexicalModel;
  labels: string[];
  ensemble: EnsembleConfigType;
  metrics: ModelMetricsType;
  embeddingModelId: string;
  dimensions: number;
  feedbackSnapshot: number;
  tfjsVersion: string;
  backend: string;
}

/** The folder of `version` under `modelsDir`. */
export function versionDir(modelsDir: string, version: string): string {
  if (!VERSION_PATTERN.test(version)) throw new ModelLoadError(version, "not a version name");
  return path.join(modelsDir, version);
}

/** The hex SHA-256 of `bytes`: the checksum every manifest and model_version_files row holds. */
export function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

/** Writes `file` and fsyncs it before returning, so a folder renamed into place holds its bytes. */
export function writeDurably(file: string, bytes: Uint8Array | string): void {
  const fd = fs.openSync(file, "w");
  try {
    fs.writeSync(fd, typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Renames a complete temporary version folder to `finalDir`. A folder already there (left by an earlier
 * database with the same MODELS_DIR, or a damaged cache) is moved aside, not overwritten.
 */
export function moveIntoPlace(tempDir: string, finalDir: string): void {
  if (fs.existsSync(finalDir)) fs.renameSync(finalDir, `${finalDir}.stale-${Date.now()}`);
  fs.renameSync(tempDir, finalDir);
}

/** An IOHandler that writes tfjs' layers format (model.json + one weights.bin) into `dir`. */
function fileSaveHandler(tf: Tf, dir: string): tfTypes.io.IOHandler {
  return {
    save(artifacts) {
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tfTypes.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tfTypes.io.ModelJSON["modelTopology"],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
      };
      writeDurably(path.join(dir, "model.json"), JSON.stringify(modelJson));
      writeDurably(path.join(dir, "weights.bin"), new Uint8Array(weights));
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(modelJson) });
    },
  };
}

/**
 * Writes `model` as `<modelsDir>/<version>/` through a temporary folder and a rename. A folder of the
 * same name left by an earlier database (a reset data dir with the same MODELS_DIR) is moved aside, not
 * overwritten. Returns the folder.
 */
export async function saveModelVersion(tf: Tf, modelsDir: string, model: ModelToSave): Promise<string> {
  const finalDir = versionDir(modelsDir, model.version);
  fs.mkdirSync(modelsDir, { recursive: true });
  const tempDir = fs.mkdtempSync(modelTempPrefix(modelsDir, model.version));
  try {
    await model.classifier.save(fileSaveHandler(tf, tempDir));
    // A crash from here to the rename leaves the folder half written (model_temp_folders.ts removes it).
    await failPoint("model-version.half-written");
    writeDurably(path.join(tempDir, "labels.json"), JSON.stringify(model.labels));
    writeDurably(path.join(tempDir, "ensemble.json"), JSON.stringify(model.ensemble, null, 2));
    writeDurably(path.join(tempDir, "metrics.json"), JSON.stringify(model.metrics));
    if (model.lexical) {
      const { json, bin } = encodeLexical(model.lexical);
      writeDurably(path.join(tempDir, "lexical.json"), json);
      writeDurably(path.join(tempDir, "lexical.bin"), bin);
    }
    const files: ModelManifestType["files"] = {};
    for (const name of model.lexical ? [...MODEL_FILES, ...LEXICAL_FILES] : MODEL_FILES) {
      const bytes = fs.readFileSync(path.join(tempDir, name));
      files[name] = { sha256: sha256(bytes), bytes: bytes.length };
    }
    const manifest: ModelManifestType = {
      format: model.lexical ? "csv-sorter-model/3" : "csv-sorter-model/1",
      version: model.version,
      embedding_model_id: model.embeddingModelId,
      dimensions: model.dimensions,
      label_count: model.labels.length,
      files,
      created_at: new Date().toISOString(),
      feedback_snapshot: model.feedbackSnapshot,
      train_size: model.metrics.train_size,
      holdout_size: model.metrics.holdout_size,
      tfjs_version: model.tfjsVersion,
      backend: model.backend,
    };
    writeDurably(path.join(tempDir, "manifest.json"), JSON.stringify(manifest, null, 2));
    moveIntoPlace(tempDir, finalDir);
    return finalDir;
  } catch (error) {
    fs.rmSync(tempDir, { recursive: true, force: true });
    throw error;
  }
}

function readJson(version: string, dir: string, name: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, name), "utf8"));
  } catch (error) {
    throw new ModelLoadError(version, `${name} is unreadable (${(error as Error).message})`);
  }
}

function parseWith<T>(
  version: string,
  name: string,
  schema: { safeParse(v: unknown): any },
  value: unknown,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelLoadError(
      version,
      `${name} is invalid (${issue.path.join(".") || "root"}: ${issue.message})`,
    );
  }
  return parsed.data as T;
}

/**
 * Loads and checks `<modelsDir>/<version>/`: the manifest against `expected`, every file against its
 * checksum, the head's input and output shapes against the manifest, and one prediction. Throws
 * {@link ModelLoadError} naming the first problem.
 */
export async function loadModelVersion(
  tf: Tf,
  modelsDir: string,
  version: string,
  expected: ModelExpectations,
): Promise<StoredModel> {
  const dir = versionDir(modelsDir, version);
  if (!fs.existsSync(path.join(dir, "manifest.json"))) {
    throw new ModelLoadError(version, `${path.join(dir, "manifest.json")} does not exist`);
  }
  const manifest = parseWith<ModelManifestType>(
    version,
    "manifest.json",
    ModelManifest,
    readJson(version, dir, "manifest.json"),
  );
  if (manifest.version !== version) {
    throw new ModelLoadError(version, `its manifest names version "${manifest.version}"`);
  }
  if (manifest.embedding_model_id !== expected.embeddingModelId) {
    throw new ModelLoadError(
      version,
      `it was trained on embeddings of "${manifest.embedding_model_id}", this process uses "${expected.embeddingModelId}"`,
    );
  }
  if (manifest.dimensions !== expected.dimensions) {
    throw new ModelLoadError(
      version,
      `it expects ${manifest.dimensions}-dimensional embeddings, this process has ${expected.dimensions}`,
    );
  }
  const contents = new Map<string, Uint8Array>();
  const lexicalFiles = manifest.format === "csv-sorter-model/1" ? [] : LEXICAL_FILES;
  for (const name of [...MODEL_FILES, ...lexicalFiles]) {
    const listed = manifest.files[name];
    if (!listed) throw new ModelLoadError(version, `its manifest lists no checksum for ${name}`);
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(path.join(dir, name));
    } catch {
      throw new ModelLoadError(version, `${name} is missing`);
    }
    if (bytes.length !== listed.bytes || sha256(bytes) !== listed.sha256) {
      throw new ModelLoadError(version, `checksum of ${name} does not match`);
    }
    contents.set(name, bytes);
  }
  const text = (name: string) => JSON.parse(new TextDecoder().decode(contents.get(name)));
  const labels = text("labels.json");
  if (
    !Array.isArray(labels) || labels.length !== manifest.label_count ||
    !labels.every((label) => typeof label === "string")
  ) {
    throw new ModelLoadError(version, `labels.json does not hold ${manifest.label_count} label names`);
  }
  const ensemble = parseWith<EnsembleConfigType>(
    version,
    "ensemble.json",
    EnsembleConfig,
    text("ensemble.json"),
  );
  const metrics = parseWith<ModelMetricsType>(version, "metrics.json", ModelMetrics, text("metrics.json"));
  let lexical: LexicalModel | undefined;
  if (lexicalFiles.length > 0) {
    try {
      lexical = decodeLexical(text("lexical.json"), contents.get("lexical.bin")!, labels);
    } catch (error) {
      throw new ModelLoadError(version, (error as Error).message);
    }
    if (lexical.head.denseDimensions !== 0 && lexical.head.denseDimensions !== manifest.dimensions) {
      throw new ModelLoadError(
        version,
        `its lexical channel expects ${lexical.head.denseDimensions}-dimensional embeddings, the manifest says ${manifest.dimensions}`,
      );
    }
  }

  let classifier: ClassifierModel;
  try {
    const weights = contents.get("weights.bin")!;
    const artifacts = await tf.io.getModelArtifactsForJSON(
      text("model.json") as tfTypes.io.ModelJSON,
      (manifestGroups) =>
        Promise.resolve([
          manifestGroups.flatMap((group) => group.weights),
          weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
        ]),
    );
    classifier = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new ModelLoadError(
      version,
      `model.json or weights.bin is not a TensorFlow.js model (${(error as Error).message})`,
    );
  }
  const inputs = classifier.inputs[0].shape[1];
  const outputs = classifier.outputs[0].shape[1];
  if (inputs !== manifest.dimensions || outputs !== manifest.label_count) {
    classifier.dispose();
    throw new ModelLoadError(
      version,
      `its network maps ${inputs} inputs to ${outputs} outputs, the manifest says ${manifest.dimensions} to ${manifest.label_count}`,
    );
  }
  const probe = tf.tidy(() =>
    (classifier.predict(tf.zeros([1, manifest.dimensions])) as tfTypes.Tensor).dataSync() as Float32Array
  );
  const sum = probe.reduce((total, value) => total + value, 0);
  if (!probe.every(Number.isFinite) || Math.abs(sum - 1) > 1e-3) {
    classifier.dispose();
    throw new ModelLoadError(version, "its network does not output probabilities");
  }
  return { version, manifest, labels, ensemble, metrics, classifier, lexical };
}
