/**
 * The one key by which product texts are compared: two texts that a person reads as the same have the
 * same key. The exact-match memory (stored_evidence.ts, evidence.ts) and the reuse of decisions when a
 * dataset is appended (dataset_append.ts) compare `textKey`; the review queue's free-text search
 * compares `searchKey`, which also ignores accents. Supplier files carry the same words as decomposed
 * accents (`Cafe\u0301`), no-break and thin spaces, zero-width spaces, soft hyphens, full-width letters
 * and ligatures (`ﬁ`): without the key each was a different text.
 *
 * The key is computed here and stored (products.text_key, products.search_key; migration 0019) rather
 * than in SQL: the embedded database (PGlite) runs under the C locale, where lower() folds ASCII letters
 * only, and normalize() is missing before PostgreSQL 13. Stored and exported values are never keyed:
 * they stay as uploaded.
 *
 * textKey(text), in order:
 * 1. Unicode NFKC (UAX #15, https://unicode.org/reports/tr15/): composed accents, compatibility forms
 *    folded (`ﬁ` → `fi`, full-width `Ａ` → `A`, `²` → `2`, no-break space → space).
 * 2. Format characters (general category Cf: ZWSP, ZWJ, ZWNJ, BOM, soft hyphen, bidi marks), other
 *    default-ignorable code points (variation selectors, Hangul fillers) and control characters other
 *    than white space removed.
 * 3. White space (the Unicode White_Space property: tabs, newlines, no-break and thin spaces) folded:
 *    each run becomes one space, none at either end.
 * 4. Unicode default full case folding (CaseFolding.txt, status C and F; Unicode Standard §3.13): the
 *    engine's toLowerCase plus the foldings where lower case differs — `ß`/`ẞ` → `ss`, final `ς` → `σ`,
 *    Cherokee small letters → capitals; `İ` → `i̇` (i + U+0307) as both do. Then NFKC again, as the
 *    folding can leave a text unnormalised (the result is idempotent: textKey(textKey(t)) = textKey(t)).
 *
 * searchKey(text) = textKey(text) decomposed (NFD), nonspacing marks (Mn) removed, recomposed (NFC):
 * `crème`, `Cre\u0300me` and `creme` all search as `creme`.
 */

/** Characters removed from the key: format (Cf), default-ignorable, and controls that are not space. */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]|(?![\t\n\v\f\r\u0085])\p{Cc}/gu;
/** Runs of white space (the Unicode White_Space property). */
const WHITE_SPACE = /\p{White_Space}+/gu;
/** Where full case folding differs from the engine's lower case (after NFKC; see step 4). */
const FOLD_EXTRA = /[ßςᏸ-ᏽꭰ-ꮿ]/gu;
/** Nonspacing marks: accents once decomposed. */
const NONSPACING_MARK = /\p{Mn}/gu;

function foldExtra(char: string): string {
  if (char === "ß") return "ss";
  if (char === "ς") return "σ";
  const code = char.codePointAt(0)!;
  // Cherokee folds to its capitals: U+13F8–13FD → U+13F0–13F5, U+AB70–ABBF → U+13A0–13EF.
  return String.fromCodePoint(code >= 0xab70 ? code - 0xab70 + 0x13a0 : code - 8);
}

/** The comparison key of `text` (see the module comment); "" for a text of only spaces and marks. */
export function textKey(text: string): string {
  const folded = text.normalize("NFKC")
    .replace(INVISIBLE, "")
    .replace(WHITE_SPACE, " ")
    .trim()
    .toLowerCase()
    .replace(FOLD_EXTRA, foldExtra);
  return folded.normalize("NFKC");
}

/** The search key of `text`: its textKey without accents (see the module comment). */
export function searchKey(text: string): string {
  return textKey(text).normalize("NFD").replace(NONSPACING_MARK, "").normalize("NFC");
}
