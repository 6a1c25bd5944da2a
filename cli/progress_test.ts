/** Progress text and plain-line reporting, and the export's record counter, on fixed inputs. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { suggestedFileName } from "./export_command.ts";
import { formatAmount, formatDuration, Progress, progressText } from "./progress.ts";
import { RecordCounter } from "./record_counter.ts";

/** A non-terminal stream that keeps what is written. */
function sink(isTTY = false): Writable & { text: string; isTTY: boolean } {
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      stream.text += String(chunk);
      callback();
    },
  }) as Writable & { text: string; isTTY: boolean };
  stream.text = "";
  stream.isTTY = isTTY;
  return stream;
}

test("progressText() shows N of M, the rate and the time left", () => {
  assert.equal(progressText(1200, 5000, 400, "rows"), "1,200 of 5,000 rows · 400 rows/s · ETA 10 s");
  assert.equal(progressText(5000, 5000, 400, "rows"), "5,000 of 5,000 rows · 400 rows/s");
  assert.equal(progressText(10, null, null, "rows"), "10 rows");
  assert.equal(
    progressText(3 * 1024 * 1024, 6 * 1024 * 1024, 1024 * 1024, "bytes"),
    "3.0 MiB of 6.0 MiB · 1.0 MiB/s · ETA 3 s",
  );
  assert.equal(formatAmount(512, "bytes"), "512 B");
  assert.equal(formatDuration(185), "3 min 5 s");
  assert.equal(formatDuration(3720), "1 h 2 min");
});

test("Progress writes plain lines at most every interval and ends with the final state", () => {
  const stream = sink();
  let now = 0;
  const progress = new Progress({
    stream,
    quiet: false,
    label: "export",
    unit: "rows",
    lineInterval: 1000,
    now: () => now,
  });
  now = 100;
  progress.update(100, 1000); // first: shown at once
  now = 600;
  progress.update(500, 1000); // within the interval: held back
  now = 2000;
  progress.update(800, 1000);
  now = 2500;
  progress.update(1000, 1000);
  progress.finish();
  assert.deepEqual(stream.text.trim().split("\n"), [
    "export: 100 of 1,000 rows",
    "export: 800 of 1,000 rows · 400 rows/s · ETA 1 s",
    "export: 1,000 of 1,000 rows · 400 rows/s",
  ]);
});

test("Progress measures a relative rate from the first update, and --quiet prints nothing", () => {
  const stream = sink();
  let now = 0;
  const progress = new Progress({
    stream,
    quiet: false,
    label: "wait",
    unit: "rows",
    relative: true,
    lineInterval: 0,
    now: () => now,
  });
  progress.update(900, 1000);
  now = 1000;
  progress.update(950, 1000);
  assert.match(stream.text, /950 of 1,000 rows · 50 rows\/s · ETA 1 s/);
  const quiet = sink();
  const silent = new Progress({ stream: quiet, quiet: true, label: "x", unit: "rows" });
  silent.update(1, 2);
  silent.finish();
  assert.equal(quiet.text, "");
});

test("Progress on a terminal redraws one bar and clears it at the end", () => {
  const stream = sink(true);
  let now = 0;
  const progress = new Progress({ stream, quiet: false, label: "export", unit: "rows", now: () => now });
  progress.update(500, 1000);
  now = 1000;
  progress.update(750, 1000);
  progress.finish();
  assert.equal(stream.text.includes("\n"), false);
  assert.match(
    stream.text,
    // deno-lint-ignore no-control-regex
    /\rexport \[#{18}-{6}\] 750 of 1,000 rows · 750 rows\/s · ETA 0 s\x1b\[K\r\x1b\[K$/,
  );
});

test("RecordCounter counts CSV records, not newlines inside quoted fields, across chunk splits", () => {
  const csv = 'title,note\n"a, b","line one\nline two"\nplain,"say ""hi""\n"\n';
  const bytes = new TextEncoder().encode(csv);
  for (let split = 0; split <= bytes.length; split++) {
    const counter = new RecordCounter("csv");
    counter.push(bytes.subarray(0, split));
    counter.push(bytes.subarray(split));
    assert.equal(counter.rows, 2, `split at ${split}`);
  }
  const lines = new RecordCounter("jsonl");
  lines.push(new TextEncoder().encode('{"a":"x\\ny"}\n{"a":"\\"q"}\n'));
  assert.equal(lines.rows, 2);
});

test("suggestedFileName() keeps the server's name inside the current directory", () => {
  assert.equal(suggestedFileName('attachment; filename="feed-normalised.csv"', "csv"), "feed-normalised.csv");
  // check_repo_paths: ignore (an attack string)
  assert.equal(suggestedFileName('attachment; filename="../../etc/passwd"', "csv"), "passwd");
  assert.equal(suggestedFileName('attachment; filename=".hidden"', "jsonl"), "hidden");
  assert.equal(suggestedFileName(null, "jsonl"), "csv-sorter-export.jsonl");
});
