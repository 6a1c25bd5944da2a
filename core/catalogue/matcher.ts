/**
 * Catalogue matching (reconciliation of a row against canonical entries): retrieve candidates
 * (candidates.ts), describe each by pairwise features (pair_features.ts), order them with the re-ranker
 * (reranker.ts). The answer is the best entry with a confidence — the re-ranker's softmax probability over
 * the candidate list, not a separately calibrated score — and the next alternatives with theirs.
 *
 * Training uses the decided rows already in the index: each decided row is searched for as if it were new,
 * with itself left out of the index (leave-one-out), and its entry is the positive among the candidates
 * retrieved; every other candidate is a negative — the hard negatives retrieval produces.
 */
import type { CatalogueIndex } from "./catalogue_index.ts";
import { type RetrievalOptions, retrieveCandidates } from "./candidates.ts";
import { pairFeatures } from "./pair_features.ts";
import {
  DEFAULT_WEIGHTS,
  type RankingExample,
  type RerankerOptions,
  type RerankerWeights,
  scoreCandidates,
  softmax,
  trainReranker,
} from "./reranker.ts";

/** An entry suggested for a row. */
export interface EntrySuggestion {
  entryId: string;
  /** Probability of this entry among the row's candidates, in [0, 1]. */
  confidence: number;
}

/** The answer for one row: the best entry and the runners-up, best first; null when nothing was found. */
export interface CatalogueMatch {
  best: EntrySuggestion | null;
  alternatives: EntrySuggestion[];
  /** How many candidates were re-ranked. */
  candidates: number;
}

/** Options of {@link matchRow}. */
export interface MatchOptions extends RetrievalOptions {
  /** Alternatives to return after the best entry (default 4). */
  alternatives?: number;
}

/** Matches the row `text` with embedding `vector` against `index` using re-ranker `weights`. */
export function matchRow(
  index: CatalogueIndex,
  row: { text: string; vector: ArrayLike<number> },
  weights: RerankerWeights = DEFAULT_WEIGHTS,
  options: MatchOptions = {},
): CatalogueMatch {
  const query = index.query(row.text, row.vector);
  const candidates = retrieveCandidates(index, query, options);
  if (candidates.entries.length === 0) return { best: null, alternatives: [], candidates: 0 };
  const p = softmax(scoreCandidates(weights, pairFeatures(index, query, candidates)));
  const order = candidates.entries.map((_, at) => at).sort((a, b) => p[b] - p[a]);
  const suggestion = (at: number): EntrySuggestion => ({
    entryId: index.entries[candidates.entries[at]].id,
    confidence: p[at],
  });
  return {
    best: suggestion(order[0]),
    alternatives: order.slice(1, 1 + (options.alternatives ?? 4)).map(suggestion),
    candidates: candidates.entries.length,
  };
}

/**
 * The ranking example of the index's document `doc`, a decided row (leave-one-out), or null when it
 * teaches nothing: not a decided row, or its entry has no other document (no name, no other decided
 * row). A decided entry that retrieval missed is added to the list, so that the example still counts.
 */
export function rankingExample(
  index: CatalogueIndex,
  doc: number,
  options: RetrievalOptions = {},
): RankingExample | null {
  const document = index.documents[doc];
  if (!document.decided) return null;
  if (index.entryDocuments[document.entry].length < 2) return null;
  const vector = index.vectors.subarray(doc * index.dimensions, (doc + 1) * index.dimensions);
  const query = index.query(document.text, vector);
  const candidates = retrieveCandidates(index, query, { ...options, exclude: doc });
  let positive = candidates.entries.indexOf(document.entry);
  if (positive < 0) positive = candidates.entries.push(document.entry) - 1;
  return { features: pairFeatures(index, query, candidates), positive };
}

/** The ranking examples of the index's decided rows ({@link rankingExample} of each). */
export function rankingExamples(index: CatalogueIndex, options: RetrievalOptions = {}): RankingExample[] {
  const examples: RankingExample[] = [];
  index.documents.forEach((_, doc) => {
    const example = rankingExample(index, doc, options);
    if (example) examples.push(example);
  });
  return examples;
}

/** Fits re-ranker weights on the index's decided rows ({@link DEFAULT_WEIGHTS} when they are too few). */
export function trainMatcher(
  index: CatalogueIndex,
  options: RetrievalOptions & RerankerOptions = {},
): RerankerWeights {
  return trainReranker(rankingExamples(index, options), options);
}
