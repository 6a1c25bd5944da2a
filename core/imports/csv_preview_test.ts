/**
 * The upload form's preview reads the corpus files (web/routes/testdata/files/) with the values the
 * server import stores: line endings, Excel's `sep=` line and padding, a title above the header, the
 * encodings, and the user's choice of encoding and header line.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { previewCsv } from "./csv_preview.ts";

function corpus(name: string): Uint8Array {
  return fs.readFileSync(new URL(`../../web/routes/testdata/files/${name}`, import.meta.url));
}

test("mixed line endings: no stray CR in the preview's values", () => {
  for (const name of ["lf_header_crlf_rows.csv", "crlf_header_lf_rows.csv", "cr_only.csv"]) {
    const preview = previewCsv(corpus(name), true);
    assert.deepEqual(preview.columns, ["sku", "brand", "title"], name);
    assert.deepEqual(preview.rows, [["1", "Acme", "Kettle 1.7 l"], ["2", "Acme", "Toaster 2 slots"]], name);
  }
});

test("Excel's sep= line sets the delimiter; the header is the line below it", () => {
  for (
    const [name, delimiter] of [["sep_semicolon.csv", ";"], ["sep_tab.csv", "\t"], ["sep_pipe.csv", "|"]]
  ) {
    const preview = previewCsv(corpus(name), true);
    assert.equal(preview.delimiter, delimiter, name);
    assert.equal(preview.headerLine, 2, name);
    assert.deepEqual(preview.columns, ["sku", "brand", "title"], name);
    assert.equal(preview.rows[0][2], "Kettle, 1.7 l", name);
  }
});

test("empty unnamed padding columns are named as left out; one with values gets the server's name", () => {
  const padded = previewCsv(corpus("excel_padding.csv"), true);
  assert.deepEqual(padded.columns, ["name", "maker", "group"]);
  assert.deepEqual(padded.emptyUnnamed, ["column_4", "column_5", "column_6"]);
  assert.deepEqual(padded.rows, [["Drill 18V", "Acme", "Tools"], ["Saw", "Acme", "Tools"]]);
  const named = previewCsv(corpus("unnamed_with_values.csv"), true);
  assert.deepEqual(named.columns, ["name", "column_2_2", "column_2"]);
});

test("the header below a title is detected, and the user can choose another line", () => {
  const preview = previewCsv(corpus("price_list.csv"), true);
  assert.equal(preview.headerLine, 3);
  assert.equal(preview.headerDetected, true);
  assert.deepEqual(preview.columns, ["sku", "title", "brand", "price"]);
  assert.deepEqual(preview.candidates.map((candidate) => candidate.line), [1, 3, 4, 5, 6]);
  const chosen = previewCsv(corpus("price_list.csv"), true, { headerLine: 4 });
  assert.equal(chosen.headerDetected, false);
  assert.deepEqual(chosen.columns, ["1", "Kettle 1.7 l", "Acme", "19.99"]);
  assert.equal(chosen.rows.length, 2);
});

test("the encoding is detected and shown, and the user's choice wins", () => {
  const detected = previewCsv(corpus("windows1252.csv"), true);
  assert.equal(detected.encoding, "windows-1252");
  assert.equal(detected.encodingText, "Windows-1252 (detected: not valid UTF-8)");
  assert.deepEqual(detected.rows[0], ["Baker’s “Deluxe” kettle", "Café Müller", "€19"]);
  const forced = previewCsv(corpus("windows1252.csv"), true, { encoding: "utf-8" });
  assert.equal(forced.encodingText, "UTF-8 (chosen)");
  assert.equal(forced.rows[0][0], "Baker\uFFFDs \uFFFDDeluxe\uFFFD kettle");
  for (const name of ["utf8_bom.csv", "utf16le_bom.csv", "utf16be_bom.csv"]) {
    assert.deepEqual(previewCsv(corpus(name), true).rows, [["Baker’s “Deluxe” kettle", "Café 日本"]], name);
  }
});
