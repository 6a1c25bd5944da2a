/**
 * Candidate retrieval: the few canonical entries worth re-ranking for one row, out of tens of thousands.
 * Three channels, each contributing its best entries (an entry scores the best of its documents, name or
 * decided row): nearest by embedding cosine, nearest by TF-IDF cosine, and every entry that carries one of
 * the row's model codes verbatim. The union is what the re-ranker sees; an entry none of them finds cannot
 * be suggested, so recall at this stage bounds top-5 accuracy.
 */
import { type CatalogueIndex, type CatalogueQuery, topK } from "./catalogue_index.ts";

/** How many entries each channel contributes: 20 each keeps recall at 50 within ~1 % of recall at 100. */
export const CANDIDATES_PER_CHANNEL = 20;
/** A code shared by more documents than this identifies a product line, not a product: not a channel. */
const MAX_CODE_DOCUMENTS = 20;

/** The candidates of one row and the document scores their features are computed from. */
export interface Candidates {
  /** Entry positions, distinct, in no particular order. */
  entries: number[];
  /** Cosine of the row with every document. */
  cosines: Float32Array;
  /** TF-IDF cosine of the row with every document. */
  tfidf: Float32Array;
}

/** Options of {@link retrieveCandidates}. */
export interface RetrievalOptions {
  perChannel?: number;
  /** A document to leave out: the decided row itself when a decided row is the query (training). */
  exclude?: number;
  /**
   * The query's cosine with every document, computed beforehand for many rows at once (cosine_scorer.ts);
   * without it the index's loop computes them. Not changed: the left-out document is set on a copy.
   */
  cosines?: Float32Array;
}

/** Retrieves the candidates of `query` from `index`. */
export function retrieveCandidates(
  index: CatalogueIndex,
  query: CatalogueQuery,
  options: RetrievalOptions = {},
): Candidates {
  const perChannel = options.perChannel ?? CANDIDATES_PER_CHANNEL;
  const exclude = options.exclude ?? -1;
  let cosines: Float32Array;
  if (options.cosines) {
    cosines = exclude >= 0 ? Float32Array.from(options.cosines) : options.cosines;
    if (exclude >= 0) cosines[exclude] = -Infinity;
  } else {
    cosines = index.documentCosines(query, exclude);
  }
  const tfidf = index.documentTfidf(query, exclude);
  const found = new Set<number>(topK(index.bestPerEntry(cosines), perChannel));
  for (const entry of topK(index.bestPerEntry(tfidf), perChannel)) found.add(entry);
  for (const code of query.identifiers.codes) {
    const documents = index.documentsWithCode(code);
    if (documents.length > MAX_CODE_DOCUMENTS) continue;
    for (const doc of documents) if (doc !== exclude) found.add(index.documents[doc].entry);
  }
  return { entries: [...found], cosines, tfidf };
}
