/**
 * `npm run bench:learning`: simulates a reviewer on the Walmart-Amazon dataset in datasets/ and measures
 * how fast the product learns against plain baselines trained on the same number of labels.
 *
 * The reviewer works through a pool of Amazon products page by page (20 rows), answering with the ground
 * truth, in two orders: the product's review queue ("queue": the order review_queue.ts serves, see
 * queueOrder below) and a random order. Versions are retrained as labels arrive (after 20, 300, 700 and
 * at every budget), the pool is re-scored after each retrain and around each page's labels as the
 * product does, and at each label budget the product (exact-match memory, kNN, classifier head,
 * zero-shot, lexical channel, mixed by trainEnsemble's out-of-fold weights) is scored on held-out rows
 * the reviewer never sees. On the SAME random labels three baselines are trained (bench/tfidf_baseline.ts):
 * logistic regression on the MiniLM vectors, on hashed word + character n-gram TF-IDF, and on both.
 *
 * Scenarios (tableB): "fine" — categories with at least 30 rows (141 categories); "coarse" — the 10
 * largest categories. Each samples a pool and a disjoint evaluation set (seeded). Vectors are cached
 * under ~/.cache/csv-sorter/bench/ between runs. Each order is simulated --runs times (different
 * training splits and random orders, same data); tables give the mean and, with several runs, the range.
 * Options: --scenario fine,coarse; --orders queue,random (plus prototypes: see ORDERS); --budgets
 * 20,50,100,200,500,1000; --pool N (3000); --eval N (1000); --seed N (7); --page N (20); --runs N (2);
 * --no-baselines. Runs under Deno and Node.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { loadEmbedder } from "../gpu-worker/lib/embedder.ts";
import { datasetRows, TEST_MODEL_ID, TEST_MODEL_PATH } from "../gpu-worker/lib/testing.ts";
import { loadTf } from "../gpu-worker/lib/tf_backend.ts";
import { seededRandom } from "../gpu-worker/lib/training.ts";
import { baselinePredictions, type BaselineKind } from "./tfidf_baseline.ts";
import { type LearningData, ORDERS, simulate } from "./learning_simulation.ts";

const { values: options } = parseArgs({
  options: {
    scenario: { type: "string", default: "fine,coarse" },
    orders: { type: "string", default: "queue,random" },
    budgets: { type: "string", default: "20,50,100,200,500,1000" },
    pool: { type: "string", default: "3000" },
    eval: { type: "string", default: "1000" },
    seed: { type: "string", default: "7" },
    page: { type: "string", default: "20" },
    runs: { type: "string", default: "2" },
    "no-baselines": { type: "boolean", default: false },
  },
});
const POOL = Number(options.pool);
const EVAL = Number(options.eval);
const SEED = Number(options.seed);
const PAGE = Number(options.page);
const RUNS = Number(options.runs);
const BUDGETS = options.budgets.split(",").map(Number).filter((labels) => labels > 0 && labels <= POOL);
const orders = options.orders.split(",").map((order) => order.trim());
for (const order of orders) {
  if (!(order in ORDERS)) throw new Error(`Unknown order "${order}": one of ${Object.keys(ORDERS).join(", ")}`);
}
const BASELINES: BaselineKind[] = options["no-baselines"] ? [] : ["minilm", "tfidf", "both"];
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;

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
    for (const vector of await embedder.embed(texts.slice(i, i + 64))) vectors.push(Float32Array.from(vector));
    if (i % 640 === 0) process.stdout.write(`\rembedding ${i} of ${texts.length}…`);
  }
  process.stdout.write("\r");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const flat = new Float32Array(texts.length * 384);
  vectors.forEach((vector, i) => flat.set(vector, i * 384));
  fs.writeFileSync(file, new Uint8Array(flat.buffer));
  return vectors;
}

async function scenarioData(name: string): Promise<LearningData> {
  const kept = scenarioCategories(name);
  const rows = all.filter((row) => kept.has(row.category));
  const random = seededRandom(SEED);
  const sample = rows.map((row) => ({ row, key: random() })).sort((a, b) => a.key - b.key)
    .slice(0, POOL + EVAL).map(({ row }) => row);
  const categories = [...kept].sort();
  const vectors = await embedCached([...sample.map((row) => row.title), ...categories]);
  const labelled = sample.map((row, i) => ({ text: row.title, value: row.category, vector: vectors[i] }));
  return {
    pool: labelled.slice(0, POOL),
    evaluation: labelled.slice(POOL),
    labelNames: categories.map((value, i) => ({ value, vector: vectors[sample.length + i], taxonomy: true })),
  };
}

// --- run --------------------------------------------------------------------------------------------
const tf = await loadTf();
const cell = (values: number[]) => {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const range = values.length > 1 ? ` (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})` : "";
  return `${mean.toFixed(3)}${range}`;
};
const tables: string[] = [];
for (const scenario of options.scenario.split(",").map((name) => name.trim())) {
  const data = await scenarioData(scenario);
  const tally = new Map<string, number>();
  for (const row of data.evaluation) tally.set(row.value, (tally.get(row.value) ?? 0) + 1);
  const majority = Math.max(...tally.values()) / data.evaluation.length;
  const header = `Scenario ${scenario}: pool ${data.pool.length}, held-out ${data.evaluation.length} rows, ` +
    `${data.labelNames.length} categories, backend ${tf.getBackend()}; majority class ${majority.toFixed(3)}`;
  console.log(header);
  /** column → budget → accuracy per run */
  const results = new Map<string, Map<number, number[]>>();
  const record = (column: string, labels: number, accuracy: number) => {
    const byBudget = results.get(column) ?? new Map<number, number[]>();
    byBudget.set(labels, [...(byBudget.get(labels) ?? []), accuracy]);
    results.set(column, byBudget);
  };
  for (let run = 0; run < RUNS; run++) {
    const runSeed = SEED + run;
    for (const order of orders) {
      await simulate(tf, data, {
        order,
        budgets: BUDGETS,
        page: PAGE,
        seed: runSeed,
        onBudget: async (labels, accuracy, labelled, millis) => {
          record(`product, ${order}`, labels, accuracy);
          const line = [`product ${accuracy.toFixed(3)} (retrain ${(millis / 1000).toFixed(1)} s)`];
          if (order === "random") {
            for (const kind of BASELINES) {
              const predicted = await baselinePredictions(kind, labelled, data.evaluation, runSeed);
              const right = predicted.filter((value, i) => value === data.evaluation[i].value).length;
              record(`LR ${kind}`, labels, right / data.evaluation.length);
              line.push(`LR ${kind} ${(right / data.evaluation.length).toFixed(3)}`);
            }
          }
          console.log(`  ${scenario}, run ${run + 1}, ${order}, ${labels} labels: ${line.join(", ")} (${elapsed()})`);
        },
      });
    }
  }
  const columns = [...results.keys()];
  const lines = [
    `\n${header}\nHeld-out accuracy, mean of ${RUNS} run${RUNS > 1 ? "s (range)" : ""}; baselines on the random order's labels\n`,
    `| labels | ${columns.join(" | ")} |`,
    `|-------:|${columns.map(() => ":---:").join("|")}|`,
    ...BUDGETS.map((labels) =>
      `| ${labels} | ${columns.map((column) => cell(results.get(column)!.get(labels) ?? [NaN])).join(" | ")} |`
    ),
  ];
  tables.push(lines.join("\n"));
  console.log(lines.join("\n"));
}
console.log(`\n${tables.join("\n")}\n\nTook ${elapsed()}.`);
