/**
 * The CSV record reader gives the same records and file lines wherever the text is cut into chunks
 * (the server reads 256 KiB at a time: a CRLF, a quote or `""` may fall on a boundary), and agrees
 * with papaparse on quoting when the line endings are uniform.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import Papa from "papaparse";
import { type CsvRecord, CsvRecordReader } from "./csv_records.ts";
import { detectHeaderIndex, readDialect } from "./csv_dialect.ts";
import { detectEncoding, firstInvalidUtf8 } from "./text_encoding.ts";

function read(chunks: string[], delimiter = ","): { fields: string[]; line: number }[] {
  const reader = new CsvRecordReader(delimiter);
  const records: CsvRecord[] = [];
  for (const chunk of chunks) records.push(...reader.push(chunk));
  records.push(...reader.end());
  return records.map(({ fields, line }) => ({ fields, line }));
}

const TRICKY = 'a,b,c\r\n1,"x ""q"" y","p\r\nq"\n\n2,plain,"r\rs"\r3,5" screen,"t"\r\n  \r\n4,"",z';

test("records and their file lines, every line ending and quoting", () => {
  assert.deepEqual(read([TRICKY]), [
    { fields: ["a", "b", "c"], line: 1 },
    { fields: ["1", 'x "q" y', "p\r\nq"], line: 2 },
    { fields: ["2", "plain", "r\rs"], line: 5 },
    { fields: ["3", '5" screen', "t"], line: 7 },
    { fields: ["4", "", "z"], line: 9 },
  ]);
});

test("the same records wherever the text is cut, in two chunks or one character at a time", () => {
  const whole = read([TRICKY]);
  for (let cut = 0; cut <= TRICKY.length; cut++) {
    assert.deepEqual(read([TRICKY.slice(0, cut), TRICKY.slice(cut)]), whole, `cut at ${cut}`);
  }
  assert.deepEqual(read([...TRICKY]), whole);
});

test("agrees with papaparse on uniform line endings", () => {
  const rows = [["id", "title"], ["1", 'say "hi", then\nleave'], ["2", ""], ["3", "a,b"]];
  for (const newline of ["\n", "\r\n"]) {
    const text = Papa.unparse(rows, { newline });
    assert.deepEqual(read([text]).map((record) => record.fields), rows);
  }
});

test("an overlong field is cut and its record marked", () => {
  const reader = new CsvRecordReader(",", 5);
  assert.deepEqual(reader.push('a,"0123456789\n'), []);
  assert.equal(reader.inQuotes, true);
  const [record] = reader.end();
  assert.deepEqual(record.fields, ["a", "01234"]);
  assert.equal(record.overlong, true);
});

test("the header is the first line as wide as the rows below it, with names", () => {
  const text =
    "Price list Acme - valid from 2027-01-01\n\nsku,title,brand,price\n1,Kettle,Acme,19.99\n2,Grill,Acme,9\n";
  assert.deepEqual(readDialect(text), { delimiter: ",", sepLine: null, headerLine: 3, headerDetected: true });
  assert.equal(readDialect("sep=;\nsku;title\n1;a,b\n").headerLine, 2);
  assert.equal(readDialect("sep=;\nsku;title\n1;a,b\n").delimiter, ";");
  // A padded title row has one filled cell of four: not a header.
  const padded = [["Acme export", "", "", ""], ["name", "maker", "group", ""], [
    "Drill",
    "Acme",
    "Tools",
    "",
  ]];
  assert.equal(detectHeaderIndex(padded.map((fields, index) => ({ fields, line: index + 1 }))), 1);
  // Numbers are values, not names: a file without a header keeps its first line as the header.
  assert.equal(readDialect("1,2\n3,4\n5,6\n").headerLine, 1);
  // A year among names is still a header.
  assert.equal(readDialect("title,2024,category\nKettle,12,Kitchen\nGrill,3,Garden\n").headerLine, 1);
});

test("encoding detection: byte order mark, else valid UTF-8, else Windows-1252", () => {
  assert.equal(detectEncoding(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), true).encoding, "utf-8");
  assert.equal(detectEncoding(new Uint8Array([0xff, 0xfe, 0x41, 0]), true).encoding, "utf-16le");
  assert.equal(detectEncoding(new Uint8Array([0xfe, 0xff, 0, 0x41]), true).encoding, "utf-16be");
  assert.equal(detectEncoding(new TextEncoder().encode("Café"), true).encoding, "utf-8");
  // A character cut by the end of the sample is not a reason to leave UTF-8.
  assert.equal(detectEncoding(new TextEncoder().encode("Café").subarray(0, 4), false).encoding, "utf-8");
  assert.equal(
    detectEncoding(new TextEncoder().encode("Café").subarray(0, 4), true).encoding,
    "windows-1252",
  );
  assert.equal(detectEncoding(new Uint8Array([0x43, 0x61, 0x66, 0xe9]), true).encoding, "windows-1252");
  // Overlong and surrogate forms are not UTF-8.
  assert.equal(firstInvalidUtf8(new Uint8Array([0x41, 0xc0, 0x80])), 1);
  assert.equal(firstInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80])), 0);
});
