/**
 * The lexical channel's features: a product's text as a sparse vector of hashed word unigrams and
 * bigrams and character 3–5-grams, weighted TF-IDF (sublinear term frequency, smoothed IDF, unit L2
 * norm) — the feature set of scikit-learn's HashingVectorizer + TfidfTransformer, which on short product
 * titles catches model numbers, brands and units that a sentence embedding blurs.
 *
 * Hashing (FNV-1a, 32 bit, into `buckets` slots) needs no vocabulary: a text never seen in training
 * still maps to the same slots, and a version stores only the IDF of the slots its training texts used.
 */

/** How texts become slots; stored with a version so scoring hashes exactly as training did. */
export interface HashingParams {
  /** Number of hash slots (a power of two). */
  buckets: number;
  /** Word n-gram lengths, inclusive. */
  wordNgrams: [number, number];
  /** Character n-gram lengths, inclusive (within word boundaries padded by one space). */
  charNgrams: [number, number];
}

/** The defaults: 2^18 slots, word 1–2-grams, character 3–5-grams. */
export const DEFAULT_HASHING: HashingParams = { buckets: 1 << 18, wordNgrams: [1, 2], charNgrams: [3, 5] };

/** A sparse vector: slot indices (ascending, distinct) and their values. */
export interface SparseVector {
  indices: Int32Array;
  values: Float32Array;
}

/** FNV-1a over the UTF-16 code units of `text` with a salt for the n-gram kind; unsigned 32 bit. */
export function fnv1a(text: string, salt: number): number {
  let hash = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Lower-case words of letters and digits (a model number like "eq-50" gives "eq" and "50"). */
export function words(text: string): string[] {
  return text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
}

/** Slot → raw count of the text's n-grams. */
export function hashedCounts(text: string, params: HashingParams = DEFAULT_HASHING): Map<number, number> {
  const counts = new Map<number, number>();
  const mask = params.buckets - 1;
  const add = (gram: string, salt: number) => {
    const slot = fnv1a(gram, salt) & mask;
    counts.set(slot, (counts.get(slot) ?? 0) + 1);
  };
  const tokens = words(text);
  for (let n = params.wordNgrams[0]; n <= params.wordNgrams[1]; n++) {
    for (let i = 0; i + n <= tokens.length; i++) add(tokens.slice(i, i + n).join(" "), 1);
  }
  for (const token of tokens) {
    const padded = ` ${token} `;
    for (let n = params.charNgrams[0]; n <= params.charNgrams[1]; n++) {
      for (let i = 0; i + n <= padded.length; i++) add(padded.slice(i, i + n), 2);
    }
  }
  return counts;
}

/**
 * Inverse document frequencies of the slots `texts` use: idf = ln((1 + N) / (1 + df)) + 1 (scikit-learn's
 * smooth_idf). Slots absent from the training texts get {@link unseenIdf}.
 */
export class IdfTable {
  /**
   * `slots`: slot → IDF; `frequencies`: slot → document frequency, known when fitted here (a stored
   * version keeps only the IDF).
   */
  constructor(
    readonly documents: number,
    readonly slots: Map<number, number>,
    readonly frequencies?: Map<number, number>,
  ) {}

  /** Counts document frequencies over `texts`. */
  static fit(texts: string[], params: HashingParams = DEFAULT_HASHING): IdfTable {
    return IdfTable.fromCounts(texts.map((text) => hashedCounts(text, params)));
  }

  /** {@link IdfTable.fit} from the texts' {@link hashedCounts}, for callers that reuse them. */
  static fromCounts(documents: Map<number, number>[]): IdfTable {
    const frequency = new Map<number, number>();
    for (const counts of documents) {
      for (const slot of counts.keys()) frequency.set(slot, (frequency.get(slot) ?? 0) + 1);
    }
    const n = documents.length;
    const slots = new Map<number, number>();
    // Rounded to 32 bits, as stored: a reloaded version computes exactly the features it trained on.
    for (const [slot, df] of frequency) slots.set(slot, Math.fround(Math.log((1 + n) / (1 + df)) + 1));
    return new IdfTable(n, slots, frequency);
  }

  /** The IDF of a slot no training text used: the rarest possible. */
  get unseenIdf(): number {
    return Math.fround(Math.log(1 + this.documents) + 1);
  }

  idf(slot: number): number {
    return this.slots.get(slot) ?? this.unseenIdf;
  }
}

/** TF-IDF of `text`: (1 + ln count) · idf per slot, scaled to unit L2 norm; empty text → empty vector. */
export function tfidfVector(
  text: string,
  idf: IdfTable,
  params: HashingParams = DEFAULT_HASHING,
): SparseVector {
  return tfidfFromCounts(hashedCounts(text, params), idf);
}

/** {@link tfidfVector} of a text whose {@link hashedCounts} are `counts`. */
export function tfidfFromCounts(counts: Map<number, number>, idf: IdfTable): SparseVector {
  const indices = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
  const values = new Float32Array(indices.length);
  let norm = 0;
  indices.forEach((slot, k) => {
    const value = (1 + Math.log(counts.get(slot)!)) * idf.idf(slot);
    values[k] = value;
    norm += value * value;
  });
  norm = Math.sqrt(norm);
  if (norm > 0) { for (let k = 0; k < values.length; k++) values[k] /= norm; }
  return { indices, values };
}
