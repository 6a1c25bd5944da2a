/** Samples the process' resident set size so a benchmark can report its peak. */
import process from "node:process";

/** Starts sampling every `intervalMs`; `stop()` returns the peak RSS in bytes. */
export function sampleRss(intervalMs = 50): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** Formats bytes as MiB. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}
