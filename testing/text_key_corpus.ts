/**
 * Texts that look alike and are stored differently, for the tests of the text key (core/text_key.ts):
 * decomposed accents, compatibility forms (ligatures, full-width letters, superscripts), case pairs
 * outside ASCII (ß/ẞ, Turkish İ, Greek final sigma, Cherokee), invisible characters (ZWSP, ZWJ, ZWNJ, BOM,
 * soft hyphen) and every kind of space (no-break, thin, ideographic, tabs, newlines, line separator).
 */

/** Groups of texts a person reads as the same: one key per group, different keys across groups. */
export const SAME_TEXTS: string[][] = [
  ["Café crème frother", "Cafe\u0301 cre\u0300me frother", "CAFÉ CRÈME FROTHER", " café  crème\tfrother\n"],
  [
    "Garden hose 20 m",
    "Garden\u200b hose 20\u00a0m",
    "garden hose\u2009 20\u202fm",
    "\ufeffGarden hose 20 m",
  ],
  ["file folder", "ﬁle folder", "ＦＩＬＥ ｆｏｌｄｅｒ", "fi\u00adle fol\u00adder"],
  ["straße", "STRASSE", "Straße", "STRAẞE", "strasse"],
  ["İstanbul", "i\u0307stanbul", "I\u0307STANBUL"],
  ["οδος", "ΟΔΟΣ", "οδοσ"],
  ["a b", "a\u200d b", "a\u200c \u200db", "a\r\n\tb", "a\u3000b", "a\u2028b"],
  ["👍🏽 ok", "👍🏽\u00a0OK", "👍🏽\u200b ok"],
  ["x²", "x2"],
  ["Ꭰ", "ꭰ"],
];

/** Texts that stay apart from each other and from the groups above. */
export const DIFFERENT_TEXTS = [
  "resume",
  "résumé",
  "cafe creme frother",
  "istanbul",
  "ı",
  "garden hose 20m",
  "👍 ok",
];
