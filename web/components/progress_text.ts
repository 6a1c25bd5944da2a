/** Wording of progress for people: counts with separators, megabytes, rates and time left. */
import type { ImportProgress, UploadProgress } from "../../contract/schemas.ts";

/** 12345 → "12,345" (one fixed locale, so the server-rendered and the hydrated text agree). */
export function formatCount(value: number): string {
  return value.toLocaleString("en-US");
}

/** Bytes as megabytes with one decimal. */
export function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Seconds as "about 3 min left"; rounding up to whole minutes past two minutes. */
export function formatTimeLeft(seconds: number | null): string | null {
  if (seconds === null) return null;
  if (seconds <= 0) return null;
  if (seconds < 120) return `about ${Math.max(Math.ceil(seconds), 1)} s left`;
  if (seconds < 2 * 3600) return `about ${Math.ceil(seconds / 60)} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}

/** "1,234 / 10,000 embedded · 45/s · about 3 min left"; once every row is done, the count alone. */
export function embeddingText(progress: ImportProgress): string {
  const parts = [`${formatCount(progress.embedded_count)} / ${formatCount(progress.row_count)} embedded`];
  // The rate is measured over the last minute: after the last vector it only decays towards zero.
  const done = progress.embedded_count + progress.failed_count >= progress.row_count;
  if (progress.embedding_rate > 0 && !done) {
    parts.push(`${formatCount(Math.round(progress.embedding_rate))}/s`);
  }
  const left = formatTimeLeft(progress.eta_seconds);
  if (left) parts.push(left);
  return parts.join(" · ");
}

/** "Reading rows: 120,000 (12.0 MB of 80.0 MB) · about 2 min left" */
export function readingText(progress: UploadProgress): string {
  if (progress.phase === "finishing") {
    return `Read ${formatCount(progress.rows_read)} rows; saving labels and queueing them for embedding…`;
  }
  const parts = [
    `Reading rows: ${formatCount(progress.rows_read)} (${formatMegabytes(progress.bytes_read)} of ` +
    `${formatMegabytes(progress.bytes_total)})`,
  ];
  const left = formatTimeLeft(progress.eta_seconds);
  if (left) parts.push(left);
  return parts.join(" · ");
}
