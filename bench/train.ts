/**
 * `npm run bench:train`: one training run (trainEnsemble, default options: epochs by size and early
 * stopping, learning curve) in memory on the first --labelled (default 10,000) Walmart-Amazon titles with
 * a category, their real vectors (cached under ~/.cache/csv-sorter/bench/, shared with
 * bench:retrain-latency) and the category names as label names. No database, server or saving: what
 * training alone costs, phase by phase, and what it reaches.
 *
 * Prints the seconds after each kind of progress message (numbers blanked out, so a phase's epochs add
 * up), the seconds until the version is complete (as a retrain job marks it ready) and with its learning
 * curve (drawn after, as the job draws it), the epochs each head trained, the held-out accuracy and each part's alone, and the
 * learning curve. Options: --labelled N, --rows N (titles embedded, default 12,000: the vectors cached
 * by bench:retrain-latency --rows 12000 serve both), --seed N (default 1), --device auto|cpu|cuda (the
 * training backend a worker would pick for it: tfjs-node-gpu with CUDA; "device" in the output says which
 * backend ran), --lexical-thread on|off (the lexical channel on a thread of its own beside the classifier,
 * as a retrain trains it, or both heads taking turns on this thread; default on).
 */
import { parseArgs } from "node:util";
import { benchDevice, loadBenchTf } from "./bench_device.ts";
import { trainEnsemble } from "../core/learning/training.ts";
import { trainLexicalOnThread } from "../core/learning/lexical_thread.ts";
import { catalogueRows, embedCached } from "./catalogue.ts";

const { values } = parseArgs({
  options: {
    labelled: { type: "string", default: "10000" },
    rows: { type: "string", default: "12000" },
    seed: { type: "string", default: "1" },
    device: { type: "string", default: "auto" },
    "lexical-thread": { type: "string", default: "on" },
  },
});
if (!["on", "off"].includes(values["lexical-thread"]!)) throw new Error("--lexical-thread is on or off");
const device = await benchDevice(values.device);
const LABELLED = Number(values.labelled);

const embedded = catalogueRows().slice(0, Math.max(LABELLED, Number(values.rows)));
console.error(`embedding ${embedded.length} titles (cached after the first run)…`);
const vectors = await embedCached(embedded.map((row) => row.title), "retrain-latency");
const rows = embedded.slice(0, LABELLED);
const names = [...new Set(rows.map((row) => row.category))];
const nameVectors = await embedCached(names, "train-names");
const tf = await loadBenchTf(device);

const messages: { at: number; message: string }[] = [];
const started = Date.now();
const trained = await trainEnsemble(
  tf,
  rows.map((row, i) => ({ text: row.title, value: row.category, vector: vectors[i] })),
  {
    labelNames: names.map((value, i) => ({ value, vector: nameVectors[i] })),
    seed: Number(values.seed),
    // As a retrain job runs it: the lexical channel on a thread of its own beside the classifier.
    lexicalTrainer: values["lexical-thread"] === "on" ? trainLexicalOnThread : undefined,
    // As a retrain job runs it: the version first, its learning curve after.
    learningCurve: "deferred",
    onProgress: (_done, _total, message) => {
      messages.push({ at: Date.now(), message });
      return Promise.resolve();
    },
  },
);
const trainedAt = Date.now();
trained.classifier.dispose();
const curve = await trained.drawLearningCurve?.((_done, _total, message) => {
  messages.push({ at: Date.now(), message });
  return Promise.resolve();
}) ?? trained.metrics.learning_curve;
const ended = Date.now();

const seconds = new Map<string, number>();
messages.forEach((entry, index) => {
  const end = messages[index + 1]?.at ?? ended;
  const kind = entry.message.replace(/loss [\d.]+/, "loss #").replace(/[\d,.]+%?/g, "#");
  seconds.set(kind, (seconds.get(kind) ?? 0) + (end - entry.at) / 1000);
});
const round = (value: number) => Math.round(value * 10) / 10;
const { metrics } = trained;
console.log(JSON.stringify(
  {
    labelled: rows.length,
    labels: metrics.label_count,
    backend: tf.getBackend(),
    lexical_thread: values["lexical-thread"],
    device: device.describe(tf),
    // Until the version could serve (trained, weighed, calibrated, measured), then with its curve.
    seconds_to_version: round((trainedAt - started) / 1000),
    seconds: round((ended - started) / 1000),
    phases: Object.fromEntries([...seconds].map(([kind, s]) => [kind, round(s)])),
    epochs: metrics.epochs,
    lexical_epochs: messages.filter((entry) => /lexical channel: epoch/.test(entry.message)).length,
    accuracy: metrics.accuracy,
    macro_f1: metrics.macro_f1,
    components: metrics.components,
    learning_curve: curve,
    lexical_weights: {
      kept: trained.lexical.head.sparseWeights.filter((weight) => weight !== 0).length,
      of: trained.lexical.head.sparseWeights.length,
    },
  },
  null,
  2,
));
