/**
 * `npm run bench:learning`: simulates a reviewer on the Walmart-Amazon dataset in datasets/ and measures how fast the product
 * learns. The reviewer works through a pool of Amazon products page by page (20 rows), answering with
 * the ground truth, in three queue orders: random, uncertainty (lowest confidence, then smallest
 * margin — the review queue's order) and uncertainty + diversity (the same, with near-duplicates
 * postponed as the review queue does). After 50, 100, 200, 500 and 1,000 labels a version is trained as
 * the retrain job trains it, and the ensemble (exact-match memory, kNN, classifier head, zero-shot on
 * the category names) is scored on held-out rows the reviewer never sees, next to a TF-IDF + linear
 * classifier trained on the same labels.
 *
 * Data: tableB rows whose category has at least 30 rows (141 categories); a seeded sample of a pool and
 * a disjoint evaluation set. Vectors are cached under ~/.cache/csv-sorter/bench/ between runs.
 * Each order is simulated --runs times (different training splits, initial weights and random order,
 * same data); the table gives the mean and, with several runs, the range.
 * Options: --pool N (3000), --eval N (1000), --seed N (7), --page N (20), --runs N (3). Runs under Deno
 * and Node.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import type { EnsembleConfig } from "../contract/schemas.ts";
import type { ClassifierModel } from "../gpu-worker/lib/classifier.ts";
import { loadEmbedder } from "../gpu-worker/lib/embedder.ts";
import { combineEvidence, defaultEnsembleConfig, type ScoredSuggestion } from "../gpu-worker/lib/ensemble.ts";
import {
  gatherEvidence,
  type LabelledRow,
  type LabelName,
  nearestByCosine,
} from "../gpu-worker/lib/evidence.ts";
import { datasetRows, TEST_MODEL_ID, TEST_MODEL_PATH } from "../gpu-worker/lib/testing.ts";
import { loadTf } from "../gpu-worker/lib/tf_backend.ts";
import { MIN_TRAINING_ROWS, seededRandom, trainEnsemble } from "../gpu-worker/lib/training.ts";
import { DiverseOrder } from "../web/lib/diverse_order.ts";
import { NEAR_DUPLICATE_COSINE } from "../web/lib/review_queue.ts";
import { trainTfidfClassifier } from "./tfidf_baseline.ts";

const { values: options } = parseArgs({
  options: {
    pool: { type: "string", default: "3000" },
    eval: { type: "string", default: "1000" },
    seed: { type: "string", default: "7" },
    page: { type: "string", default: "20" },
    runs: { type: "string", default: "3" },
  },
});
const POOL = Number(options.pool);
const EVAL = Number(options.eval);
const SEED = Number(options.seed);
const PAGE = Number(options.page);
const RUNS = Number(options.runs);
/** The seed of the run under way: training splits and the random order differ from run to run. */
let runSeed = SEED;
const CHECKPOINTS = [50, 100, 200, 500, 1000].filter((labels) => labels <= POOL);
/** Besides the checkpoints, "ops" retrain after these many labels, so uncertainty uses a fresh head. */
const RETRAINS = new Set([20, 300, 700, ...CHECKPOINTS]);
/** Like refreshAroundLabels: each new label re-scores its this-many nearest waiting rows. */
const REFRESHED_PER_LABEL = 20;
const started = Date.now();

// --- data -------------------------------------------------------------------------------------------
const all = datasetRows(Number.MAX_SAFE_INTEGER).filter((row) => row.category.trim() !== "");
const counts = new Map<string, number>();
for (const row of all) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
const kept = all.filter((row) => counts.get(row.category)! >= 30);
const random = seededRandom(SEED);
const sample = kept.map((row) => ({ row, key: random() })).sort((a, b) => a.key - b.key).slice(0, POOL + EVAL)
  .map(({ row }) => row);
const categories = [...new Set(kept.map((row) => row.category))].sort();

/** Embeds `texts`, reusing vectors cached by an earlier run with the same texts. */
async function embedCached(texts: string[]): Promise<Float32Array[]> {
  const hash = crypto.createHash("sha256").update(TEST_MODEL_ID).update(JSON.stringify(texts)).digest("hex");
  const file = path.join(os.homedir(), ".cache/csv-sorter/bench", `learning-${hash.slice(0, 16)}.f32`);
  if (fs.existsSync(file)) {
    const bytes = fs.readFileSync(file);
    const flat = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    return texts.map((_, i) => flat.slice(i * 384, (i + 1) * 384));
  }
  const embedder = await loadEmbedder({
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

const vectors = await embedCached([...sample.map((row) => row.title), ...categories]);
const rows: LabelledRow[] = sample.map((row, i) => ({
  text: row.title,
  value: row.category,
  vector: vectors[i],
}));
const labelNames: (LabelName & { taxonomy: boolean })[] = categories.map((value, i) => ({
  value,
  vector: vectors[sample.length + i],
  taxonomy: true,
}));
const pool = rows.slice(0, POOL);
const evaluation = rows.slice(POOL);
const tf = await loadTf();

// --- one model state: the latest trained version plus every label so far ---------------------------
interface State {
  labelled: LabelledRow[];
  config: EnsembleConfig;
  classifier?: { model: ClassifierModel; labels: string[] };
}

async function retrain(state: State): Promise<State> {
  state.classifier?.model.dispose();
  if (state.labelled.length < MIN_TRAINING_ROWS || new Set(state.labelled.map((r) => r.value)).size < 2) {
    return {
      labelled: state.labelled,
      config: defaultEnsembleConfig(state.labelled.length, labelNames.length),
    };
  }
  const trained = await trainEnsemble(tf, state.labelled, {
    labelNames,
    learningCurve: false,
    seed: runSeed,
  });
  return {
    labelled: state.labelled,
    config: trained.ensemble,
    classifier: { model: trained.classifier, labels: trained.labels },
  };
}

function score(state: State, targets: LabelledRow[]) {
  const config = state.classifier
    ? state.config
    : defaultEnsembleConfig(state.labelled.length, labelNames.length);
  const evidence = gatherEvidence(tf, targets, {
    rows: state.labelled,
    labelNames,
    classifier: state.classifier,
  });
  return evidence.map((item) => combineEvidence(item, config));
}

function accuracy(state: State): number {
  const answers = score(state, evaluation);
  return answers.filter((answer, i) => answer?.value === evaluation[i].value).length / evaluation.length;
}

function tfidfAccuracy(labelled: LabelledRow[]): number {
  if (new Set(labelled.map((row) => row.value)).size < 2) return 0;
  const baseline = trainTfidfClassifier(labelled.map((row) => row.text), labelled.map((row) => row.value));
  const predicted = baseline.predict(evaluation.map((row) => row.text));
  return predicted.filter((value, i) => value === evaluation[i].value).length / evaluation.length;
}

type Order = "random" | "uncertainty" | "uncertainty + diversity";

/**
 * The reviewer's session in one queue order. Scores are kept up to date as the product keeps them: the
 * whole pool is re-scored after a retrain (the rescore job), and after each page only the nearest waiting
 * rows of each new label (refreshAroundLabels).
 */
async function simulate(order: Order): Promise<Map<number, { ensemble: number; tfidf: number }>> {
  const results = new Map<number, { ensemble: number; tfidf: number }>();
  let state: State = { labelled: [], config: defaultEnsembleConfig(0, labelNames.length) };
  const open = new Set(pool.keys());
  const scores: (ScoredSuggestion | null)[] = pool.map(() => null);
  const rescore = (ids: number[]) => {
    if (order === "random" || ids.length === 0) return;
    score(state, ids.map((at) => pool[at])).forEach((answer, k) => (scores[ids[k]] = answer));
  };
  const shuffle = [...pool.keys()].map((at) => ({ at, key: seededRandom(runSeed * 100_003 + at)() }))
    .sort((a, b) => a.key - b.key).map(({ at }) => at);
  rescore([...open]);
  while (state.labelled.length < CHECKPOINTS.at(-1)!) {
    const next = CHECKPOINTS.find((labels) => labels > state.labelled.length)!;
    const size = Math.min(PAGE, next - state.labelled.length);
    let page: number[];
    if (order === "random") {
      page = shuffle.filter((at) => open.has(at)).slice(0, size);
    } else {
      // The review queue's order: lowest confidence first, then smallest margin.
      const queue = [...open].sort((a, b) =>
        (scores[a]?.confidence ?? -1) - (scores[b]?.confidence ?? -1) ||
        (scores[a]?.margin ?? -1) - (scores[b]?.margin ?? -1) || a - b
      );
      if (order === "uncertainty") {
        page = queue.slice(0, size);
      } else {
        const diverse = new DiverseOrder(PAGE, NEAR_DUPLICATE_COSINE);
        diverse.add(queue.map((at) => ({ id: at, vector: pool[at].vector })), true);
        page = diverse.ordered.slice(0, size);
      }
    }
    for (const at of page) open.delete(at);
    state = { ...state, labelled: [...state.labelled, ...page.map((at) => pool[at])] };
    if (RETRAINS.has(state.labelled.length)) {
      state = await retrain(state);
      rescore([...open]);
    } else if (order !== "random") {
      const waiting = [...open];
      const near = nearestByCosine(
        tf,
        page.map((at) => pool[at].vector),
        waiting.map((at) => pool[at].vector),
        REFRESHED_PER_LABEL,
      );
      rescore([...new Set(near.flat().map(([k]) => waiting[k]))]);
    }
    if (CHECKPOINTS.includes(state.labelled.length)) {
      const got = { ensemble: accuracy(state), tfidf: tfidfAccuracy(state.labelled) };
      results.set(state.labelled.length, got);
      console.log(
        `  run ${runSeed - SEED + 1}, ${order}, ${state.labelled.length} labels: ensemble ${
          got.ensemble.toFixed(3)
        }, ` +
          `TF-IDF ${got.tfidf.toFixed(3)} (${Math.round((Date.now() - started) / 1000)} s)`,
      );
    }
  }
  state.classifier?.model.dispose();
  return results;
}

// --- run --------------------------------------------------------------------------------------------
const tally = new Map<string, number>();
for (const row of evaluation) tally.set(row.value, (tally.get(row.value) ?? 0) + 1);
const majority = Math.max(...tally.values()) / evaluation.length;
const zeroShot = accuracy({ labelled: [], config: defaultEnsembleConfig(0, labelNames.length) });
console.log(
  `Learning benchmark: pool ${pool.length}, held-out ${evaluation.length} rows, ${categories.length} categories ` +
    `(tableB, categories with ≥ 30 rows), backend ${tf.getBackend()}`,
);
console.log(
  `Majority-class baseline ${majority.toFixed(3)}; zero-shot on the category names alone ${
    zeroShot.toFixed(3)
  }`,
);

const orders: Order[] = ["random", "uncertainty", "uncertainty + diversity"];
const results = new Map<Order, Map<number, { ensemble: number; tfidf: number }>[]>();
for (let run = 0; run < RUNS; run++) {
  runSeed = SEED + run;
  for (const order of orders) results.set(order, [...(results.get(order) ?? []), await simulate(order)]);
}

const cell = (values: number[]) => {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const range = values.length > 1
    ? ` (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
    : "";
  return `${mean.toFixed(3)}${range}`;
};
console.log(
  `\nHeld-out accuracy, mean of ${RUNS} run${
    RUNS > 1 ? "s (range)" : ""
  }: ensemble / TF-IDF + linear on the ` +
    "same labels\n",
);
console.log(`| labels | ${orders.join(" | ")} |`);
console.log(`|-------:|${orders.map(() => ":---:").join("|")}|`);
for (const labels of CHECKPOINTS) {
  const cells = orders.map((order) => {
    const runs = results.get(order)!.map((run) => run.get(labels)!);
    return `${cell(runs.map((got) => got.ensemble))} / ${cell(runs.map((got) => got.tfidf))}`;
  });
  console.log(`| ${labels} | ${cells.join(" | ")} |`);
}
console.log(`\nTook ${Math.round((Date.now() - started) / 1000)} s.`);
