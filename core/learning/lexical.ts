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
import { type LinearHead, type LinearRow, predictLinear, trainLinearHead } from "./linear_head.ts";
import { DEFAULT_HASHING, type HashingParams, IdfTable, tfidfVector } from "./text_features.ts";

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

function features(model: Pick<LexicalModel, "hashing" | "idf">, input: LexicalInput): LinearRow {
  return { sparse: tfidfVector(input.text, model.idf, model.hashing), dense: input.vector };
}

/** Trains on `rows` (with `values`) over `labels`; every value must be one of `labels`. */
export async function trainLexical(
  rows: LexicalInput[],
  values: string[],
  labels: string[],
  options: { epochs?: number; seed?: number; onEpoch?: (epoch: number, epochs: number) => Promise<void> } =
    {},
): Promise<LexicalModel> {
  const hashing = DEFAULT_HASHING;
  const idf = IdfTable.fit(rows.map((row) => row.text), hashing);
  const index = new Map(labels.map((label, at) => [label, at]));
  const head = await trainLinearHead(
    rows.map((row) => features({ hashing, idf }, row)),
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
    },
  );
  return { hashing, idf, head, labels };
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
}

/**
 * The channel as two files: lexical.json (the manifest above) and lexical.bin, little-endian: Int32 slot
 * of each weight row, Float32 sparse weights (slots × classes), dense weights (dense × classes), biases
 * (classes), Int32 IDF slots, Float32 IDF values. Labels live in the version's labels.json.
 */
export function encodeLexical(model: LexicalModel): { json: string; bin: Uint8Array } {
  const { head, idf } = model;
  const manifest: LexicalManifest = {
    hashing: {
      buckets: model.hashing.buckets,
      word_ngrams: model.hashing.wordNgrams,
      char_ngrams: model.hashing.charNgrams,
    },
    documents: idf.documents,
    classes: head.classCount,
    dense_dimensions: head.denseDimensions,
    slots: head.slots.size,
    idf_slots: idf.slots.size,
  };
  const rowSlots = new Int32Array(head.slots.size);
  for (const [slot, row] of head.slots) rowSlots[row] = slot;
  const parts: ArrayBufferView[] = [
    rowSlots,
    head.sparseWeights,
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
 * class count, hashing parameters out of range).
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
    !integer(m.idf_slots, 0, 2 ** 28)
  ) {
    throw new Error("lexical.json does not describe a lexical channel");
  }
  if (m.classes !== labels.length) {
    throw new Error(`lexical.json has ${m.classes} classes, labels.json ${labels.length}`);
  }
  const sizes = [
    m.slots,
    m.slots * m.classes,
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
  const sparseWeights = take(floats, m.slots * m.classes);
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
