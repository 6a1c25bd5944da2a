/**
 * The imports table, refreshed every two seconds: datasets with their files (an appended file under the
 * one it was appended to), embedding progress with rate and time left, and Delete per file.
 */
import { useEffect, useState } from "preact/hooks";
import type { ImportProgress } from "../../contract/schemas.ts";
import { embeddingText, formatCount } from "../components/progress_text.ts";
import { fetchJson } from "./api_client.ts";
import { ExportButton } from "./ExportButton.tsx";
import { TableBox } from "../components/TableBox.tsx";

/** Props of {@link ImportList}: the imports as the server saw them when rendering. */
export interface ImportListProps {
  imports: ImportProgress[];
}

function pending(item: ImportProgress): boolean {
  return item.status === "imported" && item.embedded_count + item.failed_count < item.row_count;
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 100 : Math.floor((part / whole) * 100);
}

/** Newest dataset first; within one, its files in the order they came (the first one leads). */
function byDataset(imports: ImportProgress[]): ImportProgress[] {
  const newest = new Map<number, number>();
  for (const item of imports) {
    newest.set(item.dataset_id, Math.max(newest.get(item.dataset_id) ?? 0, item.id));
  }
  return [...imports].sort((a, b) =>
    newest.get(b.dataset_id)! - newest.get(a.dataset_id)! || a.dataset_id - b.dataset_id || a.id - b.id
  );
}

async function remove(item: ImportProgress, onDone: () => void, onError: (message: string) => void) {
  const question = `Delete "${item.file_name}" and its ${formatCount(item.row_count)} rows` +
    (item.reviewed_count > 0
      ? `, with the ${formatCount(item.reviewed_count)} decisions people made on them?`
      : "?");
  if (!globalThis.confirm(question)) return;
  try {
    await fetchJson(`/imports/${item.id}?confirm=true`, { method: "DELETE" });
    onDone();
  } catch (error) {
    onError((error as Error).message);
  }
}

/**
 * What a new user sees on an empty Imports page: an offer to load the bundled sample catalogue, so the
 * whole loop (embedding, suggestions, review, retrain) can be tried before any file of their own.
 */
function SampleOffer({ onError }: { onError: (message: string) => void }) {
  const [loading, setLoading] = useState(false);
  const load = async () => {
    setLoading(true);
    try {
      await fetchJson("/imports/sample", { method: "POST" });
      globalThis.dispatchEvent(new CustomEvent("csv-sorter:imported"));
    } catch (error) {
      onError((error as Error).message);
      setLoading(false);
    }
  };
  return (
    <div class="bg-white border border-slate-200 rounded-lg p-4" data-testid="no-imports">
      <p class="text-slate-700">No imports yet. Upload a CSV above, or try CSV-Sorter on a sample first.</p>
      <p class="text-sm text-slate-600 mt-1">
        The sample catalogue holds 1,200 real Amazon products of 12 categories, a quarter of them already
        categorised: the first rows have suggestions to review at once, and all are embedded within a few
        minutes (the import's progress shows how long). Delete it like any import when you are done.
      </p>
      <button
        type="button"
        class="mt-3 px-4 py-2 rounded bg-blue-700 text-white hover:bg-blue-800 disabled:opacity-60"
        onClick={load}
        disabled={loading}
        data-testid="load-sample"
      >
        {loading ? "Loading the sample…" : "Load the sample catalogue"}
      </button>
    </div>
  );
}

/** Lists imports with their embedding and review progress. */
export function ImportList({ imports: initial }: ImportListProps) {
  const [imports, setImports] = useState(initial);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const refresh = async () => {
      try {
        const next = await fetchJson<ImportProgress[]>("/imports");
        if (cancelled) return;
        setImports(next);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
      if (!cancelled) timer = setTimeout(refresh, 2000);
    };
    const onImported = () => {
      clearTimeout(timer);
      refresh();
    };
    globalThis.addEventListener("csv-sorter:imported", onImported);
    timer = setTimeout(refresh, imports.some(pending) ? 1000 : 2000);
    return () => {
      cancelled = true;
      clearTimeout(timer);
      globalThis.removeEventListener("csv-sorter:imported", onImported);
    };
  }, []);

  if (imports.length === 0) {
    return (
      <div>
        {error && <p class="text-red-700 text-sm mb-2" role="alert">{error}</p>}
        <SampleOffer onError={setError} />
      </div>
    );
  }
  return (
    <div>
      {error && <p class="text-red-700 text-sm mb-2">Cannot refresh: {error}</p>}
      <TableBox>
        <table class="w-full text-sm bg-white border border-slate-200 rounded-lg overflow-hidden">
          <thead class="bg-slate-100 text-left">
            <tr>
              <th class="px-3 py-2">File</th>
              <th class="px-3 py-2">Rows</th>
              <th class="px-3 py-2">Embedded</th>
              <th class="px-3 py-2">Suggested</th>
              <th class="px-3 py-2">Reviewed</th>
              <th class="px-3 py-2">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {byDataset(imports).map((item) => (
              <tr
                key={item.id}
                class={item.id === item.dataset_id ? "border-t border-slate-200" : "border-t border-slate-50"}
                data-testid={`import-${item.id}`}
                data-dataset={item.dataset_id}
              >
                <td class={item.id === item.dataset_id ? "px-3 py-2" : "px-3 py-2 pl-8"}>
                  <div class="font-medium">
                    {item.id !== item.dataset_id && (
                      <span class="text-slate-500 mr-1" aria-hidden="true">↳</span>
                    )}
                    {item.file_name}
                    {item.sample && (
                      <span
                        class="ml-2 text-xs font-normal px-1.5 py-0.5 rounded bg-amber-100 text-amber-900"
                        data-testid="sample-badge"
                      >
                        sample
                      </span>
                    )}
                  </div>
                  {item.id !== item.dataset_id && (
                    <div class="text-xs text-slate-500">appended to dataset #{item.dataset_id}</div>
                  )}
                  {item.status === "importing" && <div class="text-xs text-slate-500">reading rows…</div>}
                  {item.status === "failed" && (
                    <div class="text-red-700" data-testid="import-error">{item.error}</div>
                  )}
                </td>
                <td class="px-3 py-2">{item.status === "failed" ? "—" : item.row_count}</td>
                <td class="px-3 py-2">
                  {item.status === "imported" && (
                    <div class="flex items-center gap-2">
                      {/* <progress>, not a styled div: the CSP allows no style attributes. */}
                      <progress
                        class="w-32 h-2"
                        max={100}
                        value={percent(item.embedded_count, item.row_count)}
                        aria-label="Embedded"
                      />
                      <span data-testid="embedded-count" class="sr-only">{item.embedded_count}</span>
                      <span data-testid="embedding-text">{embeddingText(item)}</span>
                      {item.failed_count > 0 && (
                        <span class="text-red-700">({item.failed_count} failed)</span>
                      )}
                    </div>
                  )}
                </td>
                <td class="px-3 py-2">{item.suggested_count}</td>
                <td class="px-3 py-2">
                  {item.reviewed_count}
                  {item.reused_count > 0 && (
                    <span
                      class="text-slate-500"
                      title="labelled at import from earlier decisions on the same text"
                    >
                      {` (+${formatCount(item.reused_count)} reused)`}
                    </span>
                  )}
                </td>
                <td class="px-3 py-2">
                  {item.status === "imported" && (
                    <div class="flex gap-3">
                      <a class="text-blue-700 underline" href={`/review?import_id=${item.id}`}>Review</a>
                      <ExportButton importId={item.id} label="Export" testId="export-import" />
                      <button
                        type="button"
                        class="text-red-700 hover:underline"
                        onClick={() =>
                          remove(item, () =>
                            globalThis.dispatchEvent(new CustomEvent("csv-sorter:imported")), setError)}
                        data-testid="delete-import"
                      >
                        Delete
                      </button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </div>
  );
}
