/**
 * The export control. Server-rendered it is a plain link to GET /export (the default export, downloaded
 * by the browser, so it works without JavaScript). Hydrated, the link opens a small form — rows, format,
 * value column, meta — and the island fetches the export itself, reading the stream to show
 * "N of M rows · rate · ETA" (M from the X-Total-Rows header) with a Cancel button that aborts the
 * request; the file is handed over as a Blob only once it is complete, so a cancelled or failed export
 * downloads nothing.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { ApiError } from "../../contract/schemas.ts";
// Pure functions with no runtime APIs, shared with the command line: both read the same stream.
import { progressText } from "../../cli/progress.ts";
import { RecordCounter } from "../../cli/record_counter.ts";

/** Props of {@link ExportButton}. */
export interface ExportButtonProps {
  /** One import, or null for every import. */
  importId: number | null;
  label: string;
  /** data-testid of the toggle (the control's parts derive theirs from it). */
  testId: string;
}

// A Blob holds the whole file in memory: above this many rows the browser's own download (no live count,
// constant memory) is the better deal. 1M rows of a typical feed are a few hundred MB.
const MAX_BLOB_ROWS = 1_000_000;

type Phase =
  | { kind: "idle" }
  | { kind: "running"; rows: number; total: number | null; rate: number | null }
  | { kind: "done"; rows: number; fileName: string; notes: string[] }
  | { kind: "cancelled" }
  | { kind: "failed"; message: string };

/** Notes on renamed generated columns (X-Export-Notes: percent-encoded JSON array of strings). */
function exportNotes(response: Response): string[] {
  const header = response.headers.get("x-export-notes");
  if (!header) return [];
  try {
    const notes = JSON.parse(decodeURIComponent(header));
    return Array.isArray(notes) ? notes.map(String) : [];
  } catch {
    return [];
  }
}

function fileNameOf(response: Response, format: string): string {
  const name = /filename="([^"]+)"/.exec(response.headers.get("content-disposition") ?? "")?.[1];
  return name ?? `csv-sorter-export.${format === "jsonl" ? "jsonl" : "csv"}`;
}

async function errorMessage(response: Response): Promise<string> {
  const body = await response.json().catch(() => undefined) as ApiError | undefined;
  return body?.error?.message ?? `Export failed (${response.status} ${response.statusText})`;
}

/** Saves `blob` under `fileName` through a temporary link. */
function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has taken its copy by the next task.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The export control island. */
export function ExportButton({ importId, label, testId }: ExportButtonProps) {
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [open, setOpen] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const firstField = useRef<HTMLSelectElement>(null);
  const href = importId === null ? "/export" : `/export?import_id=${importId}`;

  useEffect(() => {
    if (open) firstField.current?.focus();
  }, [open]);

  useEffect(() => () => controller.current?.abort(), []);

  const cancel = () => controller.current?.abort();

  const run = async (form: HTMLFormElement) => {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) params.set(key, String(value));
    const url = `/export?${params}`;
    const abort = new AbortController();
    controller.current = abort;
    setPhase({ kind: "running", rows: 0, total: null, rate: null });
    try {
      const response = await fetch(url, { signal: abort.signal });
      if (!response.ok) return setPhase({ kind: "failed", message: await errorMessage(response) });
      const header = Number(response.headers.get("x-total-rows"));
      const total = Number.isSafeInteger(header) && header >= 0 ? header : null;
      if (total !== null && total > MAX_BLOB_ROWS) {
        abort.abort();
        setPhase({ kind: "idle" });
        globalThis.location.assign(url);
        return;
      }
      const format = params.get("format") ?? "csv";
      const counter = new RecordCounter(format === "jsonl" ? "jsonl" : "csv");
      const chunks: Uint8Array[] = [];
      const reader = response.body!.getReader();
      const started = performance.now();
      let shown = 0;
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        counter.push(value);
        const now = performance.now();
        // Ten renders a second are enough to read; one per chunk would only cost time.
        if (now - shown >= 100) {
          shown = now;
          const seconds = (now - started) / 1000;
          setPhase({
            kind: "running",
            rows: counter.rows,
            total,
            rate: seconds >= 0.5 && counter.rows > 0 ? counter.rows / seconds : null,
          });
        }
      }
      const fileName = fileNameOf(response, format);
      saveBlob(
        new Blob(chunks as BlobPart[], { type: response.headers.get("content-type") ?? "" }),
        fileName,
      );
      setPhase({ kind: "done", rows: counter.rows, fileName, notes: exportNotes(response) });
    } catch (error) {
      if (abort.signal.aborted) return setPhase({ kind: "cancelled" });
      setPhase({ kind: "failed", message: `Export failed: ${(error as Error).message}` });
    } finally {
      if (controller.current === abort) controller.current = null;
    }
  };

  const onSubmit = (event: Event) => {
    event.preventDefault();
    if (phase.kind !== "running") run(event.currentTarget as HTMLFormElement);
  };

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== "Escape") return;
    event.preventDefault();
    // Esc cancels a running export, else closes the form.
    if (phase.kind === "running") cancel();
    else setOpen(false);
  };

  const onToggle = (event: MouseEvent) => {
    // A modified click (new tab, save link) keeps the plain link's meaning.
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    // The form holds the running export's progress and Cancel: it stays open until the export ends.
    setOpen(phase.kind === "running" || !open);
  };

  const running = phase.kind === "running";
  const field = "border border-slate-300 rounded px-2 py-1 w-full";
  return (
    <div class="relative" data-testid={`${testId}-control`} onKeyDown={onKeyDown}>
      <a
        class="text-blue-700 underline"
        href={href}
        onClick={onToggle}
        aria-expanded={open}
        data-testid={testId}
      >
        {label}
      </a>
      {open && (
        <form
          method="get"
          action="/export"
          onSubmit={onSubmit}
          class="absolute right-0 z-10 mt-1 w-72 bg-white border border-slate-200 rounded-lg shadow-lg p-3 text-sm flex flex-col gap-2 text-left"
          data-testid={`${testId}-form`}
        >
          {importId !== null && <input type="hidden" name="import_id" value={importId} />}
          <label class="flex flex-col gap-1">
            Rows
            <select name="rows" class={field} disabled={running} ref={firstField}>
              <option value="all">All rows</option>
              <option value="reviewed">Reviewed by a person</option>
              <option value="accepted">With a label (person, seed or auto)</option>
            </select>
          </label>
          <label class="flex flex-col gap-1">
            Format
            <select name="format" class={field} disabled={running}>
              <option value="csv">CSV</option>
              <option value="jsonl">JSON Lines</option>
            </select>
          </label>
          <label class="flex flex-col gap-1">
            CSV delimiter
            <select name="delimiter" class={field} disabled={running}>
              <option value="comma">Comma (,)</option>
              <option value="semicolon">Semicolon (;) — Excel where the decimal mark is a comma</option>
              <option value="tab">Tab</option>
            </select>
          </label>
          <label class="flex items-center gap-2">
            <input type="checkbox" name="bom" value="true" disabled={running} />
            For Excel: mark the file as UTF-8 (byte order mark), so accents and € open right
          </label>
          <label class="flex flex-col gap-1">
            Value column
            <input
              name="value_column"
              class={field}
              value="normalised_value"
              required
              maxLength={200}
              disabled={running}
            />
          </label>
          <label class="flex flex-col gap-1">
            Source, confidence, model version
            <select name="meta" class={field} disabled={running}>
              <option value="true">Add these columns</option>
              <option value="false">Leave them out</option>
            </select>
          </label>
          {running
            ? (
              <div class="flex items-center justify-between gap-2">
                <span aria-live="polite" data-testid="export-progress">
                  {progressText(phase.rows, phase.total, phase.rate, "rows")}
                </span>
                <button
                  type="button"
                  onClick={cancel}
                  class="px-3 py-1 rounded border border-slate-300 hover:bg-slate-100 whitespace-nowrap"
                  data-testid="export-cancel"
                >
                  Cancel <kbd>Esc</kbd>
                </button>
              </div>
            )
            : (
              <button
                type="submit"
                class="px-3 py-1 rounded bg-blue-700 text-white hover:bg-blue-800 self-start"
                data-testid="export-submit"
              >
                Download
              </button>
            )}
          {phase.kind === "done" && (
            <p class="text-emerald-800" role="status" data-testid="export-done">
              Downloaded {phase.rows.toLocaleString("en-US")} rows as {phase.fileName}
              {phase.notes.map((note) => <span key={note} class="block text-slate-700">{note}</span>)}
            </p>
          )}
          {phase.kind === "cancelled" && (
            <p class="text-slate-600" role="status" data-testid="export-cancelled">Export cancelled</p>
          )}
          {phase.kind === "failed" && (
            <p class="text-red-700" role="alert" data-testid="export-error">{phase.message}</p>
          )}
        </form>
      )}
    </div>
  );
}
