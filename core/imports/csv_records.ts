/**
 * A streaming CSV record reader (RFC 4180 quoting) that knows where each record starts in the file.
 * Pure (no runtime APIs): the server import and the browser preview use the same one, so both split a
 * file into the same records.
 *
 * Every line ending outside quotes ends a record, whatever mix of LF, CRLF and CR the file holds; no
 * field keeps a stray CR. Line endings inside quotes are part of the value and kept as they are. Lines
 * are counted the way an editor numbers them (1-based; blank lines and line endings inside quotes
 * count), so a message can name the place a person finds in the file. Like papaparse, a quote that does
 * not start a field is an ordinary character, and characters after a closing quote are kept.
 */

/** One record: its fields and the file line (1-based) it starts on. */
export interface CsvRecord {
  fields: string[];
  line: number;
  /** A field was longer than `maxFieldChars` and was cut there (an unterminated quote, usually). */
  overlong?: boolean;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: either the first of `""` or the closing one. */
  QuoteInQuoted,
}

/** Splits text pushed in chunks of any size into records; see the module comment for the rules. */
export class CsvRecordReader {
  #delimiter: number;
  #maxFieldChars: number;
  #state = State.FieldStart;
  #field = "";
  #fields: string[] = [];
  #overlong = false;
  /** The line the reader is on, and the line the current record started on. */
  #line = 1;
  #recordLine = 1;
  /** The last character was a CR: an LF right after it belongs to the same line ending. */
  #afterCr = false;
  /** Whether the current record has any character yet (a line ending alone is a blank line). */
  #started = false;

  /**
   * @param delimiter one character (`,` `;` tab `|` ...)
   * @param maxFieldChars a longer field is cut there and its record marked `overlong`, so an unterminated
   *   quote cannot hold the rest of the file in memory
   */
  constructor(delimiter: string, maxFieldChars = Number.MAX_SAFE_INTEGER) {
    if (delimiter.length !== 1) throw new Error(`The delimiter must be one character, got "${delimiter}"`);
    this.#delimiter = delimiter.charCodeAt(0);
    this.#maxFieldChars = maxFieldChars;
  }

  /** The file line the reader has reached (1-based). */
  get line(): number {
    return this.#line;
  }

  /** The file line the record being read starts on. */
  get recordLine(): number {
    return this.#recordLine;
  }

  /** Whether the text so far ends inside a quoted field. */
  get inQuotes(): boolean {
    return this.#state === State.Quoted;
  }

  /** Reads `text` (the next characters of the file) and returns the records it completes. */
  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let start = 0; // start of the slice of `text` not yet appended to the field
    const append = (end: number) => {
      if (end > start) this.#appendText(text.slice(start, end));
    };
    for (let index = 0; index < text.length; index++) {
      const code = text.charCodeAt(index);
      const afterCr = this.#afterCr;
      this.#afterCr = code === CR;
      if (code === LF && afterCr) {
        // The LF of a CRLF: the line was counted at the CR; inside quotes the LF is part of the value.
        if (this.#state !== State.Quoted) start = index + 1;
        continue;
      }
      switch (this.#state) {
        case State.Quoted:
          if (code === QUOTE) {
            append(index);
            start = index + 1;
            this.#state = State.QuoteInQuoted;
          } else if (code === LF || code === CR) {
            this.#line++;
          }
          continue;
        case State.QuoteInQuoted:
          if (code === QUOTE) {
            // `""`: one literal quote; the second quote is where the next slice starts.
            start = index;
            this.#state = State.Quoted;
            continue;
          }
          this.#state = State.Unquoted;
          break;
        case State.FieldStart:
          if (code === QUOTE) {
            start = index + 1;
            this.#started = true;
            this.#state = State.Quoted;
            continue;
          }
          break;
        case State.Unquoted:
          break;
      }
      if (code === this.#delimiter) {
        append(index);
        start = index + 1;
        this.#endField();
      } else if (code === LF || code === CR) {
        append(index);
        start = index + 1;
        this.#line++;
        const record = this.#endRecord();
        if (record) out.push(record);
      } else {
        this.#started = true;
        this.#state = State.Unquoted;
      }
    }
    if (this.#state === State.Quoted || this.#state === State.Unquoted || this.#state === State.FieldStart) {
      append(text.length);
    }
    return out;
  }

  /** Ends the text: returns the last record when the file does not end with a line ending. */
  end(): CsvRecord[] {
    const record = this.#endRecord();
    return record ? [record] : [];
  }

  #appendText(slice: string): void {
    if (this.#overlong) return;
    if (this.#field.length + slice.length > this.#maxFieldChars) {
      this.#field += slice.slice(0, this.#maxFieldChars - this.#field.length);
      this.#overlong = true;
      return;
    }
    this.#field += slice;
  }

  #endField(): void {
    this.#fields.push(this.#field);
    this.#field = "";
    this.#started = true;
    this.#state = State.FieldStart;
  }

  /** Ends the current record; a blank line (or one of only spaces and delimiters) yields none. */
  #endRecord(): CsvRecord | undefined {
    const started = this.#started;
    this.#fields.push(this.#field);
    const record: CsvRecord = { fields: this.#fields, line: this.#recordLine };
    if (this.#overlong) record.overlong = true;
    this.#fields = [];
    this.#field = "";
    this.#overlong = false;
    this.#started = false;
    this.#state = State.FieldStart;
    this.#recordLine = this.#line;
    if (!started) return undefined;
    if (record.fields.every((field) => field.trim() === "")) return undefined;
    return record;
  }
}
