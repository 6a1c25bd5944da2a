/**
 * The review queue: one card in focus (original row, suggestion, confidence, Approve, Correct), the rest
 * of the page listed below. Loads the queue on mount and works from the keyboard alone:
 * A or Enter approves, C focuses the correction, Enter in it submits, J/↓ next, K/↑ previous, Esc leaves
 * the input.
 */
import { Fragment } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { FeedbackSaved, ReviewItem, ReviewPage, SuggestedValue } from "../../contract/schemas.ts";
import { fetchJson, postJson } from "./api_client.ts";

/** Props of {@link ReviewQueue}. */
export interface ReviewQueueProps {
  importId: number | null;
  pageSize: number;
}

interface Decision {
  value: string;
  approved: boolean;
}

const REVIEWER_KEY = "csv-sorter:reviewer";

function confidenceLabel(confidence: number | null): string {
  return confidence === null ? "no suggestion" : `${Math.round(confidence * 100)}%`;
}

/** The review queue island. */
export function ReviewQueue({ importId, pageSize }: ReviewQueueProps) {
  const [items, setItems] = useState<ReviewItem[]>([]);
  const [total, setTotal] = useState(0);
  const [index, setIndex] = useState(0);
  const [decisions, setDecisions] = useState<Record<number, Decision>>({});
  const [correction, setCorrection] = useState("");
  const [loading, setLoading] = useState(true);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reviewer, setReviewer] = useState("");
  // Filter by suggested value ("" = all), from the values GET /suggested-values lists.
  const [suggestionFilter, setSuggestionFilter] = useState("");
  const [values, setValues] = useState<SuggestedValue[]>([]);
  const correctionInput = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    setLoading(true);
    try {
      const params = new URLSearchParams({ limit: String(pageSize) });
      if (importId) params.set("import_id", String(importId));
      if (suggestionFilter) params.set("suggestion", suggestionFilter);
      const page = await fetchJson<ReviewPage>(`/products-for-review?${params}`);
      setValues(
        await fetchJson<SuggestedValue[]>(`/suggested-values${importId ? `?import_id=${importId}` : ""}`),
      );
      setItems(page.items);
      setTotal(page.total);
      setIndex(0);
      setDecisions({});
      setError(null);
    } catch (e) {
      setError(`Cannot load the queue: ${(e as Error).message}`);
    } finally {
      setLoading(false);
    }
  }, [importId, pageSize, suggestionFilter]);

  useEffect(() => {
    setReviewer(localStorage.getItem(REVIEWER_KEY) ?? "");
    load();
  }, [load]);

  const current = items[index] as ReviewItem | undefined;
  useEffect(() => setCorrection(""), [current?.product_id]);

  const move = (step: number) =>
    setIndex((at) => Math.min(Math.max(at + step, 0), Math.max(items.length - 1, 0)));

  const decide = async (approved: boolean) => {
    if (!current || saving) return;
    const corrected = correction.trim();
    if (!approved && !corrected) {
      setError("Type the correct value first");
      correctionInput.current?.focus();
      return;
    }
    if (approved && current.suggestion === null) {
      setError("This row has no suggestion to approve: type the correct value (C)");
      correctionInput.current?.focus();
      return;
    }
    setSaving(true);
    try {
      const saved = await postJson<FeedbackSaved>("/submit-feedback", {
        product_id: current.product_id,
        approved,
        corrected_text: approved ? null : corrected,
        ...(reviewer.trim() ? { reviewer: reviewer.trim() } : {}),
      });
      setDecisions((all) => ({ ...all, [current.product_id]: { value: saved.value, approved } }));
      setError(null);
      correctionInput.current?.blur();
      const next = items.findIndex((item, at) => at > index && !decisions[item.product_id]);
      if (next !== -1) setIndex(next);
      else if (index === items.length - 1) await load();
    } catch (e) {
      setError(`Cannot save: ${(e as Error).message}`);
    } finally {
      setSaving(false);
    }
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target as HTMLElement;
      const typing = target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
        target.tagName === "SELECT";
      if (typing) {
        if (event.key === "Escape") target.blur();
        return;
      }
      const key = event.key.toLowerCase();
      if (key === "a" || key === "enter") {
        if (target.tagName === "BUTTON" || target.tagName === "A") return;
        event.preventDefault();
        decide(true);
      } else if (key === "c") {
        event.preventDefault();
        correctionInput.current?.focus();
      } else if (key === "j" || key === "arrowdown") {
        event.preventDefault();
        move(1);
      } else if (key === "k" || key === "arrowup") {
        event.preventDefault();
        move(-1);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });

  if (loading && items.length === 0) return <p class="text-slate-500" role="status">Loading the queue…</p>;
  if (!current) {
    return (
      <div class="bg-white border border-slate-200 rounded-lg p-6" data-testid="queue-empty">
        <p class="font-medium">Nothing to review{importId ? " in this import" : ""}.</p>
        <p class="text-sm text-slate-500">
          Rows appear here once they are embedded.{" "}
          <button type="button" class="text-blue-700 underline" onClick={load}>Refresh</button>
          {suggestionFilter && (
            <>
              {" · "}
              <button type="button" class="text-blue-700 underline" onClick={() => setSuggestionFilter("")}>
                Show every suggested value
              </button>
            </>
          )}
        </p>
      </div>
    );
  }
  const decided = decisions[current.product_id];
  return (
    <div class="space-y-4">
      <div class="flex items-center justify-between text-sm text-slate-600">
        <span data-testid="queue-position">
          Card {index + 1} of {items.length} on this page ·{" "}
          {Math.max(total - Object.keys(decisions).length, 0)} waiting
        </span>
        <label class="inline-flex items-center gap-2">
          Suggested
          <select
            class="border border-slate-300 rounded px-2 py-1 max-w-48"
            value={suggestionFilter}
            onChange={(event) => setSuggestionFilter((event.target as HTMLSelectElement).value)}
            data-testid="suggestion-filter"
          >
            <option value="">any value</option>
            {values.map((value) => (
              <option key={value.value} value={value.value}>{`${value.value} (${value.count})`}</option>
            ))}
          </select>
        </label>
        <label class="inline-flex items-center gap-2">
          Reviewer
          <input
            class="border border-slate-300 rounded px-2 py-1"
            value={reviewer}
            maxLength={100}
            placeholder="your name"
            onInput={(event) => {
              const value = (event.target as HTMLInputElement).value;
              setReviewer(value);
              localStorage.setItem(REVIEWER_KEY, value);
            }}
          />
        </label>
      </div>
      <article
        class="bg-white border-2 border-slate-900 rounded-lg p-5 space-y-4"
        data-testid="review-card"
        data-product-id={current.product_id}
      >
        <header>
          <p class="text-xs text-slate-500">Import {current.import_id} · row {current.row_number}</p>
          <h2 class="text-lg font-semibold break-words" data-testid="card-text">
            {current.text || "(no text)"}
          </h2>
        </header>
        <dl class="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          {current.columns.map((column) => [column, current.data[column] ?? ""]).map(([column, value]) => (
            <Fragment key={column}>
              <dt class="text-slate-500">{column}</dt>
              <dd class="break-words">{value || <span class="text-slate-400">—</span>}</dd>
            </Fragment>
          ))}
        </dl>
        <section class="flex items-center gap-4">
          <div>
            <p class="text-xs text-slate-500">Suggestion</p>
            <p class="font-medium" data-testid="card-suggestion">{current.suggestion ?? "—"}</p>
          </div>
          <div class="flex items-center gap-2">
            {
              /* A <meter>, not a styled div: the CSP allows no style attributes. Its low/high/optimum
                colour it red below 40 %, amber below 70 %, green above. */
            }
            <meter
              class="w-24 h-2"
              min={0}
              max={1}
              low={0.4}
              high={0.7}
              optimum={1}
              value={current.confidence ?? 0}
              aria-label="Confidence"
            />
            <span class="text-sm" data-testid="card-confidence">{confidenceLabel(current.confidence)}</span>
            {current.source && (
              <span class="text-xs text-slate-500" data-testid="card-source">
                {`${current.source.replace("_", "-")} · ${current.model_version ?? "no trained model"}`}
              </span>
            )}
          </div>
        </section>
        {decided
          ? (
            <p class="text-emerald-800 text-sm" data-testid="card-decided">
              {decided.approved ? "Approved" : "Corrected to"} “{decided.value}”
            </p>
          )
          : (
            <form
              class="flex flex-wrap items-center gap-2"
              onSubmit={(event) => {
                event.preventDefault();
                decide(false);
              }}
            >
              <button
                type="button"
                onClick={() => decide(true)}
                disabled={saving || current.suggestion === null}
                class="bg-emerald-700 text-white rounded px-4 py-2 text-sm disabled:opacity-40"
                data-testid="approve"
              >
                Approve <kbd class="ml-1 text-xs opacity-75">A</kbd>
              </button>
              <input
                ref={correctionInput}
                name="corrected_text"
                value={correction}
                maxLength={500}
                aria-label="Correct value"
                placeholder="Correct value (C)"
                data-testid="correction"
                class="border border-slate-300 rounded px-2 py-2 text-sm flex-1 min-w-48"
                onInput={(event) => setCorrection((event.target as HTMLInputElement).value)}
              />
              <button
                type="submit"
                disabled={saving}
                data-testid="submit-correction"
                class="bg-slate-900 text-white rounded px-4 py-2 text-sm disabled:opacity-40"
              >
                Submit <kbd class="ml-1 text-xs opacity-75">Enter</kbd>
              </button>
            </form>
          )}
        {error && <p class="text-red-700 text-sm" role="alert">{error}</p>}
      </article>
      <p class="text-xs text-slate-500">
        Keys: <kbd>A</kbd>/<kbd>Enter</kbd> approve · <kbd>C</kbd> correct · <kbd>Enter</kbd> submit ·{" "}
        <kbd>J</kbd>/<kbd>↓</kbd> next · <kbd>K</kbd>/<kbd>↑</kbd> previous · <kbd>Esc</kbd> leave the input
      </p>
      <ol class="bg-white border border-slate-200 rounded-lg divide-y divide-slate-100 text-sm">
        {items.map((item, at) => (
          <li key={item.product_id}>
            <button
              type="button"
              onClick={() => setIndex(at)}
              tabIndex={-1}
              class={`w-full text-left px-3 py-2 flex justify-between gap-4 ${
                at === index ? "bg-slate-100" : ""
              }`}
            >
              <span class="truncate">{item.text}</span>
              <span class="shrink-0 text-slate-600">
                {decisions[item.product_id]
                  ? `✓ ${decisions[item.product_id].value}`
                  : `${item.suggestion ?? "—"} · ${confidenceLabel(item.confidence)}`}
              </span>
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}
