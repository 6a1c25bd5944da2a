/**
 * The little XML reading the workbook parts need: elements found by local name (any namespace prefix:
 * Excel writes none, other writers `x:`), their attributes, and text with XML character references and
 * Excel's `_xHHHH_` escapes (ECMA-376 Part 1, §22.9.2.19 ST_Xstring) decoded. The parts are
 * machine-written SpreadsheetML; CDATA sections and DOCTYPEs (no workbook writer uses them) are refused
 * by the caller as a damaged file, so no entity is ever expanded.
 */

/** Attributes of a start tag's attribute text, by local name (`r:id` → `id`). */
export function attributes(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of text.matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    const name = match[1].includes(":") && !match[1].startsWith("xmlns") ? match[1].split(":")[1] : match[1];
    found.set(name, decodeXml(match[2] ?? match[3]));
  }
  return found;
}

const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** XML character and predefined entity references decoded; an unknown one is kept as written. */
export function decodeXml(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith("#")) {
      const code = name[1] === "x" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[name] ?? whole;
  });
}

/** Excel's escapes of characters XML cannot hold (`_x000D_` = CR); `_x005F_` escapes an underscore. */
export function decodeExcelEscapes(text: string): string {
  if (!text.includes("_x")) return text;
  return text.replace(/_x([0-9a-fA-F]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** A string item's text (`<si>`, `<is>`): its `<t>` runs joined, phonetic runs (`<rPh>`) left out. */
export function stringItemText(inner: string): string {
  const withoutPhonetic = inner.replace(/<(?:\w+:)?rPh\b[\s\S]*?<\/(?:\w+:)?rPh>/g, "");
  let text = "";
  for (const match of withoutPhonetic.matchAll(/<(?:\w+:)?t(?:\s[^>]*)?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?t>)/g)) {
    text += match[1] ?? "";
  }
  return decodeExcelEscapes(decodeXml(text));
}

/** Every element named `local` (any prefix): its attribute text and its content (undefined when empty). */
export function* elements(
  xml: string,
  local: string,
  from = 0,
): Generator<{ attributes: string; inner: string | undefined; end: number }> {
  const pattern = new RegExp(
    `<(?:\\w+:)?${local}(\\s[^>]*?)?(?:\\/>|>([\\s\\S]*?)<\\/(?:\\w+:)?${local}\\s*>)`,
    "g",
  );
  pattern.lastIndex = from;
  for (let match = pattern.exec(xml); match; match = pattern.exec(xml)) {
    yield { attributes: match[1] ?? "", inner: match[2], end: pattern.lastIndex };
  }
}

/** The first element named `local`, or undefined. */
export function firstElement(
  xml: string,
  local: string,
): { attributes: string; inner: string | undefined } | undefined {
  for (const element of elements(xml, local)) return element;
  return undefined;
}
