/**
 * The lexical channel: softmax regression on a product's hashed word + character n-gram TF-IDF
 * (text_features.ts) concatenated with its sentence embedding (linear_head.ts). The embedding head sees
 * what a title means; this one also sees which exact tokens it shares with labelled titles — model
 * numbers, brands, units. On the learning benchmark (bench:learning, README), logistic regression on the two
 * together matched or beat either alone up to 500 labels in both scenarios; at 1,000 labels of 10
 * categories TF-IDF alone was ahead (0.840 against 0.817), which the ensemble's weights can follow.
 *
 * A version stores what scoring needs to rebuild the features exactly: the hashing parameters, the IDF of
 * the slots seen in training, and the weights (lexical.json + lexical.bin, checksummed by the manifest).
 */
import {
  type LinearHead,
  type LinearRow,
  predictLinear,
  pruneSparseWeights,
  trainLinearHead,
} from "./linear_head.ts";
import {
  DEFAULT_HASHING,
  hashedCounts,
  type HashingParams,
  IdfTable,
  tfidfFromCounts,
  tfidfVector,
} from "./text_features.ts";

/** A trained lexical channel. */
export interface LexicalModel {
  hashing: HashingParams;
  idf: IdfTable;
  head: LinearHead;
  /** Class order of the head's outputs. */
  labels: string[];
}

/** A row to train on or score: its text and embedding. */
export interface LexicalInput {
  text: string;
  vector: ArrayLike<number>;
}

/** Weight of the unit-length embedding next to the unit-length TF-IDF vector. */
export const LEXICAL_DENSE_SCALE = 3;

/**
 * L2 penalty per update for `rows` training rows. 1e-4 and 1e-5 were within 0.002 of each other on
 * bench:learning's fine scenario at 50–1,000 labels; the stronger one is kept below 200 labels, where a
 * handful of rows could pin a category on one rare n-gram.
 */
export function lexicalL2For(rows: number): number {
  return rows < 200 ? 1e-4 : 1e-5;
}

/**
 * Training rows from which n-grams seen in a single training text get no weight: they rarely recur, and
 * at 10,000 titles they are 45% of the slots (124,539 slots, 70,407 in two or more titles, measured on
 * tableB), i.e. of the version's size (slots × labels × 4 bytes).
 */
export const PRUNE_SINGLETONS_FROM = 2000;

/**
 * Sparse weights below this magnitude are dropped when training ends (pruneSparseWeights), so what is
 * evaluated is what is stored. A version stores only the weights left (lexical.bin's sparse layout):
 * every slot kept × every label was 36.8 M weights (147 MB) at 10,000 labels of 607 categories (bench:train),
 * written, checksummed, stored in the database and read back several times per retrain. Below 0.001,
 * 4.5 M were left; below 0.01, 1.0 M, with the channel's held-out accuracy alone unchanged (0.577 both).
 */
export const LEXICAL_PRUNE_BELOW = 1e-2;

function features(model: Pick<LexicalModel, "hashing" | "idf">, input: LexicalInput): LinearRow {
  return { sparse: tfidfVector(input.text, model.idf, model.hashing), dense: input.vector };
}

/** Options of {@link trainLexical}. */
export interface LexicalTrainingOptions {
  epochs?: number;
  seed?: number;
  onEpoch?: (epoch: number, epochs: number) => Promise<void>;
  /** Rows not trained on, with their values: training stops once their loss stops falling (early_stop.ts). */
  watch?: { rows: LexicalInput[]; values: string[] };
}

/** {@link trainLexical} or a stand-in that trains it elsewhere (lexical_thread.ts). */
export type LexicalTrainer = (
  rows: LexicalInput[],
  values: string[],
  labels: string[],
  options?: LexicalTrainingOptions,
) => Promise<LexicalModel>;

/** Trains on `rows` (with `values`) over `labels`; every value must be one of `labels`. */
export async function trainLexical(
  rows: LexicalInput[],
  values: string[],
  labels: string[],
  options: LexicalTrainingOptions = {},
): Promise<LexicalModel> {
  const hashing = DEFAULT_HASHING;
  // Each text hashed once, for its document frequencies and its features.
  const counts = rows.map((row) => hashedCounts(row.text, hashing));
  const idf = IdfTable.fromCounts(counts);
  const index = new Map(labels.map((label, at) => [label, at]));
  const head = await trainLinearHead(
    rows.map((row, at) => ({ sparse: tfidfFromCounts(counts[at], idf), dense: row.vector })),
    values.map((value) => {
      const at = index.get(value);
      if (at === undefined) throw new Error(`Cannot train the lexical channel: "${value}" is not a label`);
      return at;
    }),
    labels.length,
    rows[0]?.vector.length ?? 0,
    {
      epochs: options.epochs,
      l2: lexicalL2For(rows.length),
      denseScale: LEXICAL_DENSE_SCALE,
      seed: options.seed,
      keepSlot: rows.length >= PRUNE_SINGLETONS_FROM
        ? (slot) => (idf.frequencies!.get(slot) ?? 0) >= 2
        : undefined,
      onEpoch: options.onEpoch,
      watch: options.watch && watchedRows({ hashing, idf }, index, options.watch),
    },
  );
  pruneSparseWeights(head, LEXICAL_PRUNE_BELOW);
  return { hashing, idf, head, labels };
}

/** The watched rows whose value is a label, as the head's rows and class indices. */
function watchedRows(
  model: Pick<LexicalModel, "hashing" | "idf">,
  index: Map<string, number>,
  watch: { rows: LexicalInput[]; values: string[] },
): { rows: LinearRow[]; classes: number[] } {
  const rows: LinearRow[] = [];
  const classes: number[] = [];
  watch.rows.forEach((row, at) => {
    const label = index.get(watch.values[at]);
    if (label === undefined) return;
    rows.push(features(model, row));
    classes.push(label);
  });
  return { rows, classes };
}

/** Class probabilities (in `model.labels` order) for each input. */
export function lexicalProbabilities(model: LexicalModel, inputs: LexicalInput[]): Float32Array[] {
  return predictLinear(model.head, inputs.map((input) => features(model, input)));
}

/** lexical.json: what lexical.bin holds and how texts are hashed. */
interface LexicalManifest {
  hashing: { buckets: number; word_ngrams: [number, number]; char_ngrams: [number, number] };
  documents: number;
  classes: number;
  dense_dimensions: number;
  /** Weight rows (hash slots seen in training). */
  slots: number;
  /** Slots with a stored IDF. */
  idf_slots: number;
  /** "sparse": only the non-zero sparse weights are stored (see encodeLexical); absent: all of them. */
  layout?: "sparse";
  /** Non-zero sparse weights stored (sparse layout). */
  entries?: number;
}

/**
 * The channel as two files: lexical.json (the manifest above) and lexical.bin, little-endian: Int32 slot
 * of each weight row; the sparse weights as compressed rows — Int32 start of each row's entries (slots
 * + 1 offsets), Int32 class and Float32 weight of each non-zero entry —; Float32 dense weights (dense ×
 * classes), biases (classes), then Int32 IDF slots and Float32 IDF values. Labels live in the version's
 * labels.json. (Versions before the sparse layout store all slots × classes sparse weights instead of
 * the offsets and entries; {@link decodeLexical} reads both.)
 */
export function encodeLexical(model: LexicalModel): { json: string; bin: Uint8Array } {
  const { head, idf } = model;
  const classes = head.classCount;
  const rowSlots = new Int32Array(head.slots.size);
  for (const [slot, row] of head.slots) rowSlots[row] = slot;
  const offsets = new Int32Array(head.slots.size + 1);
  let entries = 0;
  for (let w = 0; w < head.sparseWeights.length; w++) if (head.sparseWeights[w] !== 0) entries++;
  const entryClasses = new Int32Array(entries);
  const entryWeights = new Float32Array(entries);
  let at = 0;
  for (let row = 0; row < head.slots.size; row++) {
    offsets[row] = at;
    for (let c = 0; c < classes; c++) {
      const weight = head.sparseWeights[row * classes + c];
      if (weight === 0) continue;
      entryClasses[at] = c;
      entryWeights[at++] = weight;
    }
  }
  offsets[head.slots.size] = at;
  const manifest: LexicalManifest = {
    hashing: {
      buckets: model.hashing.buckets,
      word_ngrams: model.hashing.wordNgrams,
      char_ngrams: model.hashing.charNgrams,
    },
    documents: idf.documents,
    classes,
    dense_dimensions: head.denseDimensions,
    slots: head.slots.size,
    idf_slots: idf.slots.size,
    layout: "sparse",
    entries,
  };
  const parts: ArrayBufferView[] = [
    rowSlots,
    offsets,
    entryClasses,
    entryWeights,
    head.denseWeights,
    head.bias,
    Int32Array.from(idf.slots.keys()),
    Float32Array.from(idf.slots.values()),
  ];
  const bin = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    bin.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), offset);
    offset += part.byteLength;
  }
  return { json: JSON.stringify(manifest), bin };
}

/**
 * Rebuilds the channel from its two files for `labels`; throws an Error saying what does not fit (sizes,
 * class count, hashing parameters out of range, sparse entries out of order or range).
 */
export function decodeLexical(json: unknown, bin: Uint8Array, labels: string[]): LexicalModel {
  const m = json as LexicalManifest;
  const integer = (value: unknown, min: number, max: number) =>
    typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
  const range = (pair: unknown) =>
    Array.isArray(pair) && pair.length === 2 && integer(pair[0], 1, 10) && integer(pair[1], pair[0], 10);
  if (
    typeof m !== "object" || m === null || typeof m.hashing !== "object" || m.hashing === null ||
    !integer(m.hashing.buckets, 2, 1 << 24) || (m.hashing.buckets & (m.hashing.buckets - 1)) !== 0 ||
    !range(m.hashing.word_ngrams) || !range(m.hashing.char_ngrams) || !integer(m.documents, 1, 2 ** 31) ||
    !integer(m.classes, 1, 1e6) || !integer(m.dense_dimensions, 0, 1e5) || !integer(m.slots, 0, 2 ** 28) ||
    !integer(m.idf_slots, 0, 2 ** 28) ||
    (m.layout !== undefined && (m.layout !== "sparse" || !integer(m.entries, 0, 2 ** 28)))
  ) {
    throw new Error("lexical.json does not describe a lexical channel");
  }
  if (m.classes !== labels.length) {
    throw new Error(`lexical.json has ${m.classes} classes, labels.json ${labels.length}`);
  }
  const sparse = m.layout === "sparse";
  const entries = m.entries ?? 0;
  const sizes = [
    m.slots,
    ...(sparse ? [m.slots + 1, entries, entries] : [m.slots * m.classes]),
    m.dense_dimensions * m.classes,
    m.classes,
    m.idf_slots,
    m.idf_slots,
  ];
  const expected = sizes.reduce((sum, size) => sum + size * 4, 0);
  if (bin.byteLength !== expected) {
    throw new Error(`lexical.bin has ${bin.byteLength} bytes, lexical.json implies ${expected}`);
  }
  // Copy into an aligned buffer: a file's bytes may start at any offset.
  const buffer = bin.slice().buffer;
  let offset = 0;
  const take = <T>(make: (buffer: ArrayBuffer, offset: number, length: number) => T, length: number): T => {
    const view = make(buffer, offset, length);
    offset += length * 4;
    return view;
  };
  const ints = (b: ArrayBuffer, o: number, n: number) => new Int32Array(b, o, n);
  const floats = (b: ArrayBuffer, o: number, n: number) => new Float32Array(b, o, n);
  const rowSlots = take(ints, m.slots);
  let sparseWeights: Float32Array;
  if (sparse) {
    const offsets = take(ints, m.slots + 1);
    const entryClasses = take(ints, entries);
    const entryWeights = take(floats, entries);
    if (offsets[0] !== 0 || offsets[m.slots] !== entries) {
      throw new Error("lexical.bin's sparse rows do not cover its entries");
    }
    sparseWeights = new Float32Array(m.slots * m.classes);
    for (let row = 0; row < m.slots; row++) {
      if (offsets[row + 1] < offsets[row]) throw new Error("lexical.bin's sparse rows are out of order");
      for (let at = offsets[row]; at < offsets[row + 1]; at++) {
        const c = entryClasses[at];
        if (!(c >= 0 && c < m.classes)) throw new Error(`lexical.bin names class ${c} of ${m.classes}`);
        sparseWeights[row * m.classes + c] = entryWeights[at];
      }
    }
  } else {
    sparseWeights = take(floats, m.slots * m.classes);
  }
  const denseWeights = take(floats, m.dense_dimensions * m.classes);
  const bias = take(floats, m.classes);
  const idfSlots = take(ints, m.idf_slots);
  const idfValues = take(floats, m.idf_slots);
  const slots = new Map<number, number>();
  rowSlots.forEach((slot, row) => slots.set(slot, row));
  const idf = new Map<number, number>();
  idfSlots.forEach((slot, at) => idf.set(slot, idfValues[at]));
  return {
    hashing: {
      buckets: m.hashing.buckets,
      wordNgrams: m.hashing.word_ngrams,
      charNgrams: m.hashing.char_ngrams,
    },
    idf: new IdfTable(m.documents, idf),
    head: {
      classCount: m.classes,
      denseDimensions: m.dense_dimensions,
      slots,
      sparseWeights,
      denseWeights,
      bias,
    },
    labels,
  };
}
