/**
 * Small .xlsx workbooks built in the tests (no binary fixtures to trust): the parts Excel writes
 * (content types, relationships, workbook, styles, shared strings, worksheets), zipped with fflate. A
 * cell is a string (a shared string), or an object saying how Excel stores it.
 */
import { strToU8, type Zippable, zipSync } from "fflate";

/** A stored cell: `t` as in `<c t>`, `v` the text of `<v>` (or the inline string), `s` a STYLE index. */
export interface FixtureCell {
  t?: "s" | "n" | "str" | "inlineStr" | "b" | "e" | "d";
  v: string;
  s?: number;
  /** The cell reference; by default the next column. */
  r?: string;
}

/** A sheet: rows of cells (undefined = no `<c>` element) at sheet rows 1, 2, … unless `rowNumbers`. */
export interface FixtureSheet {
  name: string;
  rows: (string | FixtureCell | undefined)[][];
  rowNumbers?: number[];
  hidden?: boolean;
}

/** Style indexes of the fixture's styles.xml. */
export const STYLE = {
  general: 0,
  /** Built-in 14: a date. */
  date: 1,
  /** Built-in 2: 0.00. */
  twoDecimals: 2,
  /** Custom 164: yyyy-mm-dd hh:mm. */
  dateTime: 3,
  /** Built-in 49: text (@). */
  text: 4,
  /** Built-in 10: 0.00%. */
  percent: 5,
  /** Built-in 3: #,##0. */
  thousands: 6,
  /** Custom 165: [$-409]h:mm:ss AM/PM. */
  time: 7,
};

const STYLES_XML = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/><numFmt numFmtId="165" formatCode="[$-409]h:mm:ss\\ AM/PM"/></numFmts>
<cellXfs count="8"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="2" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/><xf numFmtId="49" applyNumberFormat="1"/><xf numFmtId="10" applyNumberFormat="1"/><xf numFmtId="3" applyNumberFormat="1"/><xf numFmtId="165" applyNumberFormat="1"/></cellXfs>
</styleSheet>`;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function columnName(index: number): string {
  let name = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + (n - 1) % 26) + name;
  }
  return name;
}

/** The parts of a workbook, to zip as they are or to tamper with first. */
export function workbookParts(sheets: FixtureSheet[], options: { date1904?: boolean } = {}): Zippable {
  const shared: string[] = [];
  const sharedIndex = new Map<string, number>();
  const sheetXml = (sheet: FixtureSheet) => {
    const rows = sheet.rows.map((cells, rowIndex) => {
      const r = sheet.rowNumbers?.[rowIndex] ?? rowIndex + 1;
      const xml = cells.map((cell, column) => {
        if (cell === undefined) return "";
        const stored: FixtureCell = typeof cell === "string" ? { t: "s", v: cell } : cell;
        const ref = stored.r ?? `${columnName(column)}${r}`;
        const style = stored.s === undefined ? "" : ` s="${stored.s}"`;
        if (stored.t === "s") {
          if (!sharedIndex.has(stored.v)) {
            sharedIndex.set(stored.v, shared.length);
            shared.push(stored.v);
          }
          return `<c r="${ref}" t="s"${style}><v>${sharedIndex.get(stored.v)}</v></c>`;
        }
        if (stored.t === "inlineStr") {
          return `<c r="${ref}" t="inlineStr"${style}><is><t xml:space="preserve">${
            escapeXml(stored.v)
          }</t></is></c>`;
        }
        const type = stored.t && stored.t !== "n" ? ` t="${stored.t}"` : "";
        return `<c r="${ref}"${type}${style}><v>${escapeXml(stored.v)}</v></c>`;
      }).join("");
      return `<row r="${r}">${xml}</row>`;
    }).join("");
    return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`;
  };
  const worksheets = sheets.map(sheetXml);
  const parts: Zippable = {
    "[Content_Types].xml": strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>`),
    "_rels/.rels": strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`),
    "xl/workbook.xml": strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr${
      options.date1904 ? ' date1904="1"' : ""
    }/><sheets>${
      sheets.map((sheet, index) =>
        `<sheet name="${escapeXml(sheet.name)}" sheetId="${index + 1}"${
          sheet.hidden ? ' state="hidden"' : ""
        } r:id="rId${index + 1}"/>`
      ).join("")
    }</sheets></workbook>`),
    "xl/_rels/workbook.xml.rels": strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${
      sheets.map((_, index) =>
        `<Relationship Id="rId${
          index + 1
        }" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet${
          index + 1
        }.xml"/>`
      ).join("")
    }</Relationships>`),
    "xl/styles.xml": strToU8(STYLES_XML),
  };
  worksheets.forEach((xml, index) => (parts[`xl/worksheets/sheet${index + 1}.xml`] = strToU8(xml)));
  parts["xl/sharedStrings.xml"] = strToU8(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${shared.length}" uniqueCount="${shared.length}">${
    shared.map((text) => `<si><t xml:space="preserve">${escapeXml(text)}</t></si>`).join("")
  }</sst>`);
  return parts;
}

/** An .xlsx file of `sheets`. */
export function buildXlsx(
  sheets: FixtureSheet[],
  options: { date1904?: boolean } = {},
): Uint8Array<ArrayBuffer> {
  return zipSync(workbookParts(sheets, options)) as Uint8Array<ArrayBuffer>;
}
