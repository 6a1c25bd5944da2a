/**
 * `npm run bench:learning`: simulates a reviewer on the Walmart-Amazon dataset in datasets/ and measures
 * how fast the product learns against plain baselines trained on the same number of labels.
 *
 * The reviewer works through a pool of Amazon products page by page (20 rows), answering with the ground
 * truth, in two orders: the product's review queue ("queue": the order review_queue.ts serves, ORDERS.queue
 * in learning_simulation.ts) and a random order. Versions are retrained as labels arrive (after 20, 300, 700 and
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
 * --no-baselines; --adapter (an experiment: on the random order's labels, the product trained on vectors
 * passed through a residual linear adapter fitted to those labels, bench/adapter.ts, next to the product on
 * the frozen vectors, both trained on the labels alone). Runs under Deno and Node.
 */
import { parseArgs } from "node:util";
import { loadTf } from "../core/runtime/tf_backend.ts";
import { type BaselineKind, baselinePredictions } from "./tfidf_baseline.ts";
import { scenarioData } from "./learning_data.ts";
import { accuracyOf, ORDERS, simulate } from "./learning_simulation.ts";
import { adaptRows, trainAdapter } from "./adapter.ts";

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
    adapter: { type: "boolean", default: false },
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
  if (!(order in ORDERS)) {
    throw new Error(`Unknown order "${order}": one of ${Object.keys(ORDERS).join(", ")}`);
  }
}
const BASELINES: BaselineKind[] = options["no-baselines"] ? [] : ["minilm", "tfidf", "both"];
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;

// --- run --------------------------------------------------------------------------------------------
const tf = await loadTf();
const cell = (values: number[]) => {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const range = values.length > 1
    ? ` (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`
    : "";
  return `${mean.toFixed(3)}${range}`;
};
const tables: string[] = [];
for (const scenario of options.scenario.split(",").map((name) => name.trim())) {
  const data = await scenarioData(scenario, { pool: POOL, eval: EVAL, seed: SEED });
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
            if (options.adapter) {
              const frozen = await accuracyOf(tf, data, labelled, runSeed);
              const adapter = await trainAdapter(tf, labelled, { seed: runSeed });
              const adapted = await accuracyOf(
                tf,
                {
                  pool: [],
                  evaluation: adaptRows(adapter, data.evaluation),
                  labelNames: adaptRows(adapter, data.labelNames),
                },
                adaptRows(adapter, labelled),
                runSeed,
              );
              record("frozen vectors", labels, frozen);
              record("adapted vectors", labels, adapted);
              line.push(`frozen ${frozen.toFixed(3)}, adapted ${adapted.toFixed(3)}`);
            }
            for (const kind of BASELINES) {
              const predicted = await baselinePredictions(kind, labelled, data.evaluation, runSeed);
              const right = predicted.filter((value, i) => value === data.evaluation[i].value).length;
              record(`LR ${kind}`, labels, right / data.evaluation.length);
              line.push(`LR ${kind} ${(right / data.evaluation.length).toFixed(3)}`);
            }
          }
          console.log(
            `  ${scenario}, run ${run + 1}, ${order}, ${labels} labels: ${line.join(", ")} (${elapsed()})`,
          );
        },
      });
    }
  }
  const columns = [...results.keys()];
  const lines = [
    `\n${header}\nHeld-out accuracy, mean of ${RUNS} run${
      RUNS > 1 ? "s (range)" : ""
    }; baselines on the random order's labels\n`,
    `| labels | ${columns.join(" | ")} |`,
    `|-------:|${columns.map(() => ":---:").join("|")}|`,
    ...BUDGETS.map((labels) =>
      `| ${labels} | ${
        columns.map((column) => cell(results.get(column)!.get(labels) ?? [NaN])).join(" | ")
      } |`
    ),
  ];
  tables.push(lines.join("\n"));
  console.log(lines.join("\n"));
}
console.log(`\n${tables.join("\n")}\n\nTook ${elapsed()}.`);
