/**
 * Pairwise features of (row, candidate entry), the re-ranker's input. An entry is represented by all its
 * documents (its name, its decided rows): similarities take the best document, identifier agreement counts
 * when any document agrees, and a conflict only when every document conflicts — one decided row in the
 * supplier's own wording is enough to vouch for an entry whose canonical name reads differently.
 *
 * Two features are relative to the candidate list: the reciprocal rank of the candidate's cosine and of its
 * TF-IDF among the list's (1 for the leader, 1/2 for the next …). A similarity of 0.8 means little on its
 * own, being the leader of both channels means a lot. (A gap to the leader's score would add nothing: the
 * softmax over a list ignores a per-list constant, so score − best is the score itself for a linear model.)
 */
import type { CatalogueIndex, CatalogueQuery } from "./catalogue_index.ts";
import type { Candidates } from "./candidates.ts";
import { compareIdentifiers, normaliseText } from "./identifiers.ts";

function wordsOf(text: string): string[] {
  return normaliseText(text).split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
}

/** The share of `words` (distinct) found in `text`; 0 for no words. */
function coverage(words: string[], text: Set<string>): number {
  const distinct = new Set(words);
  if (distinct.size === 0) return 0;
  let found = 0;
  for (const word of distinct) if (text.has(word)) found++;
  return found / distinct.size;
}

/** The features, in the order of a feature vector. */
export const FEATURE_NAMES = [
  "cosine",
  "tfidf",
  "cosineRank",
  "tfidfRank",
  "decidedCosine",
  "decidedTfidf",
  "codeMatch",
  "codeLength",
  "codeConflict",
  "quantityMatch",
  "quantityConflict",
  "colourMatch",
  "colourConflict",
  "numberConflict",
  "nameCoverage",
] as const;

/** Number of features per pair. */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/**
 * One Float32Array of {@link FEATURE_COUNT} per candidate of `candidates.entries`, same order. Similarities
 * are cosines in [−1, 1]; ranks reciprocal ranks in (0, 1]; `decided*` are 0 for an entry with no decided row; `codeLength` is the longest
 * shared code's length / 10, capped at 1; `quantityMatch` and `quantityConflict` count, capped at 2;
 * `nameCoverage` is the share of the entry name's words (identifiers.ts' normaliseText) that the row's text
 * holds, in [0, 1] — a brand or a short canonical name found verbatim in a long offer title, which neither
 * cosine says (a long text's TF-IDF vector is mostly other words).
 */
export function pairFeatures(
  index: CatalogueIndex,
  query: CatalogueQuery,
  candidates: Candidates,
): Float32Array[] {
  const rowWords = new Set(wordsOf(query.text));
  const rows = candidates.entries.map((entry) => {
    const features = new Float32Array(FEATURE_COUNT);
    let cosine = -1;
    let tfidf = 0;
    let decidedCosine = 0;
    let decidedTfidf = 0;
    let codeLength = 0;
    let codeConflict = 1;
    let quantityMatch = 0;
    let quantityConflict = Infinity;
    let colourMatch = 0;
    let colourConflict = 1;
    let numberConflict = 1;
    let nameCoverage = 0;
    for (const doc of index.entryDocuments[entry]) {
      const c = candidates.cosines[doc];
      const t = candidates.tfidf[doc];
      if (c === -Infinity) continue; // the excluded document
      const document = index.documents[doc];
      cosine = Math.max(cosine, c);
      tfidf = Math.max(tfidf, t);
      if (!document.decided) {
        nameCoverage = Math.max(nameCoverage, coverage(wordsOf(document.text), rowWords));
      }
      if (document.decided) {
        decidedCosine = Math.max(decidedCosine, c);
        decidedTfidf = Math.max(decidedTfidf, t);
      }
      const comparison = compareIdentifiers(query.identifiers, document.identifiers);
      codeLength = Math.max(codeLength, comparison.codeMatch);
      if (!comparison.codeConflict) codeConflict = 0;
      quantityMatch = Math.max(quantityMatch, comparison.quantityMatches);
      quantityConflict = Math.min(quantityConflict, comparison.quantityConflicts);
      if (comparison.colourMatch) colourMatch = 1;
      if (!comparison.colourConflict) colourConflict = 0;
      if (!comparison.numberConflict) numberConflict = 0;
    }
    features[0] = cosine;
    features[1] = tfidf;
    features[4] = decidedCosine;
    features[5] = decidedTfidf;
    features[6] = codeLength > 0 ? 1 : 0;
    features[7] = Math.min(1, codeLength / 10);
    features[8] = codeConflict;
    features[9] = Math.min(2, quantityMatch);
    features[10] = Math.min(2, Number.isFinite(quantityConflict) ? quantityConflict : 0);
    features[11] = colourMatch;
    features[12] = colourConflict;
    features[13] = numberConflict;
    features[14] = nameCoverage;
    return features;
  });
  for (const [feature, rank] of [[0, 2], [1, 3]]) {
    // Ties share the better rank: equal similarities must not be told apart by list order.
    const order = rows.map((_, at) => at).sort((a, b) => rows[b][feature] - rows[a][feature]);
    let position = 0;
    order.forEach((at, k) => {
      if (k > 0 && rows[at][feature] < rows[order[k - 1]][feature]) position = k;
      rows[at][rank] = 1 / (1 + position);
    });
  }
  return rows;
}
