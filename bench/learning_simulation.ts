/**
 * The simulated reviewer of the learning benchmark (bench/learning.ts): one session in one queue order,
 * keeping scores up to date as the product keeps them (the whole pool re-scored after a retrain — the
 * rescore job — and only the nearest waiting rows of each new label after a page — refreshAroundLabels),
 * with a retrained version at each budget scored on the held-out rows.
 */
import type { EnsembleConfig } from "../contract/schemas.ts";
import type { ClassifierModel } from "../gpu-worker/lib/classifier.ts";
import { combineEvidence, defaultEnsembleConfig, type ScoredSuggestion } from "../gpu-worker/lib/ensemble.ts";
import { gatherEvidence, type LabelledRow, type LabelName, nearestByCosine } from "../gpu-worker/lib/evidence.ts";
import type { Tf } from "../gpu-worker/lib/tf_backend.ts";
import { MIN_TRAINING_ROWS, seededRandom, trainEnsemble } from "../gpu-worker/lib/training.ts";
import { DiverseOrder } from "../web/lib/diverse_order.ts";
import { NEAR_DUPLICATE_COSINE } from "../web/lib/review_queue.ts";

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
}

/** What a queue order sees when it picks the next page. */
export interface OrderContext {
  data: LearningData;
  open: Set<number>;
  scores: (ScoredSuggestion | null)[];
  labelled: number;
  size: number;
  page: number;
  seed: number;
}

/** Picks the next page (pool indices) among `open`. */
export type Order = (context: OrderContext) => number[];

function diverse(context: OrderContext, ranked: number[]): number[] {
  const order = new DiverseOrder(context.page, NEAR_DUPLICATE_COSINE);
  order.add(ranked.map((at) => ({ id: at, vector: context.data.pool[at].vector })), true);
  return order.ordered.slice(0, context.size);
}

/** Lowest confidence first, then smallest margin (review_queue's rank). */
function byUncertainty(context: OrderContext): number[] {
  const { scores } = context;
  return [...context.open].sort((a, b) =>
    (scores[a]?.confidence ?? -1) - (scores[b]?.confidence ?? -1) ||
    (scores[a]?.margin ?? -1) - (scores[b]?.margin ?? -1) || a - b
  );
}

/** The queue orders the benchmark knows; "queue" is the product's. */
export const ORDERS: Record<string, Order> = {
  random(context) {
    const shuffle = [...context.data.pool.keys()]
      .map((at) => ({ at, key: seededRandom(context.seed * 100_003 + at)() }))
      .sort((a, b) => a.key - b.key).map(({ at }) => at);
    return shuffle.filter((at) => context.open.has(at)).slice(0, context.size);
  },
  /** The product's review queue: uncertainty, near-duplicates postponed to later windows. */
  queue(context) {
    return diverse(context, byUncertainty(context));
  },
  "uncertainty only"(context) {
    return byUncertainty(context).slice(0, context.size);
  },
};

async function retrain(tf: Tf, data: LearningData, state: State, seed: number): Promise<State> {
  state.classifier?.model.dispose();
  if (state.labelled.length < MIN_TRAINING_ROWS || new Set(state.labelled.map((r) => r.value)).size < 2) {
    return { labelled: state.labelled, config: defaultEnsembleConfig(state.labelled.length, data.labelNames.length) };
  }
  const trained = await trainEnsemble(tf, state.labelled, { labelNames: data.labelNames, learningCurve: false, seed });
  return {
    labelled: state.labelled,
    config: trained.ensemble,
    classifier: { model: trained.classifier, labels: trained.labels },
  };
}

function score(tf: Tf, data: LearningData, state: State, targets: LabelledRow[]) {
  const config = state.classifier ? state.config : defaultEnsembleConfig(state.labelled.length, data.labelNames.length);
  const evidence = gatherEvidence(tf, targets, {
    rows: state.labelled,
    labelNames: data.labelNames,
    classifier: state.classifier,
  });
  return evidence.map((item) => combineEvidence(item, config));
}

/** Options of {@link simulate}. */
export interface SimulationOptions {
  order: string;
  budgets: number[];
  page: number;
  seed: number;
  /** At each budget: held-out accuracy, the labelled rows so far, and how long that retrain took. */
  onBudget: (labels: number, accuracy: number, labelled: LabelledRow[], retrainMillis: number) => Promise<void>;
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
  const rescore = (ids: number[]) => {
    if (!needsScores || ids.length === 0) return;
    score(tf, data, state, ids.map((at) => pool[at])).forEach((answer, k) => (scores[ids[k]] = answer));
  };
  rescore([...open]);
  const last = Math.max(...options.budgets);
  while (state.labelled.length < last) {
    const next = Math.min(...[...retrains].filter((labels) => labels > state.labelled.length));
    const size = Math.min(options.page, next - state.labelled.length);
    const page = pick({
      data,
      open,
      scores,
      labelled: state.labelled.length,
      size,
      page: options.page,
      seed: options.seed,
    });
    for (const at of page) open.delete(at);
    state = { ...state, labelled: [...state.labelled, ...page.map((at) => pool[at])] };
    if (retrains.has(state.labelled.length)) {
      const before = Date.now();
      state = await retrain(tf, data, state, options.seed);
      const millis = Date.now() - before;
      rescore([...open]);
      if (options.budgets.includes(state.labelled.length)) {
        const answers = score(tf, data, state, data.evaluation);
        const right = answers.filter((answer, i) => answer?.value === data.evaluation[i].value).length;
        await options.onBudget(state.labelled.length, right / data.evaluation.length, state.labelled, millis);
      }
    } else if (needsScores) {
      const waiting = [...open];
      const near = nearestByCosine(tf, page.map((at) => pool[at].vector), waiting.map((at) => pool[at].vector), REFRESHED_PER_LABEL);
      rescore([...new Set(near.flat().map(([k]) => waiting[k]))]);
    }
  }
  state.classifier?.model.dispose();
}
