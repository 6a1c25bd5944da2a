/**
 * Progress on stderr: a redrawn bar when stderr is a terminal, one plain line every few seconds when it is
 * a file or a pipe (cron mail, CI logs), nothing with --quiet. Stdout carries results only.
 */
import type { Writable } from "node:stream";

/** How a count is shown. */
export type ProgressUnit = "rows" | "steps" | "bytes";

/** Where and how progress is reported. */
export interface ProgressOptions {
  stream: Writable & { isTTY?: boolean; columns?: number };
  quiet: boolean;
  label: string;
  unit: ProgressUnit;
  /** Milliseconds between plain lines (default 5 s); the bar redraws at most every 100 ms. */
  lineInterval?: number;
  /** Measure the rate from the first update rather than from zero (following work already under way). */
  relative?: boolean;
  now?: () => number;
}

/** Formats an amount in its unit: "12,345 rows", "3.2 MiB". */
export function formatAmount(value: number, unit: ProgressUnit): string {
  if (unit !== "bytes") return `${Math.round(value).toLocaleString("en-US")} ${unit}`;
  if (value < 1024) return `${Math.round(value)} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let scaled = value / 1024;
  let index = 0;
  while (scaled >= 1024 && index < units.length - 1) {
    scaled /= 1024;
    index++;
  }
  return `${scaled.toFixed(scaled < 10 ? 1 : 0)} ${units[index]}`;
}

/** Formats seconds as "8 s", "3 min 5 s", "1 h 2 min". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "N of M rows · rate · ETA", the text both the bar and the plain lines show. */
export function progressText(
  done: number,
  total: number | null,
  ratePerSecond: number | null,
  unit: ProgressUnit,
): string {
  const amount = total === null
    ? formatAmount(done, unit)
    : unit !== "bytes"
    ? `${done.toLocaleString("en-US")} of ${formatAmount(total, unit)}`
    : `${formatAmount(done, unit)} of ${formatAmount(total, unit)}`;
  const parts = [amount];
  if (ratePerSecond !== null && ratePerSecond > 0) {
    parts.push(`${formatAmount(ratePerSecond, unit)}/s`);
    if (total !== null && total > done) parts.push(`ETA ${formatDuration((total - done) / ratePerSecond)}`);
  }
  return parts.join(" · ");
}

/** Reports the progress of one piece of work. */
export class Progress {
  private readonly mode: "bar" | "lines" | "off";
  private readonly now: () => number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private drawn = false;
  /** Work already done when following began (e.g. rows embedded before `wait`): not part of the rate. */
  private baseline: number | null = null;
  /** The latest state, and whether a plain line already showed it. */
  private last: { done: number; total: number | null; shown: boolean } | null = null;

  constructor(private readonly options: ProgressOptions) {
    this.mode = options.quiet ? "off" : options.stream.isTTY ? "bar" : "lines";
    this.now = options.now ?? (() => performance.now());
    this.started = this.now();
  }

  /** Reports `done` (of `total` when known). */
  update(done: number, total: number | null = null): void {
    if (this.mode === "off") return;
    this.baseline ??= this.options.relative ? done : 0;
    this.last = { done, total, shown: false };
    const now = this.now();
    const interval = this.mode === "bar" ? 100 : this.options.lineInterval ?? 5000;
    if (now - this.lastDraw < interval) return;
    this.lastDraw = now;
    this.draw(now);
  }

  private draw(now: number): void {
    const { done, total } = this.last!;
    this.last!.shown = true;
    const elapsed = (now - this.started) / 1000;
    const text = this.render(done, total, elapsed);
    if (this.mode === "bar") {
      // A pseudo-terminal without a size reports 0 columns.
      const columns = this.options.stream.columns;
      const width = columns && columns >= 20 ? columns : 80;
      this.options.stream.write(`\r${text.slice(0, width - 1)}\x1b[K`);
      this.drawn = true;
    } else {
      this.options.stream.write(`${text}\n`);
    }
  }

  private render(done: number, total: number | null, elapsed: number): string {
    // The rate counts only the work done while following, and a rate over less than half a second is noise.
    const progressed = done - (this.baseline ?? 0);
    const rate = elapsed >= 0.5 && progressed > 0 ? progressed / elapsed : null;
    const text = progressText(done, total, rate, this.options.unit);
    if (this.mode !== "bar") return `${this.options.label}: ${text}`;
    if (total === null || total === 0) return `${this.options.label} ${text}`;
    // The bar gives way first on a narrow terminal: the numbers matter more.
    const columns = this.options.stream.columns;
    if (columns && columns >= 20 && this.options.label.length + text.length + 28 > columns) {
      return `${this.options.label} ${text}`;
    }
    const cells = 24;
    const filled = Math.max(0, Math.min(cells, Math.floor((done / total) * cells)));
    return `${this.options.label} [${"#".repeat(filled)}${"-".repeat(cells - filled)}] ${text}`;
  }

  /**
   * Ends the report: a plain report ends with the final state (a log shows where it stopped); a bar is
   * cleared, so what follows on stderr starts on a clean line.
   */
  finish(): void {
    if (this.mode === "lines" && this.last && !this.last.shown) this.draw(this.now());
    if (this.mode === "bar" && this.drawn) this.options.stream.write("\r\x1b[K");
    this.drawn = false;
  }
}
