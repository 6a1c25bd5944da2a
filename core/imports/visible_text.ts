/**
 * The text a person sees in an HTML-ish value (supplier feeds often carry `<p>…</p>`, `<br>`, `&amp;`):
 * what is embedded and matched, so markup does not pull products together or apart. The stored row
 * keeps the value as it came. A value with no tag and no character reference is returned unchanged.
 */

/** A tag (`<p>`, `</b>`, `<br/>`, `<!-- -->`) or a character reference (`&amp;`, `&#8364;`, `&#x20AC;`). */
const HTML_HINT = /<[a-zA-Z/!][^>]*>|&(?:#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/;

/** Content that is never shown. */
const HIDDEN = /<(script|style|template)\b[^>]*>[\s\S]*?<\/\1\s*>|<!--[\s\S]*?-->/gi;
/** Tags that separate words when rendered (blocks, line breaks, cells, list items). */
const BREAKING =
  /<\/?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|tr|td|th|table|thead|tbody|h[1-6]|section|article|header|footer|blockquote|pre)\b[^>]*>/gi;
const TAG = /<[a-zA-Z/!][^>]*>/g;

/** Named references common in product feeds; others are left as written. */
const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  euro: "€",
  pound: "£",
  yen: "¥",
  cent: "¢",
  copy: "©",
  reg: "®",
  trade: "™",
  deg: "°",
  micro: "µ",
  times: "×",
  divide: "÷",
  plusmn: "±",
  frac12: "½",
  frac14: "¼",
  frac34: "¾",
  sup2: "²",
  sup3: "³",
  hellip: "…",
  ndash: "–",
  mdash: "—",
  lsquo: "‘",
  rsquo: "’",
  ldquo: "“",
  rdquo: "”",
  laquo: "«",
  raquo: "»",
  bull: "•",
  middot: "·",
  sect: "§",
  szlig: "ß",
  auml: "ä",
  ouml: "ö",
  uuml: "ü",
  Auml: "Ä",
  Ouml: "Ö",
  Uuml: "Ü",
  eacute: "é",
  egrave: "è",
  ecirc: "ê",
  aacute: "á",
  agrave: "à",
  acirc: "â",
  iacute: "í",
  oacute: "ó",
  uacute: "ú",
  ccedil: "ç",
  ntilde: "ñ",
  Eacute: "É",
};

function decodeReferences(text: string): string {
  return text.replace(/&(#\d{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/g, (whole, name: string) => {
    if (name.startsWith("#")) {
      const code = name[1] === "x" || name[1] === "X"
        ? parseInt(name.slice(2), 16)
        : parseInt(name.slice(1), 10);
      // NUL, surrogates and values past Unicode are not characters: U+FFFD, as HTML parsers do.
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return "\uFFFD";
      return String.fromCodePoint(code);
    }
    return NAMED[name] ?? whole;
  });
}

/**
 * The visible text of `value`: hidden content (script, style, comments) and tags removed (block tags
 * and `<br>` leave a space), character references decoded, whitespace folded to single spaces and
 * trimmed. A plain value (no tag, no reference) is returned as it is.
 */
export function visibleText(value: string): string {
  if (!HTML_HINT.test(value)) return value;
  const text = value.replace(HIDDEN, " ").replace(BREAKING, " ").replace(TAG, "");
  return decodeReferences(text).replace(/\s+/g, " ").trim();
}
