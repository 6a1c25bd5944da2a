/** The imports table, refreshed every two seconds while any import is still embedding. */
import { useEffect, useState } from "preact/hooks";
import type { ImportProgress } from "../../contract/schemas.ts";
import { fetchJson } from "./api_client.ts";

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
    const onImported = () => refresh();
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
      <p class="text-slate-500" data-testid="no-imports">No imports yet. Upload a CSV above to start.</p>
    );
  }
  return (
    <div>
      {error && <p class="text-red-700 text-sm mb-2">Cannot refresh: {error}</p>}
      <table class="w-full text-sm bg-white border border-slate-200 rounded-lg overflow-hidden">
        <thead class="bg-slate-100 text-left">
          <tr>
            <th class="px-3 py-2">File</th>
            <th class="px-3 py-2">Rows</th>
            <th class="px-3 py-2">Embedded</th>
            <th class="px-3 py-2">Suggested</th>
            <th class="px-3 py-2">Reviewed</th>
            <th class="px-3 py-2"></th>
          </tr>
        </thead>
        <tbody>
          {imports.map((item) => (
            <tr key={item.id} class="border-t border-slate-100" data-testid={`import-${item.id}`}>
              <td class="px-3 py-2">
                <div class="font-medium">{item.file_name}</div>
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
                    <span data-testid="embedded-count">{item.embedded_count}</span>
                    {item.failed_count > 0 && <span class="text-red-700">({item.failed_count} failed)</span>}
                  </div>
                )}
              </td>
              <td class="px-3 py-2">{item.suggested_count}</td>
              <td class="px-3 py-2">{item.reviewed_count}</td>
              <td class="px-3 py-2">
                {item.status === "imported" && (
                  <div class="flex gap-3">
                    <a class="text-blue-700 hover:underline" href={`/review?import_id=${item.id}`}>Review</a>
                    <a
                      class="text-blue-700 hover:underline"
                      href={`/export?import_id=${item.id}`}
                      data-testid="export-import"
                    >
                      Export
                    </a>
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
