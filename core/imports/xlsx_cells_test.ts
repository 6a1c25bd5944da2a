/**
 * Cells as Excel shows them (xlsx_cells.ts): numbers in full whatever their size, the decimals, grouping
 * and percent of their format, dates and times of both date systems as ISO 8601, and the workbook reader
 * (xlsx_sheet.ts, xlsx_table.ts) on a built workbook, as the preview would read it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type CellContext, cellText, dateText, numberView, plainNumber } from "./xlsx_cells.ts";
import { chooseSheet, openWorkbook } from "./xlsx_sheet.ts";
import { sheetTable } from "./xlsx_table.ts";
import { buildXlsx, STYLE } from "../../testing/xlsx_fixture.ts";

test("numbers are written in full, never in scientific notation", () => {
  assert.equal(plainNumber(4006381333931), "4006381333931");
  assert.equal(plainNumber(1e21), "1000000000000000000000");
  assert.equal(plainNumber(-1.5e22), "-15000000000000000000000");
  assert.equal(plainNumber(1e-7), "0.0000001");
  assert.equal(plainNumber(1.25e-8), "0.0000000125");
  assert.equal(plainNumber(0.5), "0.5");
});

test("number formats: General, fixed decimals, grouping, percent, text, dates and times", () => {
  assert.deepEqual(numberView(0, undefined), { kind: "general" });
  assert.deepEqual(numberView(4, undefined), { kind: "fixed", decimals: 2, grouped: true, percent: false });
  assert.deepEqual(numberView(164, '#,##0.000 "kg"'), {
    kind: "fixed",
    decimals: 3,
    grouped: true,
    percent: false,
  });
  assert.deepEqual(numberView(49, undefined), { kind: "text" });
  assert.deepEqual(numberView(14, undefined), { kind: "date", date: true, time: false, seconds: false });
  assert.deepEqual(numberView(165, "dd/mm/yyyy hh:mm:ss"), {
    kind: "date",
    date: true,
    time: true,
    seconds: true,
  });
  assert.deepEqual(numberView(166, "[$-F400]h:mm:ss\\ AM/PM"), {
    kind: "date",
    date: false,
    time: true,
    seconds: true,
  });
  assert.deepEqual(numberView(167, "mmm yyyy"), { kind: "date", date: true, time: false, seconds: false });
  assert.deepEqual(numberView(168, '[Red]0.0%;"minus"'), {
    kind: "fixed",
    decimals: 1,
    grouped: false,
    percent: true,
  });
});

test("date serials of both date systems, Excel's 1900 leap-year bug allowed for", () => {
  const day = { kind: "date", date: true, time: false, seconds: false } as const;
  assert.equal(dateText(45352, day, false), "2024-03-01");
  assert.equal(dateText(1, day, false), "1900-01-01");
  assert.equal(dateText(61, day, false), "1900-03-01");
  assert.equal(dateText(0, day, true), "1904-01-01");
  assert.equal(
    dateText(43890.99998842593, { ...day, time: true, seconds: true }, false),
    "2020-02-29 23:59:59",
  );
});

test("cell types: shared strings, booleans, errors, formulas' strings, numbers by style", () => {
  const context: CellContext = {
    sharedStrings: ["Kettle"],
    styles: [{ kind: "general" }, { kind: "fixed", decimals: 2, grouped: false, percent: false }],
    date1904: false,
  };
  assert.equal(cellText({ type: "s", value: "0" }, 0, context), "Kettle");
  assert.equal(cellText({ type: "s", value: "7" }, 0, context), undefined);
  assert.equal(cellText({ type: "b", value: "1" }, 0, context), "TRUE");
  assert.equal(cellText({ type: "e", value: "#DIV/0!" }, 0, context), "#DIV/0!");
  assert.equal(cellText({ type: "str", value: "a&b" }, 0, context), "a&b");
  assert.equal(cellText({ type: undefined, value: "3.14159" }, 1, context), "3.14");
  assert.equal(cellText({ type: "n", value: "12345678901234567890" }, 0, context), "12345678901234600000");
  assert.equal(cellText({ type: "n", value: "abc" }, 0, context), undefined);
  assert.equal(cellText({ type: "n", value: undefined }, 0, context), "");
});

test("the workbook reader gives the preview's rows: header found, rows padded, escapes decoded", () => {
  const workbook = openWorkbook(
    buildXlsx([{
      name: "Sheet1",
      rows: [["Supplier list"], ["sku", "title", "price"], [{ v: "1" }, "Tab_x0009_here", {
        v: "2",
        s: STYLE.twoDecimals,
      }], [
        { v: "2" },
        "Lamp",
      ]],
    }]),
    "book.xlsx",
    { maxUnpackedBytes: 1 << 20, maxEntries: 100, maxCells: 1000 },
  );
  const table = sheetTable(workbook, chooseSheet(workbook, undefined), undefined);
  assert.equal(table.headerLine, 2);
  assert.deepEqual([...table.records].map((record) => [record.line, record.fields]), [
    [2, ["sku", "title", "price"]],
    [3, ["1", "Tab\there", "2.00"]],
    [4, ["2", "Lamp", ""]],
  ]);
});
