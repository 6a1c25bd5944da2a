/**
 * The nearest-rank percentile of `sorted` (ascending), `p` in 0–100: the value at index ⌊p/100 · n⌋,
 * capped at the last; NaN for no values. The one definition every benchmark's p50/p95 use.
 */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
