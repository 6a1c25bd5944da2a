/**
 * The upload form's preview of an .xlsx file (xlsx_preview.ts): the sheet, header and columns the server
 * import will use, the visible sheets to choose from, and the server's refusals.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ImportError } from "./import_error.ts";
import { looksLikeXlsx, previewXlsx } from "./xlsx_preview.ts";
import { WORKBOOK_LIMITS } from "./xlsx_sheet.ts";
import { buildXlsx } from "../../testing/xlsx_fixture.ts";

const workbook = buildXlsx([
  { name: "Lookup", hidden: true, rows: [["code"], ["x"]] },
  {
    name: "Week 12",
    rows: [["Price list"], ["sku", "title", "", "brand"], [{ v: "1" }, "Kettle"], [
      { v: "2" },
      "Lamp",
      undefined,
      "Acme",
    ]],
  },
  { name: "Notes", rows: [["note"], ["no VAT"]] },
]);

test("the preview shows the first visible sheet below its title, with the sheets to choose from", () => {
  assert.ok(looksLikeXlsx(workbook));
  const preview = previewXlsx(workbook, "book.xlsx", WORKBOOK_LIMITS);
  assert.equal(preview.sheet, "Week 12");
  assert.deepEqual(preview.sheets, ["Week 12", "Notes"]);
  assert.equal(preview.headerLine, 2);
  assert.ok(preview.headerDetected);
  assert.deepEqual(preview.columns, ["sku", "title", "brand"]);
  assert.deepEqual(preview.emptyUnnamed, ["column_3"]);
  assert.deepEqual(preview.rows, [["1", "Kettle", ""], ["2", "Lamp", "Acme"]]);
  assert.deepEqual(preview.candidates.map((candidate) => candidate.line), [1, 2, 3, 4]);
});

test("a chosen sheet and header row are read as chosen; an unknown sheet is the server's refusal", () => {
  const notes = previewXlsx(workbook, "book.xlsx", WORKBOOK_LIMITS, { sheet: "Notes" });
  assert.deepEqual([notes.columns, notes.rows], [["note"], [["no VAT"]]]);
  const chosen = previewXlsx(workbook, "book.xlsx", WORKBOOK_LIMITS, { sheet: "Week 12", headerLine: 3 });
  assert.deepEqual([chosen.headerLine, chosen.headerDetected, chosen.columns], [3, false, ["1", "Kettle"]]);
  assert.throws(
    () => previewXlsx(workbook, "book.xlsx", WORKBOOK_LIMITS, { sheet: "Week 13" }),
    (error) => error instanceof ImportError && /no sheet "Week 13"/.test(error.message),
  );
});
