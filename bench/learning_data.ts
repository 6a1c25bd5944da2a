/**
 * The learning benchmark's data: tableB of the Walmart-Amazon dataset in datasets/, one scenario's
 * categories, a seeded pool and a disjoint evaluation sample, embedded with the test model (vectors
 * cached under ~/.cache/csv-sorter/bench/, keyed by a hash of the model id and the texts).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { loadEmbedder } from "../core/embedding/embedder.ts";
import { datasetRows, TEST_MODEL_ID, TEST_MODEL_PATH } from "../testing/testing.ts";
import { seededRandom } from "../core/learning/training.ts";
import type { LearningData } from "./learning_simulation.ts";

// --- data -------------------------------------------------------------------------------------------
const all = datasetRows(Number.MAX_SAFE_INTEGER).filter((row) => row.category.trim() !== "");
const counts = new Map<string, number>();
for (const row of all) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);

/** The categories a scenario keeps. */
function scenarioCategories(name: string): Set<string> {
  if (name === "fine") return new Set([...counts].filter(([, n]) => n >= 30).map(([value]) => value));
  if (name === "coarse") {
    return new Set(
      [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 10).map(([value]) => value),
    );
  }
  throw new Error(`Unknown scenario "${name}": fine or coarse`);
}

let embedder: Awaited<ReturnType<typeof loadEmbedder>> | undefined;

/** Embeds `texts`, reusing vectors cached by an earlier run with the same texts. */
async function embedCached(texts: string[]): Promise<Float32Array[]> {
  const hash = crypto.createHash("sha256").update(TEST_MODEL_ID).update(JSON.stringify(texts)).digest("hex");
  const file = path.join(os.homedir(), ".cache/csv-sorter/bench", `learning-${hash.slice(0, 16)}.f32`);
  if (fs.existsSync(file)) {
    const bytes = fs.readFileSync(file);
    const flat = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    return texts.map((_, i) => flat.slice(i * 384, (i + 1) * 384));
  }
  embedder ??= await loadEmbedder({
    modelId: TEST_MODEL_ID,
    localModelPath: TEST_MODEL_PATH,
    allowRemoteModels: false,
  });
  const vectors: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += 64) {
    for (const vector of await embedder.embed(texts.slice(i, i + 64))) {
      vectors.push(Float32Array.from(vector));
    }
    if (i % 640 === 0) process.stdout.write(`\rembedding ${i} of ${texts.length}…`);
  }
  process.stdout.write("\r");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const flat = new Float32Array(texts.length * 384);
  vectors.forEach((vector, i) => flat.set(vector, i * 384));
  fs.writeFileSync(file, new Uint8Array(flat.buffer));
  return vectors;
}

/** The pool, evaluation rows and label names of scenario `name` ("fine" or "coarse"). */
export async function scenarioData(
  name: string,
  sizes: { pool: number; eval: number; seed: number },
): Promise<LearningData> {
  const kept = scenarioCategories(name);
  const rows = all.filter((row) => kept.has(row.category));
  const random = seededRandom(sizes.seed);
  const sample = rows.map((row) => ({ row, key: random() })).sort((a, b) => a.key - b.key)
    .slice(0, sizes.pool + sizes.eval).map(({ row }) => row);
  const categories = [...kept].sort();
  const vectors = await embedCached([...sample.map((row) => row.title), ...categories]);
  const labelled = sample.map((row, i) => ({ text: row.title, value: row.category, vector: vectors[i] }));
  return {
    pool: labelled.slice(0, sizes.pool),
    evaluation: labelled.slice(sizes.pool),
    labelNames: categories.map((value, i) => ({ value, vector: vectors[sample.length + i], taxonomy: true })),
  };
}
