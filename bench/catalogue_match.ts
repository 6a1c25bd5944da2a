/**
 * `npm run bench:catalogue-match`: how well the catalogue matcher (core/catalogue/) suggests the
 * canonical entry of a row, next to nearest-neighbour baselines on the same catalogue, in one run.
 *
 * Scenarios (bench/catalogue_match_data.ts): "feed" — Walmart rows against the 22,074-entry Amazon
 * catalogue with 0, 50 and 200 decided matches; "offers" — offers against products that each have one
 * decided offer (the match graph's components), then with the train side decided too. Methods, each
 * ranking entries by the best of their documents (canonical name and decided rows):
 *   - "TF-IDF": cosine of hashed word 1–2-gram + character 3–5-gram TF-IDF (core/learning/text_features.ts),
 *   - "MiniLM": cosine of the all-MiniLM-L6-v2 embeddings,
 *   - "sum": the two cosines added,
 *   - "matcher": retrieval + pairwise features + re-ranker (core/catalogue/matcher.ts), its weights fitted
 *     on the setting's decided rows (default weights below MIN_TRAINING_EXAMPLES).
 * Cells are top-1 / top-5 accuracy; "recall" is the share of rows whose right entry is among the
 * matcher's candidates; "ECE" the expected calibration error of the matcher's confidence (10 bins).
 *
 * Options: --scenario feed,offers; --labels 0,50,200; --eval test|valid (the split whose matches are
 * evaluated: iterate on valid, report test); --text title|title+modelno; --products 3000; --seed 7;
 * --fit-defaults (fit the re-ranker's default weights on all of train.csv's matches and print them).
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { CatalogueIndex, topK } from "../core/catalogue/catalogue_index.ts";
import { matchRow, rankingExamples } from "../core/catalogue/matcher.ts";
import { FEATURE_COUNT } from "../core/catalogue/pair_features.ts";
import { describeWeights, MIN_TRAINING_EXAMPLES, trainReranker } from "../core/catalogue/reranker.ts";
import { expectedCalibrationError, reliabilityBins } from "../core/learning/calibration.ts";
import {
  feedSettings,
  loadTables,
  type MatchingSetting,
  offerSettings,
  type TextChoice,
} from "./catalogue_match_data.ts";

const { values: options } = parseArgs({
  options: {
    scenario: { type: "string", default: "feed,offers" },
    labels: { type: "string", default: "0,50,200" },
    eval: { type: "string", default: "test" },
    text: { type: "string", default: "title" },
    products: { type: "string", default: "3000" },
    seed: { type: "string", default: "7" },
    "fit-defaults": { type: "boolean", default: false },
  },
});
const SEED = Number(options.seed);
const TEXT = options.text as TextChoice;
if (TEXT !== "title" && TEXT !== "title+modelno") {
  throw new Error(`Unknown text "${TEXT}": title or title+modelno`);
}
const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
console.log(`bench:catalogue-match seed ${SEED}, evaluation split ${options.eval}, text ${TEXT}`);

const tables = await loadTables(TEXT);

if (options["fit-defaults"]) {
  const [setting] = feedSettings(tables, {
    labels: [Number.MAX_SAFE_INTEGER],
    evaluationSplit: "test",
    seed: SEED,
  });
  const index = CatalogueIndex.build(setting.entries, setting.decided, { idfTexts: setting.idfTexts });
  const examples = rankingExamples(index);
  const weights = trainReranker(examples, { prior: new Float32Array(FEATURE_COUNT), l2: 0.1 });
  console.log(`Fitted on ${examples.length} decided matches of train.csv:\n${describeWeights(weights)}`);
  process.exit(0);
}

type Method = "TF-IDF" | "MiniLM" | "sum" | "matcher";
const METHODS: Method[] = ["TF-IDF", "MiniLM", "sum", "matcher"];

/** Top-1 and top-5 hits per method, candidate recall and the matcher's calibration, for one setting. */
function evaluate(setting: MatchingSetting) {
  const index = CatalogueIndex.build(setting.entries, setting.decided, { idfTexts: setting.idfTexts });
  // The baselines compare the raw texts (no normalisation of quantities and colours).
  const plain = CatalogueIndex.build(setting.entries, setting.decided, {
    idfTexts: setting.idfTexts,
    normalise: false,
  });
  const trainedAt = Date.now();
  const examples = rankingExamples(index);
  const weights = trainReranker(examples);
  const trainMillis = Date.now() - trainedAt;
  const hits = new Map(METHODS.map((method) => [method, { top1: 0, top5: 0 }]));
  const record = (method: Method, ranked: string[], gold: Set<string>) => {
    const tally = hits.get(method)!;
    if (ranked.length > 0 && gold.has(ranked[0])) tally.top1++;
    if (ranked.slice(0, 5).some((id) => gold.has(id))) tally.top5++;
  };
  let recalled = 0;
  const answers: { confidence: number; correct: boolean }[] = [];
  for (const row of setting.evaluation) {
    const query = plain.query(row.text, row.vector);
    const cosines = plain.documentCosines(query);
    const tfidf = plain.documentTfidf(query);
    const sum = cosines.map((cosine, doc) => cosine + tfidf[doc]);
    const ranked = (scores: Float32Array) =>
      topK(plain.bestPerEntry(scores), 5).map((entry) => plain.entries[entry].id);
    record("TF-IDF", ranked(tfidf), row.gold);
    record("MiniLM", ranked(cosines), row.gold);
    record("sum", ranked(sum), row.gold);
    const match = matchRow(index, row, weights, { alternatives: Infinity });
    const suggested = match.best ? [match.best, ...match.alternatives].map((s) => s.entryId) : [];
    record("matcher", suggested, row.gold);
    if (match.best) {
      answers.push({ confidence: match.best.confidence, correct: row.gold.has(match.best.entryId) });
    }
    if (suggested.some((id) => row.gold.has(id))) recalled++;
  }
  return {
    hits,
    recall: recalled / setting.evaluation.length,
    ece: expectedCalibrationError(reliabilityBins(answers)),
    weights,
    examples: examples.length,
    trainMillis,
  };
}

const tables_: string[] = [];
for (const scenario of options.scenario.split(",").map((name) => name.trim())) {
  const settings = scenario === "feed"
    ? feedSettings(tables, {
      labels: options.labels.split(",").map(Number),
      evaluationSplit: options.eval,
      seed: SEED,
    })
    : scenario === "offers"
    ? offerSettings(tables, { products: Number(options.products), evaluationSplit: options.eval, seed: SEED })
    : (() => {
      throw new Error(`Unknown scenario "${scenario}": feed or offers`);
    })();
  const first = settings[0];
  const header = `Scenario ${scenario}: ${first.entries.length} entries, ${first.evaluation.length} rows ` +
    `evaluated (${options.eval}), text ${TEXT}, seed ${SEED}`;
  console.log(header);
  const lines = [
    header,
    "top-1 / top-5 accuracy; recall = right entry among the matcher's candidates; ECE of its confidence\n",
    `| decided | ${METHODS.join(" | ")} | recall | ECE |`,
    `|---|${METHODS.map(() => "---:").join("|")}|---:|---:|`,
  ];
  for (const setting of settings) {
    const result = evaluate(setting);
    const n = setting.evaluation.length;
    const cells = METHODS.map((method) => {
      const { top1, top5 } = result.hits.get(method)!;
      return `${(top1 / n).toFixed(3)} / ${(top5 / n).toFixed(3)}`;
    });
    lines.push(
      `| ${setting.label} | ${cells.join(" | ")} | ${result.recall.toFixed(3)} | ${result.ece?.toFixed(3)} |`,
    );
    const trained = result.examples < MIN_TRAINING_EXAMPLES
      ? `default weights (${result.examples} examples)`
      : `fitted on ${result.examples} examples in ${result.trainMillis} ms: ${
        describeWeights(result.weights)
      }`;
    console.log(`  ${setting.label}: ${cells.join(", ")} (${elapsed()}; re-ranker ${trained})`);
  }
  tables_.push(lines.join("\n"));
}
console.log(`\n${tables_.join("\n\n")}\n\nTook ${elapsed()}.`);
