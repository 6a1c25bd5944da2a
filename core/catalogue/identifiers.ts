/**
 * The tokens that tell two near-identical product titles apart: model codes (`MQ8N2B/A`, `sgh-t249`,
 * `910-001898`), numbers with units (`64 gb`, `5.5"`, `600w`), colours (`spacegrau`, `black`) and standalone
 * generation numbers (`iphone 8`). A
 * sentence embedding places `iPhone 8 Plus 64GB` and `iPhone 8 Plus 256GB` almost on top of each other and
 * TF-IDF gives them most of their n-grams in common; agreement or conflict on these tokens is the evidence
 * that separates them (pair_features.ts).
 *
 * Normal forms: codes lower case with separators removed (`MQ8N2B/A` → `mq8n2ba`, plus the parts around a
 * separator that are codes themselves: `mq8n2b`); quantities as `value unit` with the unit's canonical
 * spelling and the value as a plain decimal (`64 GB`, `64gb` → `64 gb`; `1 TB` → `1000 gb`; `512 MB` → `0.5
 * gb`; `5,5"` → `5.5 in`); colours as an English name (`spacegrau` → `grey`, `schwarz` → `black`).
 */

/** The identifying tokens of one text. */
export interface Identifiers {
  /** Model codes in normal form, distinct. */
  codes: string[];
  /** Quantities as `value unit`, distinct. */
  quantities: string[];
  /** Colours as English names, distinct. */
  colours: string[];
  /**
   * Numbers of 1–3 digits standing alone, outside quantities (`iphone 8`, `geforce gt 430`, `ipad 2`):
   * in a product name usually the generation or the model.
   */
  numbers: string[];
  /** The text in lower case with everything but letters and digits removed, for code look-ups. */
  squashed: string;
}

/** Unit spelling → canonical unit and the factor to it (storage in GB, lengths as written). */
const UNITS: Record<string, [string, number]> = {
  tb: ["gb", 1000],
  gb: ["gb", 1],
  // Memory is sold in binary megabytes: 512 MB is half of 1 GB, 1024MB is 1 GB.
  mb: ["gb", 1 / 1024],
  kb: ["kb", 1],
  mp: ["mp", 1],
  megapixel: ["mp", 1],
  megapixels: ["mp", 1],
  mah: ["mah", 1],
  ghz: ["mhz", 1000],
  mhz: ["mhz", 1],
  hz: ["hz", 1],
  w: ["w", 1],
  watt: ["w", 1],
  watts: ["w", 1],
  v: ["v", 1],
  volt: ["v", 1],
  volts: ["v", 1],
  mm: ["mm", 1],
  cm: ["mm", 10],
  ft: ["ft", 1],
  feet: ["ft", 1],
  in: ["in", 1],
  inch: ["in", 1],
  inches: ["in", 1],
  zoll: ["in", 1],
  '"': ["in", 1],
  "''": ["in", 1],
  oz: ["oz", 1],
  lb: ["lb", 1],
  lbs: ["lb", 1],
  ml: ["ml", 1],
  l: ["ml", 1000],
  x: ["x", 1],
  pack: ["pack", 1],
  pk: ["pack", 1],
  ct: ["pack", 1],
  count: ["pack", 1],
  rpm: ["rpm", 1],
  db: ["db", 1],
  btu: ["btu", 1],
  p: ["p", 1],
};

// A number (decimal point or comma) followed, with or without a space, by a unit that ends the token.
// Longer spellings first so that "mah" is not read as "m".
const QUANTITY = new RegExp(
  String.raw`(?<![\p{L}\p{N}.,])(\d+(?:[.,]\d+)?)\s*(` +
    Object.keys(UNITS).sort((a, b) => b.length - a.length).join("|") +
    String.raw`)(?![\p{L}\p{N}])`,
  "gu",
);

/** Colour word → English name; compound words (`spacegrau`, `rosegold`) are matched as suffixes. */
const COLOURS: Record<string, string> = {
  black: "black",
  schwarz: "black",
  noir: "black",
  nero: "black",
  negro: "black",
  white: "white",
  weiss: "white",
  weiß: "white",
  blanc: "white",
  bianco: "white",
  blanco: "white",
  silver: "silver",
  silber: "silver",
  argent: "silver",
  gold: "gold",
  grey: "grey",
  gray: "grey",
  grau: "grey",
  gris: "grey",
  graphite: "grey",
  red: "red",
  rot: "red",
  rouge: "red",
  rosso: "red",
  rojo: "red",
  blue: "blue",
  blau: "blue",
  bleu: "blue",
  azul: "blue",
  navy: "blue",
  green: "green",
  grün: "green",
  gruen: "green",
  vert: "green",
  pink: "pink",
  rosa: "pink",
  rose: "pink",
  purple: "purple",
  lila: "purple",
  violet: "purple",
  yellow: "yellow",
  gelb: "yellow",
  jaune: "yellow",
  orange: "orange",
  brown: "brown",
  braun: "brown",
  beige: "beige",
  magenta: "magenta",
  cyan: "cyan",
  turquoise: "turquoise",
  teal: "turquoise",
  burgundy: "burgundy",
  ivory: "ivory",
  bronze: "bronze",
  copper: "copper",
  champagne: "champagne",
};
// Words that end in a colour but are not one ("motor", "color" itself).
const COLOUR_SUFFIX_MIN_PREFIX = 3;
const COLOUR_SUFFIXES = ["grau", "gray", "grey", "gold", "silver", "silber", "schwarz", "black", "white"];

function plainNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

/** Quantities of `text` (already lower case) in normal form. */
function quantitiesOf(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(QUANTITY)) {
    const [unit, factor] = UNITS[match[2]];
    const value = Number(match[1].replace(",", ".")) * factor;
    if (Number.isFinite(value)) found.add(`${plainNumber(value)} ${unit}`);
  }
  return [...found];
}

/** Is `squashed` (letters and digits only) a quantity such as `64gb`, `5x`, `720p` rather than a code? */
function isQuantity(squashed: string): boolean {
  const match = /^(\d+)([a-z]+)$/.exec(squashed);
  return match !== null && match[2] in UNITS;
}

/**
 * A code: at least 3 characters mixing letters and digits, or at least 4 digits, that is not a quantity.
 * Letters-only words are never codes, whatever their length.
 */
function isCode(squashed: string): boolean {
  if (/^\d+$/.test(squashed)) return squashed.length >= 4;
  if (squashed.length < 3 || !/\d/.test(squashed) || !/\p{L}/u.test(squashed)) return false;
  return !isQuantity(squashed);
}

/** Model codes of `text` (already lower case) in normal form. */
function codesOf(text: string): string[] {
  const found = new Set<string>();
  // Tokens keep their inner separators (-, /, .) so that `sgh-t249` yields `sght249` and `t249`.
  for (const raw of text.split(/[\s,;:()[\]{}|+!?*"']+/)) {
    const token = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
    if (token === "") continue;
    const whole = token.replace(/[^\p{L}\p{N}]+/gu, "");
    if (isCode(whole)) found.add(whole);
    const parts = token.split(/[^\p{L}\p{N}]+/u);
    if (parts.length > 1) { for (const part of parts) if (isCode(part)) found.add(part); }
  }
  return [...found];
}

/** Colours of `text` (already lower case) as English names. */
function coloursOf(text: string): string[] {
  const found = new Set<string>();
  for (const word of text.split(/[^\p{L}]+/u)) {
    if (word === "") continue;
    if (word in COLOURS) {
      found.add(COLOURS[word]);
      continue;
    }
    const suffix = COLOUR_SUFFIXES.find((colour) =>
      word.length >= colour.length + COLOUR_SUFFIX_MIN_PREFIX && word.endsWith(colour)
    );
    if (suffix) found.add(COLOURS[suffix]);
  }
  return [...found];
}

/** The codes, quantities and colours of a product text (any case, any language). */
export function identifiersOf(text: string): Identifiers {
  const lower = text.toLowerCase();
  return {
    codes: codesOf(lower),
    quantities: quantitiesOf(lower),
    colours: coloursOf(lower),
    numbers: [
      ...new Set(
        lower.replace(QUANTITY, " ").match(/(?<![\p{L}\p{N}.,-])\d{1,3}(?![\p{L}\p{N}.,-])/gu) ?? [],
      ),
    ],
    squashed: lower.replace(/[^\p{L}\p{N}]+/gu, ""),
  };
}

/**
 * `text` in lower case with quantities in one spelling (`64 GB`, `64gb` → `64gb`; `1 TB` → `1000gb`;
 * `5,5"` → `5.5in`) and colour words in English (`schwarz` → `black`, `spacegrau` → `space grey`): the
 * text the lexical channel compares, so that TF-IDF does not count a space or a language as a difference.
 */
export function normaliseText(text: string): string {
  const lower = text.toLowerCase().replace(QUANTITY, (_, number: string, spelling: string) => {
    const [unit, factor] = UNITS[spelling];
    const value = Number(number.replace(",", ".")) * factor;
    return Number.isFinite(value) ? ` ${plainNumber(value)}${unit} ` : `${number}${spelling}`;
  });
  return lower.replace(/\p{L}+/gu, (word) => {
    if (word in COLOURS) return COLOURS[word];
    const suffix = COLOUR_SUFFIXES.find((colour) =>
      word.length >= colour.length + COLOUR_SUFFIX_MIN_PREFIX && word.endsWith(colour)
    );
    return suffix ? `${word.slice(0, -suffix.length)} ${COLOURS[suffix]}` : word;
  }).replace(/\s+/g, " ").trim();
}

/**
 * Do two codes name the same product? Equal, or one a prefix of the other when the shorter has at least 4
 * characters (`5035b001` and its regional variant `5035b001aa`; `mq8n2b` and `mq8n2ba`).
 */
export function codesAgree(a: string, b: string): boolean {
  if (a === b) return true;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short.length >= 4 && long.startsWith(short);
}

/** How two texts' identifiers relate: agreements and conflicts per kind. */
export interface IdentifierComparison {
  /** Length of the longest code the two share (0 when none): a longer shared code is rarer. */
  codeMatch: number;
  /** Both have codes and none of either side's is found in the other. */
  codeConflict: boolean;
  /** Quantities in both. */
  quantityMatches: number;
  /** Units both mention with no value in common (`64 gb` against `256 gb`). */
  quantityConflicts: number;
  colourMatch: boolean;
  /** Both name colours and share none. */
  colourConflict: boolean;
  /** Both have standalone numbers and share none (`iphone 8` against `iphone 7`). */
  numberConflict: boolean;
}

function codeFoundIn(code: string, other: Identifiers): boolean {
  if (code.length >= 4 && other.squashed.includes(code)) return true;
  return other.codes.some((candidate) => codesAgree(code, candidate));
}

/** Compares the identifiers of a row with those of a candidate. Symmetric. */
export function compareIdentifiers(a: Identifiers, b: Identifiers): IdentifierComparison {
  let codeMatch = 0;
  for (const code of a.codes) if (code.length > codeMatch && codeFoundIn(code, b)) codeMatch = code.length;
  for (const code of b.codes) if (code.length > codeMatch && codeFoundIn(code, a)) codeMatch = code.length;
  const codeConflict = codeMatch === 0 && a.codes.length > 0 && b.codes.length > 0;
  const units = (quantities: string[]) => {
    const byUnit = new Map<string, Set<string>>();
    for (const quantity of quantities) {
      const unit = quantity.slice(quantity.indexOf(" ") + 1);
      byUnit.set(unit, (byUnit.get(unit) ?? new Set()).add(quantity));
    }
    return byUnit;
  };
  const ours = units(a.quantities);
  const theirs = units(b.quantities);
  let quantityMatches = 0;
  let quantityConflicts = 0;
  for (const [unit, values] of ours) {
    const other = theirs.get(unit);
    if (!other) continue;
    const shared = [...values].filter((value) => other.has(value)).length;
    quantityMatches += shared;
    if (shared === 0) quantityConflicts++;
  }
  const colourMatch = a.colours.some((colour) => b.colours.includes(colour));
  const colourConflict = !colourMatch && a.colours.length > 0 && b.colours.length > 0;
  const numberConflict = a.numbers.length > 0 && b.numbers.length > 0 &&
    !a.numbers.some((number) => b.numbers.includes(number));
  return {
    codeMatch,
    codeConflict,
    quantityMatches,
    quantityConflicts,
    colourMatch,
    colourConflict,
    numberConflict,
  };
}
