/**
 * The simulated reviewer of the learning benchmark (bench/learning.ts): one session in one queue order,
 * keeping scores up to date as the product keeps them (the whole pool re-scored after a retrain — the
 * rescore job — and only the nearest waiting rows of each new label after a page — refreshAroundLabels),
 * with a retrained version at each budget scored on the held-out rows.
 */
import type { EnsembleConfig } from "../contract/schemas.ts";
import type { ClassifierModel } from "../core/learning/classifier.ts";
import { combineEvidence, defaultEnsembleConfig, type ScoredSuggestion } from "../core/learning/ensemble.ts";
import {
  gatherEvidence,
  type LabelledRow,
  type LabelName,
  nearestByCosine,
} from "../core/learning/evidence.ts";
import type { LexicalModel } from "../core/learning/lexical.ts";
import type { Tf } from "../core/runtime/tf_backend.ts";
import { MIN_TRAINING_ROWS, seededRandom, trainEnsemble } from "../core/learning/training.ts";
import { DiverseOrder } from "../core/review/diverse_order.ts";
import { NEAR_DUPLICATE_COSINE } from "../core/review/review_queue.ts";
import { ProductQueue } from "./learning_queue.ts";
import { QUEUE_DENSITY_POWER } from "../core/suggest/review_rank.ts";

/** A scenario's rows. */
export interface LearningData {
  pool: LabelledRow[];
  evaluation: LabelledRow[];
  labelNames: (LabelName & { taxonomy: boolean })[];
}

/** Besides the budgets, "ops" retrain after these many labels, so uncertainty uses a fresh head. */
const EXTRA_RETRAINS = [20, 300, 700];
/** Like refreshAroundLabels: each new label re-scores its this-many nearest waiting rows. */
const REFRESHED_PER_LABEL = 20;

interface State {
  labelled: LabelledRow[];
  config: EnsembleConfig;
  classifier?: { model: ClassifierModel; labels: string[] };
  lexical?: LexicalModel;
}

/** What a queue order sees when it picks the next page. */
export interface OrderContext {
  tf: Tf;
  data: LearningData;
  open: Set<number>;
  scores: (ScoredSuggestion | null)[];
  labelled: number;
  size: number;
  page: number;
  seed: number;
  /** The product's queue (only for the order "queue"). */
  product?: ProductQueue;
}

/** Picks the next page (pool indices) among `open`. */
export type Order = (context: OrderContext) => number[] | Promise<number[]>;

function diverse(context: OrderContext, ranked: number[]): number[] {
  const order = new DiverseOrder(context.page, NEAR_DUPLICATE_COSINE);
  order.add(ranked.map((at) => ({ id: at, vector: context.data.pool[at].vector })), true);
  return order.ordered.slice(0, context.size);
}

/** Lowest confidence first, then smallest margin (review_queue's rank before migration 0014). */
function byUncertainty(context: OrderContext): number[] {
  const { scores } = context;
  return [...context.open].sort((a, b) =>
    (scores[a]?.confidence ?? -1) - (scores[b]?.confidence ?? -1) ||
    (scores[a]?.margin ?? -1) - (scores[b]?.margin ?? -1) || a - b
  );
}

const densities = new WeakMap<LearningData, Float64Array>();

/** Each pool row's density: mean cosine similarity to its 20 nearest pool rows (itself excluded). */
function density(context: OrderContext): Float64Array {
  const known = densities.get(context.data);
  if (known) return known;
  const vectors = context.data.pool.map((row) => row.vector);
  const near = nearestByCosine(context.tf, vectors, vectors, 21);
  const values = Float64Array.from(
    near,
    (pairs) => pairs.slice(1).reduce((sum, [, sim]) => sum + sim, 0) / 20,
  );
  densities.set(context.data, values);
  return values;
}

/** Each open row's similarity to its closest labelled row (0 when nothing is labelled). */
function coverage(context: OrderContext, open: number[]): Float64Array {
  const labelled = [...context.data.pool.keys()].filter((at) => !context.open.has(at));
  if (labelled.length === 0) return new Float64Array(open.length);
  const near = nearestByCosine(
    context.tf,
    open.map((at) => context.data.pool[at].vector),
    labelled.map((at) => context.data.pool[at].vector),
    1,
  );
  return Float64Array.from(near, (pairs) => Math.max(0, pairs[0]?.[1] ?? 0));
}

/**
 * Representatives: density × (1 − similarity to the closest labelled row), picked greedily so a page
 * does not repeat itself (each pick lowers its neighbours' score): the spread without uncertainty.
 */
function representatives(context: OrderContext, count: number): number[] {
  return spread({ ...context, size: count }, { uncertainty: "none", balance: 0, densityPower: 1 });
}

/** Information density (Settles & Craven 2008): (1 − confidence) × density^beta, most first. */
function byInformationDensity(context: OrderContext, beta: number): number[] {
  const dense = density(context);
  const { scores } = context;
  const value = (at: number) =>
    (1 - (scores[at]?.confidence ?? 0)) * Math.pow(Math.max(dense[at], 1e-6), beta);
  return [...context.open].map((at) => ({ at, v: value(at) })).sort((a, b) => b.v - a.v || a.at - b.at)
    .map(({ at }) => at);
}

/** How a prototype of the product's spread order measures a row's uncertainty and weighs it. */
interface SpreadVariant {
  /** none: every row counts as fully uncertain (representatives). */
  uncertainty: "confidence" | "margin" | "none";
  /** Divide a row's value by (1 + labels of its suggested value)^balance: rare classes first. */
  balance: number;
  /** Density counts with this power (QUEUE_DENSITY_POWER in the product). */
  densityPower: number;
}

/**
 * In-memory prototype of the product's queue (review_rank.ts): density^beta × (1 − max(coverage,
 * redundancy)) × uncertainty, picked greedily over every open row (the product picks among the first
 * SPREAD_CANDIDATES), with the variant's uncertainty, beta and class balance. Quick to try variants on:
 * "spread" and "queue" agreed within run-to-run noise (fine, 2 runs: 0.390 / 0.444 / 0.471 / 0.527 against
 * 0.391 / 0.455 / 0.473 / 0.518 at 50 / 100 / 200 / 500 labels).
 */
function spread(context: OrderContext, variant: SpreadVariant): number[] {
  const open = [...context.open];
  const dense = density(context);
  const covered = coverage(context, open);
  const counts = new Map<string, number>();
  for (const at of context.data.pool.keys()) {
    if (!context.open.has(at)) {
      const value = context.data.pool[at].value;
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
  }
  const base = open.map((at) => {
    const scored = context.scores[at];
    const uncertainty = !scored || variant.uncertainty === "none"
      ? 1
      : variant.uncertainty === "margin"
      ? 1 - Math.min(Math.max(scored.margin, 0), 1)
      : 1 - Math.max(scored.confidence, 0);
    const weight = scored && variant.balance > 0
      ? Math.pow(1 + (counts.get(scored.value) ?? 0), -variant.balance)
      : 1;
    return Math.pow(Math.max(dense[at], 0), variant.densityPower) * uncertainty * weight;
  });
  const picked: number[] = [];
  const taken = new Uint8Array(open.length);
  for (let n = 0; n < context.size && n < open.length; n++) {
    let best = -1;
    let bestValue = -Infinity;
    for (let k = 0; k < open.length; k++) {
      if (taken[k]) continue;
      const value = base[k] * (1 - Math.min(Math.max(covered[k], 0), 1));
      if (value > bestValue) {
        bestValue = value;
        best = k;
      }
    }
    taken[best] = 1;
    picked.push(open[best]);
    const v = context.data.pool[open[best]].vector;
    for (let k = 0; k < open.length; k++) {
      if (taken[k]) continue;
      const u = context.data.pool[open[k]].vector;
      let dot = 0;
      for (let d = 0; d < v.length; d++) dot += u[d] * v[d];
      if (dot > covered[k]) covered[k] = dot;
    }
  }
  return picked;
}

/** Labels spent on representatives before uncertainty takes over. */
const COLD_START = 50;

/**
 * The queue orders the benchmark knows; "queue" is the product's own (read from its database, see
 * learning_queue.ts), the others are computed here.
 */
export const ORDERS: Record<string, Order> = {
  random(context) {
    const shuffle = [...context.data.pool.keys()]
      .map((at) => ({ at, key: seededRandom(context.seed * 100_003 + at)() }))
      .sort((a, b) => a.key - b.key).map(({ at }) => at);
    return shuffle.filter((at) => context.open.has(at)).slice(0, context.size);
  },
  /** The product's review queue, read through review_queue.ts. */
  queue(context) {
    return context.product!.page(context.size);
  },
  /** The product's order before migration 0014: least certain first, near-duplicates postponed. */
  uncertainty(context) {
    return diverse(context, byUncertainty(context));
  },
  "uncertainty only"(context) {
    return byUncertainty(context).slice(0, context.size);
  },
  /** Prototype: the product's order computed in memory (to check the emulation against "queue"). */
  spread(context) {
    return spread(context, { uncertainty: "confidence", balance: 0, densityPower: QUEUE_DENSITY_POWER });
  },
  /** Prototype: the product's order before migration 0027 (density to the power 1). */
  "spread beta1"(context) {
    return spread(context, { uncertainty: "confidence", balance: 0, densityPower: 1 });
  },
  "spread beta2"(context) {
    return spread(context, { uncertainty: "confidence", balance: 0, densityPower: 2 });
  },
  "spread beta3"(context) {
    return spread(context, { uncertainty: "confidence", balance: 0, densityPower: 3 });
  },
  /** Prototype: beta 1, uncertainty from the margin between the two best values instead of confidence. */
  "spread margin"(context) {
    return spread(context, { uncertainty: "margin", balance: 0, densityPower: 1 });
  },
  /** Prototype: beta 1, a row's value divided by √(1 + labels of its suggested value): rare classes first. */
  "spread balance"(context) {
    return spread(context, { uncertainty: "confidence", balance: 0.5, densityPower: 1 });
  },
  /** Prototype: representatives for the first COLD_START labels, then information density (beta 1). */
  "cold start + density"(context) {
    if (context.labelled < COLD_START) return representatives(context, context.size);
    return diverse(context, byInformationDensity(context, 1));
  },
  /** Prototype: representatives first, then half of each page uncertainty, half representatives. */
  "cold start + mixed"(context) {
    if (context.labelled < COLD_START) return representatives(context, context.size);
    const uncertain = diverse(context, byUncertainty(context)).slice(0, Math.ceil(context.size / 2));
    const rest = new Set(context.open);
    for (const at of uncertain) rest.delete(at);
    return [...uncertain, ...representatives({ ...context, open: rest }, context.size - uncertain.length)];
  },
  /** Prototype: information density with beta 3 (denser rows count more) and the cold start. */
  "cold start + density3"(context) {
    if (context.labelled < COLD_START) return representatives(context, context.size);
    return diverse(context, byInformationDensity(context, 3));
  },
};

async function retrain(tf: Tf, data: LearningData, state: State, seed: number): Promise<State> {
  state.classifier?.model.dispose();
  if (state.labelled.length < MIN_TRAINING_ROWS || new Set(state.labelled.map((r) => r.value)).size < 2) {
    return {
      labelled: state.labelled,
      config: defaultEnsembleConfig(state.labelled.length, data.labelNames.length),
    };
  }
  const trained = await trainEnsemble(tf, state.labelled, {
    labelNames: data.labelNames,
    learningCurve: false,
    seed,
  });
  return {
    labelled: state.labelled,
    config: trained.ensemble,
    classifier: { model: trained.classifier, labels: trained.labels },
    // Versions trained before the lexical channel have none.
    lexical: (trained as { lexical?: LexicalModel }).lexical,
  };
}

function score(tf: Tf, data: LearningData, state: State, targets: LabelledRow[]) {
  const config = state.classifier
    ? state.config
    : defaultEnsembleConfig(state.labelled.length, data.labelNames.length);
  const evidence = gatherEvidence(tf, targets, {
    rows: state.labelled,
    labelNames: data.labelNames,
    classifier: state.classifier,
    lexical: state.lexical,
  });
  return { answers: evidence.map((item) => combineEvidence(item, config)), evidence };
}

/**
 * Held-out accuracy of a version trained on `labelled` alone, scored as the product scores (no queue, no
 * re-scoring): for variants of the data such as bench:learning's --adapter.
 */
export async function accuracyOf(
  tf: Tf,
  data: LearningData,
  labelled: LabelledRow[],
  seed: number,
): Promise<number> {
  const state = await retrain(tf, data, {
    labelled,
    config: defaultEnsembleConfig(0, data.labelNames.length),
  }, seed);
  try {
    const { answers } = score(tf, data, state, data.evaluation);
    return answers.filter((answer, i) => answer?.value === data.evaluation[i].value).length /
      data.evaluation.length;
  } finally {
    state.classifier?.model.dispose();
  }
}

/** Options of {@link simulate}. */
export interface SimulationOptions {
  order: string;
  budgets: number[];
  page: number;
  seed: number;
  /** At each budget: held-out accuracy, the labelled rows so far, and how long that retrain took. */
  onBudget: (
    labels: number,
    accuracy: number,
    labelled: LabelledRow[],
    retrainMillis: number,
  ) => Promise<void>;
}

/** One reviewer session. */
export async function simulate(tf: Tf, data: LearningData, options: SimulationOptions): Promise<void> {
  const pick = ORDERS[options.order];
  const { pool } = data;
  const retrains = new Set([...EXTRA_RETRAINS, ...options.budgets]);
  let state: State = { labelled: [], config: defaultEnsembleConfig(0, data.labelNames.length) };
  const open = new Set(pool.keys());
  const scores: (ScoredSuggestion | null)[] = pool.map(() => null);
  const needsScores = options.order !== "random";
  const product = options.order === "queue" ? await ProductQueue.open(pool) : undefined;
  const rescore = async (ids: number[]) => {
    if (!needsScores || ids.length === 0) return;
    const { answers, evidence } = score(tf, data, state, ids.map((at) => pool[at]));
    answers.forEach((answer, k) => (scores[ids[k]] = answer));
    await product?.store(ids, answers, evidence);
  };
  await rescore([...open]);
  const last = Math.max(...options.budgets);
  while (state.labelled.length < last) {
    const next = Math.min(...[...retrains].filter((labels) => labels > state.labelled.length));
    const size = Math.min(options.page, next - state.labelled.length);
    const page = await pick({
      tf,
      data,
      open,
      scores,
      labelled: state.labelled.length,
      size,
      page: options.page,
      seed: options.seed,
      product,
    });
    if (page.length === 0) throw new Error(`The order "${options.order}" gave no rows`);
    for (const at of page) open.delete(at);
    await product?.label(page, page.map((at) => pool[at].value));
    state = { ...state, labelled: [...state.labelled, ...page.map((at) => pool[at])] };
    if (retrains.has(state.labelled.length)) {
      const before = Date.now();
      state = await retrain(tf, data, state, options.seed);
      const millis = Date.now() - before;
      await rescore([...open]);
      if (options.budgets.includes(state.labelled.length)) {
        const { answers } = score(tf, data, state, data.evaluation);
        const right = answers.filter((answer, i) => answer?.value === data.evaluation[i].value).length;
        await options.onBudget(state.labelled.length, right / data.evaluation.length, state.labelled, millis);
      }
    } else if (needsScores) {
      const waiting = [...open];
      const near = nearestByCosine(
        tf,
        page.map((at) => pool[at].vector),
        waiting.map((at) => pool[at].vector),
        REFRESHED_PER_LABEL,
      );
      await rescore([...new Set(near.flat().map(([k]) => waiting[k]))]);
    }
  }
  state.classifier?.model.dispose();
  await product?.close();
}
