/**
 * Counts the records of a CSV or JSON Lines stream chunk by chunk: a newline ends a record unless it is
 * inside a quoted CSV field. Works on bytes — `"` and `\n` never occur inside a UTF-8 multi-byte
 * character — so a character split across chunks cannot confuse it. An escaped quote (`""`) toggles twice.
 */
export class RecordCounter {
  private inQuotes = false;
  /** Records completed so far (a CSV header counts as one). */
  records = 0;

  constructor(private readonly format: "csv" | "jsonl") {}

  /** Counts the records that `chunk` completes. */
  push(chunk: Uint8Array): void {
    if (this.format === "jsonl") {
      // JSON.stringify escapes newlines inside strings, so every newline ends a line.
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) this.records++;
      return;
    }
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === 34) this.inQuotes = !this.inQuotes;
      else if (byte === 10 && !this.inQuotes) this.records++;
    }
  }

  /** Data rows completed so far (the CSV header excluded). */
  get rows(): number {
    return this.format === "csv" ? Math.max(0, this.records - 1) : this.records;
  }
}
