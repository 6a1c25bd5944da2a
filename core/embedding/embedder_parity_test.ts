/**
 * The ONNX model that transformers.js runs embeds like the sentence-transformers model it was made from:
 * parity.json (written by scripts/import_model.py --check) holds sentence-transformers' own normalised
 * embeddings of 50 product titles, and the same titles must come out within a cosine bar here.
 * Needs the model folder: run scripts/ensure_model.sh first. Runs under node:test in Node and Deno.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { env, pipeline } from "@huggingface/transformers";

const MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2";
// <repo>/models/embedding/; URL keeps this working in Node and Deno without path juggling.
const LOCAL_MODEL_PATH = new URL("../../models/embedding/", import.meta.url);

// fp32 should match to rounding (Python measured min 0.9999999); q8 loses a little to 8-bit weights
// (Python measured min 0.994 on these titles with per-channel weights and fp32 FFN output layers).
const MIN_COSINE = { fp32: 0.999, q8: 0.99 } as const;

interface Parity {
  model: string;
  titles: string[];
  embeddings: number[][];
}

async function readParity(): Promise<Parity> {
  const url = new URL(`${MODEL_ID}/parity.json`, LOCAL_MODEL_PATH);
  const parity = JSON.parse(await readFile(url, "utf8")) as Parity;
  assert.equal(parity.model, MODEL_ID);
  assert.equal(parity.titles.length, parity.embeddings.length);
  return parity;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0, normA = 0, normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  return dot / Math.sqrt(normA * normB);
}

async function embedTitles(dtype: keyof typeof MIN_COSINE, titles: string[]): Promise<number[][]> {
  env.localModelPath = decodeURIComponent(LOCAL_MODEL_PATH.pathname);
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  const extractor = await pipeline("feature-extraction", MODEL_ID, { dtype, device: "cpu" });
  try {
    const output = await extractor(titles, { pooling: "mean", normalize: true });
    return output.tolist() as number[][];
  } finally {
    // Releases the onnxruntime session, so the test runner does not wait on native handles.
    await extractor.dispose();
  }
}

for (const dtype of ["fp32", "q8"] as const) {
  test(`the ${dtype} ONNX model embeds every parity title like sentence-transformers`, async () => {
    const parity = await readParity();
    const embeddings = await embedTitles(dtype, parity.titles);
    assert.equal(embeddings.length, parity.titles.length);
    const cosines = embeddings.map((vector, i) => {
      assert.equal(vector.length, parity.embeddings[i].length, `dimensions of "${parity.titles[i]}"`);
      return cosine(vector, parity.embeddings[i]);
    });
    const min = Math.min(...cosines);
    const mean = cosines.reduce((sum, c) => sum + c, 0) / cosines.length;
    console.log(
      `${dtype}: cosine vs sentence-transformers over ${cosines.length} titles: ` +
        `min ${min.toFixed(7)}, mean ${mean.toFixed(7)} (bar ${MIN_COSINE[dtype]})`,
    );
    cosines.forEach((c, i) => {
      assert.ok(
        c >= MIN_COSINE[dtype],
        `${dtype} cosine ${c.toFixed(6)} < ${MIN_COSINE[dtype]} for "${parity.titles[i]}"`,
      );
    });
  });
}
