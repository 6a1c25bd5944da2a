/**
 * A worksheet cell as the person sees it in Excel, as text (ECMA-376 Part 1, §18.3.1.4 `c`, §18.8.30
 * built-in number formats, §18.17.4 date serials): shared and inline strings as written; TRUE/FALSE;
 * error values (`#N/A`) as shown; numbers with the number of decimals and the grouping their format
 * shows, and otherwise in full — a 13-digit EAN stays `4006381333931`, never `4.00638E+12`, and no number
 * is written in scientific notation; percentages as `15%`; dates and times as ISO 8601
 * (`2024-03-01`, `2024-03-01 14:30`, `14:30:00`), which reads the same in every locale (Excel shows
 * them in the viewer's locale). Pure: the server import and the browser preview read cells the same way.
 */

/** Built-in number formats that show a date, a time or both (ECMA-376 Part 1, §18.8.30). */
const BUILTIN_DATE_FORMATS: Record<number, string> = {
  14: "yyyy-mm-dd",
  15: "d-mmm-yy",
  16: "d-mmm",
  17: "mmm-yy",
  18: "h:mm AM/PM",
  19: "h:mm:ss AM/PM",
  20: "h:mm",
  21: "h:mm:ss",
  22: "m/d/yy h:mm",
  45: "mm:ss",
  46: "[h]:mm:ss",
  47: "mmss.0",
};
/** Other built-in formats this reader distinguishes (the rest show as General). */
const BUILTIN_FORMATS: Record<number, string> = {
  1: "0",
  2: "0.00",
  3: "#,##0",
  4: "#,##0.00",
  9: "0%",
  10: "0.00%",
  37: "#,##0 ;(#,##0)",
  38: "#,##0 ;[Red](#,##0)",
  39: "#,##0.00;(#,##0.00)",
  40: "#,##0.00;[Red](#,##0.00)",
  49: "@",
};

/** How a style shows numbers. */
export type NumberView =
  | { kind: "general" }
  | { kind: "text" }
  | { kind: "fixed"; decimals: number; grouped: boolean; percent: boolean }
  | { kind: "date"; date: boolean; time: boolean; seconds: boolean };

/** The view of number format `id` whose code (custom formats) is `code`. */
export function numberView(id: number, code: string | undefined): NumberView {
  const format = code ?? BUILTIN_DATE_FORMATS[id] ?? BUILTIN_FORMATS[id];
  if ((id >= 27 && id <= 36) || (id >= 50 && id <= 58)) {
    // East Asian built-in date formats: their codes depend on the locale; all show a date.
    return { kind: "date", date: true, time: false, seconds: false };
  }
  if (format === undefined || /^general$/i.test(format)) return { kind: "general" };
  if (format === "@") return { kind: "text" };
  // The first section (positive numbers), without literals, escapes and colours/conditions.
  const section = format.split(";")[0].replace(/"[^"]*"|\\.|_.|\*./g, "").replace(
    /\[(?!h\]|m\]|s\])[^\]]*\]/gi,
    "",
  );
  if (/[dy]|[hs]|am\/pm|a\/p/i.test(section)) {
    const date = /[dy]/i.test(section) || (/m/i.test(section) && !/[hs]/i.test(section));
    const time = /[hs]/i.test(section);
    return { kind: "date", date, time, seconds: /s/i.test(section) };
  }
  const decimals = /\.([0#?]+)/.exec(section)?.[1].length ?? 0;
  if (!/[0#?]/.test(section)) return { kind: "general" };
  return { kind: "fixed", decimals, grouped: /[0#?],[0#?]/.test(section), percent: section.includes("%") };
}

/** `value` (a number as stored) in full decimal notation, never with an exponent. */
export function plainNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, lead, rest = "", exponentText] = match;
  const digits = lead + rest;
  const point = 1 + Number(exponentText);
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** A number as Excel's General format keeps it: 15 significant digits, in full notation. */
function general(value: number): string {
  return plainNumber(Number(value.toPrecision(15)));
}

function grouped(integer: string): string {
  return integer.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function fixed(value: number, view: Extract<NumberView, { kind: "fixed" }>): string {
  const shown = view.percent ? value * 100 : value;
  const rounded = Number(shown.toFixed(Math.min(view.decimals, 20)));
  let text = plainNumber(Math.abs(rounded));
  const [integer, fraction = ""] = text.split(".");
  text = (view.grouped ? grouped(integer) : integer) +
    (view.decimals > 0 ? `.${fraction.padEnd(view.decimals, "0").slice(0, view.decimals)}` : "");
  return (rounded < 0 ? "-" : "") + text + (view.percent ? "%" : "");
}

const DAY_MS = 86_400_000;
/** 1899-12-30: serial 0 of the 1900 date system once Excel's fictitious 1900-02-29 is allowed for. */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
/** 1904-01-01: serial 0 of the 1904 date system (workbookPr date1904). */
const EPOCH_1904 = Date.UTC(1904, 0, 1);

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/** A date serial as ISO 8601 text, to the second (rounded, as Excel shows it). */
export function dateText(
  serial: number,
  view: Extract<NumberView, { kind: "date" }>,
  date1904: boolean,
): string {
  // Serials below 61 in the 1900 system count the fictitious 1900-02-29 that Excel keeps from Lotus 1-2-3.
  const days = !date1904 && serial < 61 ? serial + 1 : serial;
  const ms = Math.round(days * DAY_MS / 1000) * 1000 + (date1904 ? EPOCH_1904 : EPOCH_1900);
  const at = new Date(ms);
  if (Number.isNaN(at.getTime())) return general(serial);
  const day = `${pad(at.getUTCFullYear(), 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  const clock = `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}` +
    (view.seconds ? `:${pad(at.getUTCSeconds())}` : "");
  if (!view.time) return day;
  if (!view.date) return clock;
  return `${day} ${clock}`;
}

/** What a cell holds, as read from the sheet XML. */
export interface RawCell {
  /** The `t` attribute: s, str, inlineStr, b, e, n, d (absent: n). */
  type: string | undefined;
  /** The text of `<v>`, or of `<is>` for inline strings; undefined when absent. */
  value: string | undefined;
}

/** Shared strings, number views per style and the date system a sheet's cells are read with. */
export interface CellContext {
  sharedStrings: string[];
  /** Index: the cell's `s` attribute (cellXfs). */
  styles: NumberView[];
  date1904: boolean;
}

/**
 * The text of a cell (see the module comment). A shared-string index out of range, or a number that is
 * not one, is a damaged file: returns undefined, and the caller names the cell.
 */
export function cellText(cell: RawCell, style: number, context: CellContext): string | undefined {
  const { type, value } = cell;
  if (value === undefined) return "";
  switch (type) {
    case "s": {
      const index = Number(value);
      return Number.isInteger(index) ? context.sharedStrings[index] : undefined;
    }
    case "str":
    case "inlineStr":
    case "e":
      return value;
    case "b":
      return value === "1" || value.toLowerCase() === "true" ? "TRUE" : "FALSE";
    case "d": {
      return value;
    }
    default: {
      if (value.trim() === "") return "";
      const number = Number(value);
      if (!Number.isFinite(number)) return undefined;
      const view = context.styles[style] ?? { kind: "general" };
      switch (view.kind) {
        case "text":
          return value;
        case "date":
          return dateText(number, view, context.date1904);
        case "fixed":
          return fixed(number, view);
        default:
          return general(number);
      }
    }
  }
}
