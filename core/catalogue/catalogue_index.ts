/**
 * The searchable form of a canonical catalogue: every canonical entry's name and every decided row (a row
 * a reviewer matched to an entry) as a document with its unit-length embedding, its TF-IDF vector
 * (core/learning/text_features.ts: hashed word 1–2-grams + character 3–5-grams of the text as
 * identifiers.ts' normaliseText writes it) and its identifiers
 * (identifiers.ts). An entry is found through any of its documents: a new supplier's wording often
 * resembles an earlier decided row more than the canonical name.
 *
 * Search is exact and in memory: cosine against every document (brute force over one flat Float32Array,
 * ~8 ms for 25,000 × 384 dimensions) and TF-IDF through an inverted index of hash slots. That is enough for
 * a catalogue of tens of thousands of entries; beyond that the vector channel belongs in pgvector (an HNSW
 * index on the entries' and decided rows' embeddings, `ORDER BY embedding <=> $1 LIMIT k`), which returns
 * the same candidate lists the re-ranker takes.
 */
import {
  DEFAULT_HASHING,
  hashedCounts,
  type HashingParams,
  IdfTable,
  type SparseVector,
  tfidfFromCounts,
} from "../learning/text_features.ts";
import { type Identifiers, identifiersOf, normaliseText } from "./identifiers.ts";

/** A canonical entry: its id and, when it has one, its name and the name's embedding. */
export interface CanonicalEntry {
  id: string;
  name?: string;
  vector?: ArrayLike<number>;
}

/** A row a reviewer matched to the entry `entryId`: its text and embedding. */
export interface DecidedRow {
  entryId: string;
  text: string;
  vector: ArrayLike<number>;
}

/** A text searched for: its embedding (unit length), TF-IDF vector and identifiers. */
export interface CatalogueQuery {
  text: string;
  vector: Float32Array;
  tfidf: SparseVector;
  identifiers: Identifiers;
}

/** A document of the index: an entry's name or a decided row. */
export interface CatalogueDocument {
  /** Index of its entry in {@link CatalogueIndex.entries}. */
  entry: number;
  decided: boolean;
  text: string;
  identifiers: Identifiers;
}

/** Options of {@link CatalogueIndex.build}. */
export interface CatalogueIndexOptions {
  /**
   * Texts the IDF is fitted on (default: the documents). Unlabelled rows still to be matched may be
   * included: the IDF uses no decision.
   */
  idfTexts?: string[];
  hashing?: HashingParams;
  /**
   * Compare texts through identifiers.ts' normaliseText (default true); false gives the plain TF-IDF of
   * the raw texts, the baseline the benchmark compares against.
   */
  normalise?: boolean;
}

/** `vector` scaled to unit length (a zero vector stays zero), as a new Float32Array. */
export function unit(vector: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(vector);
  let norm = 0;
  for (let d = 0; d < out.length; d++) norm += out[d] * out[d];
  norm = Math.sqrt(norm);
  if (norm > 0) { for (let d = 0; d < out.length; d++) out[d] /= norm; }
  return out;
}

/** Canonical entries and decided rows, searchable by embedding and by TF-IDF. */
export class CatalogueIndex {
  /** Entry → its documents' indices. */
  readonly entryDocuments: number[][];
  private readonly byId: Map<string, number>;
  /** Model code → the documents that carry it. */
  private readonly byCode = new Map<string, number[]>();

  private constructor(
    readonly entries: CanonicalEntry[],
    readonly documents: CatalogueDocument[],
    /** documents × dimensions, row-major, unit rows. */
    readonly vectors: Float32Array,
    readonly dimensions: number,
    readonly idf: IdfTable,
    readonly hashing: HashingParams,
    /** The text the lexical channel sees for a raw text. */
    readonly lexical: (text: string) => string,
    /** Hash slot → the documents that use it and their TF-IDF values. */
    private readonly postings: Map<number, { documents: Int32Array; values: Float32Array }>,
  ) {
    this.entryDocuments = entries.map(() => []);
    documents.forEach((document, at) => this.entryDocuments[document.entry].push(at));
    this.byId = new Map(entries.map((entry, at) => [entry.id, at]));
    documents.forEach((document, at) => {
      for (const code of document.identifiers.codes) {
        const list = this.byCode.get(code);
        if (list) list.push(at);
        else this.byCode.set(code, [at]);
      }
    });
  }

  /**
   * Indexes `entries` and `decided`. Throws when a decided row names an unknown entry or when the
   * embeddings differ in length.
   */
  static build(
    entries: CanonicalEntry[],
    decided: DecidedRow[],
    options: CatalogueIndexOptions = {},
  ): CatalogueIndex {
    const hashing = options.hashing ?? DEFAULT_HASHING;
    const position = new Map(entries.map((entry, at) => [entry.id, at]));
    const documents: CatalogueDocument[] = [];
    const raw: ArrayLike<number>[] = [];
    entries.forEach((entry, at) => {
      if (entry.name === undefined || entry.vector === undefined) return;
      documents.push({ entry: at, decided: false, text: entry.name, identifiers: identifiersOf(entry.name) });
      raw.push(entry.vector);
    });
    for (const row of decided) {
      const at = position.get(row.entryId);
      if (at === undefined) throw new Error(`Cannot index a decided row: no entry "${row.entryId}"`);
      documents.push({ entry: at, decided: true, text: row.text, identifiers: identifiersOf(row.text) });
      raw.push(row.vector);
    }
    const dimensions = raw[0]?.length ?? 0;
    const vectors = new Float32Array(documents.length * dimensions);
    raw.forEach((vector, at) => {
      if (vector.length !== dimensions) {
        throw new Error(
          `Cannot index "${documents[at].text}": ${vector.length} dimensions, not ${dimensions}`,
        );
      }
      vectors.set(unit(vector), at * dimensions);
    });
    const lexical = options.normalise === false ? (text: string) => text : normaliseText;
    const counts = documents.map((document) => hashedCounts(lexical(document.text), hashing));
    const idf = options.idfTexts
      ? IdfTable.fit(options.idfTexts.map(lexical), hashing)
      : IdfTable.fromCounts(counts);
    const lists = new Map<number, { documents: number[]; values: number[] }>();
    counts.forEach((count, at) => {
      const sparse = tfidfFromCounts(count, idf);
      sparse.indices.forEach((slot, k) => {
        let list = lists.get(slot);
        if (!list) lists.set(slot, list = { documents: [], values: [] });
        list.documents.push(at);
        list.values.push(sparse.values[k]);
      });
    });
    const postings = new Map<number, { documents: Int32Array; values: Float32Array }>();
    for (const [slot, list] of lists) {
      postings.set(slot, {
        documents: Int32Array.from(list.documents),
        values: Float32Array.from(list.values),
      });
    }
    return new CatalogueIndex(entries, documents, vectors, dimensions, idf, hashing, lexical, postings);
  }

  /** The position of entry `id` in {@link entries}, or undefined. */
  entryIndex(id: string): number | undefined {
    return this.byId.get(id);
  }

  /** The documents that carry model code `code` exactly (identifiers.ts normal form). */
  documentsWithCode(code: string): readonly number[] {
    return this.byCode.get(code) ?? [];
  }

  /** Document `doc`'s unit embedding (a view into {@link vectors}). */
  documentVector(doc: number): Float32Array {
    return this.vectors.subarray(doc * this.dimensions, (doc + 1) * this.dimensions);
  }

  /** Prepares `text` with its embedding `vector` for searching. */
  query(text: string, vector: ArrayLike<number>): CatalogueQuery {
    return {
      text,
      vector: unit(vector),
      tfidf: tfidfFromCounts(hashedCounts(this.lexical(text), this.hashing), this.idf),
      identifiers: identifiersOf(text),
    };
  }

  /** Cosine of the query with every document (a document `exclude`d scores −Infinity). */
  documentCosines(query: CatalogueQuery, exclude = -1): Float32Array {
    const { vectors, dimensions } = this;
    const q = query.vector;
    const out = new Float32Array(this.documents.length);
    for (let doc = 0, base = 0; doc < out.length; doc++, base += dimensions) {
      let dot = 0;
      for (let d = 0; d < dimensions; d++) dot += vectors[base + d] * q[d];
      out[doc] = dot;
    }
    if (exclude >= 0) out[exclude] = -Infinity;
    return out;
  }

  /** TF-IDF cosine of the query with every document (0 when no slot is shared; `exclude` −Infinity). */
  documentTfidf(query: CatalogueQuery, exclude = -1): Float32Array {
    const out = new Float32Array(this.documents.length);
    const { indices, values } = query.tfidf;
    for (let k = 0; k < indices.length; k++) {
      const list = this.postings.get(indices[k]);
      if (!list) continue;
      const value = values[k];
      const docs = list.documents;
      const weights = list.values;
      for (let p = 0; p < docs.length; p++) out[docs[p]] += weights[p] * value;
    }
    if (exclude >= 0) out[exclude] = -Infinity;
    return out;
  }

  /** Per entry, the best score of its documents (−Infinity for an entry with none). */
  bestPerEntry(documentScores: Float32Array): Float32Array {
    const out = new Float32Array(this.entries.length).fill(-Infinity);
    this.documents.forEach((document, doc) => {
      if (documentScores[doc] > out[document.entry]) out[document.entry] = documentScores[doc];
    });
    return out;
  }
}

/** The `k` positions of the highest finite `scores`, best first. */
export function topK(scores: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  let floor = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i];
    if (!(score > floor) && best.length >= k) continue;
    if (score === -Infinity) continue;
    let at = best.length;
    while (at > 0 && scores[best[at - 1]] < score) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
    if (best.length >= k) floor = scores[best[best.length - 1]];
  }
  return best;
}
