/**
 * The catalogue-matching benchmark's data: the Walmart-Amazon tables and labelled pairs in
 * datasets/walmart_amazon/, embedded with the test model (vectors cached under ~/.cache/csv-sorter/bench/
 * by bench/catalogue.ts), and the two scenarios built from them.
 *
 * - "feed": tableB (22,074 Amazon rows) is the canonical catalogue, tableA (Walmart) the supplier feed.
 *   Decided matches are drawn from train.csv's matches; the rows evaluated are the tableA rows with a match
 *   in the evaluation split (test.csv or valid.csv) that have no match in train.csv, so no evaluated row
 *   is ever a decided row. A suggestion is right when it is any entry the row matches (all splits).
 * - "offers": the match graph's connected components (over all splits) are products; each has ONE
 *   decided offer (seeded pick) and no canonical name, and the other offers of the components whose
 *   matches are all in the evaluation split are matched against the products. Products are padded to
 *   `products` with rows labelled only as non-matches (near variants a labeller rejected), each its own
 *   product with one decided offer. The
 *   "train side" setting also decides the other offers of components with a train.csv match, on which the
 *   re-ranker is fitted.
 */
import fs from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import type { CanonicalEntry, DecidedRow } from "../core/catalogue/catalogue_index.ts";
import { seededRandom, shuffled } from "../core/learning/training.ts";
import { DATASET_DIR, type DatasetRow, datasetRows } from "../testing/testing.ts";
import { embedCached } from "./catalogue.ts";

/** A row to match and the entries that are right for it. */
export interface EvaluationRow {
  text: string;
  vector: Float32Array;
  gold: Set<string>;
}

/** One setting of a scenario: what the catalogue holds and what is evaluated. */
export interface MatchingSetting {
  /** How many decided rows the setting adds beyond the scenario's own ("0", "50", "train side" …). */
  label: string;
  entries: CanonicalEntry[];
  decided: DecidedRow[];
  evaluation: EvaluationRow[];
  /** Texts the IDF is fitted on: every row of both tables, no decision. */
  idfTexts: string[];
}

/** Which text of a dataset row is matched. */
export type TextChoice = "title" | "title+modelno";

/** A labelled pair of the benchmark: tableA id, tableB id. */
type Pair = [string, string];

function pairs(split: string): Pair[] {
  const text = fs.readFileSync(path.join(DATASET_DIR, `${split}.csv`), "utf8");
  const rows = Papa.parse<{ ltable_id: string; rtable_id: string; label: string }>(text, {
    header: true,
    skipEmptyLines: true,
  }).data;
  return rows.filter((row) => row.label === "1").map((row) => [row.ltable_id, row.rtable_id]);
}

function allPairs(split: string): Pair[] {
  const text = fs.readFileSync(path.join(DATASET_DIR, `${split}.csv`), "utf8");
  return Papa.parse<{ ltable_id: string; rtable_id: string }>(text, { header: true, skipEmptyLines: true })
    .data.map((row) => [row.ltable_id, row.rtable_id]);
}

function textOf(row: DatasetRow, choice: TextChoice): string {
  const title = row.title.trim();
  if (choice === "title" || row.modelno.trim() === "") return title;
  const squash = (text: string) => text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
  return squash(title).includes(squash(row.modelno)) ? title : `${title} ${row.modelno.trim()}`;
}

/** Both tables with texts and title embeddings, keyed "a<id>" and "b<id>". */
export interface Tables {
  text: Map<string, string>;
  vector: Map<string, Float32Array>;
  a: string[];
  b: string[];
}

/** Loads and embeds both tables (the titles are embedded; `choice` only changes the matched text). */
export async function loadTables(choice: TextChoice): Promise<Tables> {
  const a = datasetRows(Number.MAX_SAFE_INTEGER, "tableA");
  const b = datasetRows(Number.MAX_SAFE_INTEGER, "tableB");
  const rows = [
    ...a.map((row) => ["a" + row.id, row] as const),
    ...b.map((row) => ["b" + row.id, row] as const),
  ];
  const vectors = await embedCached(rows.map(([, row]) => row.title), "catalogue-match");
  return {
    text: new Map(rows.map(([key, row]) => [key, textOf(row, choice)])),
    vector: new Map(rows.map(([key], at) => [key, Float32Array.from(vectors[at])])),
    a: a.map((row) => "a" + row.id),
    b: b.map((row) => "b" + row.id),
  };
}

/** The feed→catalogue scenario with `labels` decided matches for each count. */
export function feedSettings(
  tables: Tables,
  options: { labels: number[]; evaluationSplit: string; seed: number },
): MatchingSetting[] {
  const train = pairs("train");
  const gold = new Map<string, Set<string>>();
  for (const [a, b] of [...train, ...pairs("valid"), ...pairs("test")]) {
    gold.set("a" + a, (gold.get("a" + a) ?? new Set()).add("b" + b));
  }
  const trainedRows = new Set(train.map(([a]) => "a" + a));
  const evaluated = [...new Set(pairs(options.evaluationSplit).map(([a]) => "a" + a))]
    .filter((key) => !trainedRows.has(key)).sort();
  const entries = tables.b.map((key) => ({
    id: key,
    name: tables.text.get(key)!,
    vector: tables.vector.get(key)!,
  }));
  const evaluation = evaluated.map((key) => ({
    text: tables.text.get(key)!,
    vector: tables.vector.get(key)!,
    gold: gold.get(key)!,
  }));
  // One decided match per supplier row: the first of its train.csv matches in a seeded order.
  const seen = new Set<string>();
  const candidates = shuffled(train, seededRandom(options.seed)).filter(([a]) => {
    if (seen.has(a)) return false;
    seen.add(a);
    return true;
  });
  const idfTexts = [...tables.text.values()];
  return options.labels.map((count) => ({
    label: String(count),
    entries,
    decided: candidates.slice(0, count).map(([a, b]) => ({
      entryId: "b" + b,
      text: tables.text.get("a" + a)!,
      vector: tables.vector.get("a" + a)!,
    })),
    evaluation,
    idfTexts,
  }));
}

/** The offer→decided-offer scenario: one decided offer per product, then the train side decided too. */
export function offerSettings(
  tables: Tables,
  options: { products: number; evaluationSplit: string; seed: number },
): MatchingSetting[] {
  const random = seededRandom(options.seed);
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(key, root);
    return root;
  };
  const splitOf = new Map<string, Set<string>>();
  for (const split of ["train", "valid", "test"]) {
    for (const [a, b] of pairs(split)) {
      for (const key of ["a" + a, "b" + b]) if (!parent.has(key)) parent.set(key, key);
      parent.set(find("a" + a), find("b" + b));
      const edge = `a${a}|b${b}`;
      splitOf.set(edge, (splitOf.get(edge) ?? new Set()).add(split));
    }
  }
  const members = new Map<string, string[]>();
  for (const key of [...parent.keys()].sort()) {
    const root = find(key);
    members.set(root, [...(members.get(root) ?? []), key]);
  }
  const componentSplits = new Map<string, Set<string>>();
  for (const [edge, splits] of splitOf) {
    const root = find(edge.slice(0, edge.indexOf("|")));
    const set = componentSplits.get(root) ?? new Set();
    for (const split of splits) set.add(split);
    componentSplits.set(root, set);
  }
  const entries: CanonicalEntry[] = [];
  const oneOffer: DecidedRow[] = [];
  const trainSide: DecidedRow[] = [];
  const evaluation: EvaluationRow[] = [];
  const decide = (key: string, entryId: string): DecidedRow => ({
    entryId,
    text: tables.text.get(key)!,
    vector: tables.vector.get(key)!,
  });
  for (const [root, keys] of [...members].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    const id = `p${entries.length}`;
    entries.push({ id });
    const order = shuffled(keys, random);
    oneOffer.push(decide(order[0], id));
    const splits = componentSplits.get(root)!;
    if (splits.has("train")) {
      for (const key of order.slice(1)) trainSide.push(decide(key, id));
    } else if (splits.has(options.evaluationSplit)) {
      for (const key of order.slice(1)) {
        evaluation.push({
          text: tables.text.get(key)!,
          vector: tables.vector.get(key)!,
          gold: new Set([id]),
        });
      }
    }
  }
  // Padding products: rows labelled only as non-matches first (a labeller saw them next to a product and
  // said no: near variants, known to be different products), then rows in no labelled pair.
  const inPair = new Set<string>();
  for (const split of ["train", "valid", "test"]) {
    for (const [a, b] of allPairs(split)) inPair.add("a" + a).add("b" + b);
  }
  const nonMatches = [...inPair].filter((key) => !parent.has(key)).sort();
  const unlabelled = [...tables.a, ...tables.b].filter((key) => !inPair.has(key));
  const padding = [...shuffled(nonMatches, random), ...shuffled(unlabelled, random)];
  for (const key of padding.slice(0, Math.max(0, options.products - entries.length))) {
    const id = `p${entries.length}`;
    entries.push({ id });
    oneOffer.push(decide(key, id));
  }
  const idfTexts = [...tables.text.values()];
  return [
    { label: "1 per product", entries, decided: oneOffer, evaluation, idfTexts },
    {
      label: `+ train side (${trainSide.length})`,
      entries,
      decided: [...oneOffer, ...trainSide],
      evaluation,
      idfTexts,
    },
  ];
}
