/**
 * The review queue: one card in focus (original row, suggestion, confidence, Approve, Correct), the rest
 * of the page listed below, a filter bar above. Works from the keyboard alone: A or Enter approves, C
 * focuses the correction, Enter in it submits, J/↓ next, K/↑ previous, S shows the rows similar to this
 * one, / focuses the search, X clears the filters, Esc leaves the input.
 *
 * Never waits on the network between cards: a decision is shown at once and saved in the background
 * (undone with a message if the save fails), and the next page is fetched by cursor as soon as a page
 * is shown, so the reviewer moves on to it without a pause.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { FeedbackSaved, ReviewItem, ReviewPage, SuggestedValue } from "../../contract/schemas.ts";
import { ReviewCardDetails } from "../components/ReviewCardDetails.tsx";
import { ReviewPageList, type ShownDecision } from "../components/ReviewPageList.tsx";
import { fetchJson, postJson } from "./api_client.ts";
import {
  filterParams,
  hasFilters,
  NO_FILTERS,
  ReviewFilterBar,
  type ReviewFilters,
} from "./ReviewFilterBar.tsx";
import { SimilarGroup } from "./SimilarGroup.tsx";

/** Props of {@link ReviewQueue}. */
export interface ReviewQueueProps {
  importId: number | null;
  pageSize: number;
  /** Whether to show a name box (an app without accounts); signed-in decisions carry the account's name. */
  askReviewerName?: boolean;
}

/** A page fetched ahead of time, with what was decided when it was asked for. */
interface Prefetch {
  cursor: string;
  decidedAtRequest: number;
  page: Promise<ReviewPage>;
}

const REVIEWER_KEY = "csv-sorter:reviewer";

/** The review queue island. */
export function ReviewQueue({ importId, pageSize, askReviewerName = false }: ReviewQueueProps) {
  const [items, setItems] = useState<ReviewItem[]>([]);
  const [total, setTotal] = useState({ count: 0, capped: false, decidedAtRequest: 0 });
  const [index, setIndex] = useState(0);
  const [decisions, setDecisions] = useState<Record<number, ShownDecision>>({});
  const [correction, setCorrection] = useState("");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [reviewer, setReviewer] = useState("");
  const [filters, setFilters] = useState<ReviewFilters>(NO_FILTERS);
  const [values, setValues] = useState<SuggestedValue[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  // Decisions sent and not yet answered: shown, and guarded on leaving the page.
  const [saving, setSaving] = useState(0);
  const correctionInput = useRef<HTMLInputElement>(null);
  const prefetched = useRef<Prefetch | null>(null);
  // Rows shown since the filters last changed: a row re-scored by a decision can move behind the cursor
  // and come back on a later page; it is not shown twice.
  const shown = useRef(new Set<number>());
  const decidedCount = Object.keys(decisions).length;
  const decidedRef = useRef(0);
  decidedRef.current = decidedCount;

  const pageUrl = useCallback((cursor: string | null) => {
    const params = filterParams(filters, new URLSearchParams({ limit: String(pageSize) }));
    if (importId) params.set("import_id", String(importId));
    if (cursor) params.set("cursor", cursor);
    return `/products-for-review?${params}`;
  }, [importId, pageSize, filters]);

  const prefetch = useCallback((cursor: string | null) => {
    if (cursor === null || prefetched.current?.cursor === cursor) return;
    const page = fetchJson<ReviewPage>(pageUrl(cursor));
    page.catch(() => {}); // reported when the page is used
    prefetched.current = { cursor, decidedAtRequest: decidedRef.current, page };
  }, [pageUrl]);

  const show = useCallback((page: ReviewPage, decidedAtRequest: number) => {
    const fresh = page.items.filter((item) => !shown.current.has(item.product_id));
    for (const item of fresh) shown.current.add(item.product_id);
    setItems(fresh);
    setTotal({ count: page.total, capped: page.total_capped, decidedAtRequest });
    setIndex(0);
    setNextCursor(page.next_cursor);
    setError(null);
    prefetch(page.next_cursor);
    return fresh.length;
  }, [prefetch]);

  /** The first page for the current filters. */
  const load = useCallback(async () => {
    setLoading(true);
    prefetched.current = null;
    shown.current = new Set();
    try {
      const [page, suggested] = await Promise.all([
        fetchJson<ReviewPage>(pageUrl(null)),
        fetchJson<SuggestedValue[]>(`/suggested-values${importId ? `?import_id=${importId}` : ""}`),
      ]);
      setValues(suggested);
      setDecisions({});
      show(page, 0);
    } catch (e) {
      setItems([]);
      setError(`Cannot load the queue: ${(e as Error).message}`);
    } finally {
      setLoading(false);
    }
  }, [importId, pageUrl, show]);

  /** The next page: the prefetched one when it is there (usually: no wait), else the first again. */
  const nextPage = useCallback(async () => {
    const ahead = prefetched.current;
    if (ahead === null || ahead.cursor !== nextCursor) return load();
    prefetched.current = null;
    try {
      let page = await ahead.page;
      let decidedAtRequest = ahead.decidedAtRequest;
      // Every row of a page may have been decided in bulk meanwhile: walk on by cursor.
      while (show(page, decidedAtRequest) === 0 && page.next_cursor !== null) {
        decidedAtRequest = decidedRef.current;
        page = await fetchJson<ReviewPage>(pageUrl(page.next_cursor));
      }
    } catch (e) {
      setError(`Cannot load the next page: ${(e as Error).message}`);
    }
  }, [load, nextCursor, pageUrl, show]);

  useEffect(() => {
    setReviewer(localStorage.getItem(REVIEWER_KEY) ?? "");
    load();
  }, [load]);

  const current = items[index] as ReviewItem | undefined;
  useEffect(() => setCorrection(""), [current?.product_id]);

  const move = (step: number) =>
    setIndex((at) => Math.min(Math.max(at + step, 0), Math.max(items.length - 1, 0)));

  /** After `all` is recorded: the next undecided card ahead, else one behind, else the next page. */
  const advance = (all: Record<number, ShownDecision>, from: number) => {
    const ahead = items.findIndex((item, at) => at >= from && !all[item.product_id]);
    const next = ahead !== -1 ? ahead : items.findIndex((item) => !all[item.product_id]);
    if (next !== -1) setIndex(next);
    else nextPage();
  };

  // Bulk decisions (SimilarGroup.tsx): every row of a decided group counts as decided here, and the
  // queue moves on past them.
  const decideGroup = (ids: number[], value: string, approved: boolean) => {
    const all = { ...decisions };
    for (const id of ids) all[id] = { value, approved };
    setDecisions(all);
    advance(all, index);
  };

  const decide = (approved: boolean) => {
    if (!current || decisions[current.product_id]) return;
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
    const item = current;
    const all = {
      ...decisions,
      [item.product_id]: { value: approved ? item.suggestion! : corrected, approved },
    };
    setDecisions(all);
    setError(null);
    correctionInput.current?.blur();
    advance(all, index + 1);
    setSaving((count) => count + 1);
    postJson<FeedbackSaved>("/submit-feedback", {
      product_id: item.product_id,
      approved,
      corrected_text: approved ? null : corrected,
      // An earlier decision can re-score this row after its page was loaded: approve what the card showed.
      ...(approved ? { expected_value: item.suggestion } : {}),
      ...(askReviewerName && reviewer.trim() ? { reviewer: reviewer.trim() } : {}),
    }).then(
      (saved) => {
        setDecisions((now) => ({ ...now, [item.product_id]: { value: saved.value, approved } }));
      },
      (e) => {
        setDecisions((now) => {
          const { [item.product_id]: _undone, ...rest } = now;
          return rest;
        });
        setError(`Cannot save the decision on row ${item.row_number}: ${(e as Error).message}`);
      },
    ).finally(() => setSaving((count) => count - 1));
  };

  useEffect(() => {
    if (saving === 0) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener("beforeunload", warn);
    return () => removeEventListener("beforeunload", warn);
  }, [saving > 0]);

  const changeFilters = (next: ReviewFilters) => setFilters(next);
  const findSimilar = () => {
    if (current) setFilters({ ...filters, similarTo: { productId: current.product_id, text: current.text } });
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
      } else if (key === "s") {
        event.preventDefault();
        findSimilar();
      } else if (key === "/") {
        event.preventDefault();
        document.querySelector<HTMLInputElement>("[data-testid=filter-search]")?.focus();
      } else if (key === "x" && hasFilters(filters)) {
        event.preventDefault();
        setFilters(NO_FILTERS);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  });

  const filterBar = <ReviewFilterBar filters={filters} values={values} onChange={changeFilters} />;
  if (loading && items.length === 0) return <p class="text-slate-500" role="status">Loading the queue…</p>;
  if (!current) {
    return (
      <div class="space-y-4">
        {filterBar}
        <div class="bg-white border border-slate-200 rounded-lg p-6" data-testid="queue-empty">
          <p class="font-medium">
            {hasFilters(filters) ? "No row waiting for review matches these filters" : "Nothing to review"}
            {importId ? " in this import" : ""}.
          </p>
          {error && <p class="text-red-700 text-sm" role="alert">{error}</p>}
          <p class="text-sm text-slate-500">
            Rows appear here once they are embedded.{" "}
            <button type="button" class="text-blue-700 underline" onClick={load}>Refresh</button>
            {hasFilters(filters) && (
              <>
                {" · "}
                <button type="button" class="text-blue-700 underline" onClick={() => setFilters(NO_FILTERS)}>
                  Clear filters
                </button>
              </>
            )}
          </p>
        </div>
      </div>
    );
  }
  const decided = decisions[current.product_id];
  const waiting = total.capped
    ? `${total.count.toLocaleString("en")}+`
    : String(Math.max(total.count - (decidedCount - total.decidedAtRequest), 0));
  return (
    <div class="space-y-4">
      {filterBar}
      <div class="flex items-center justify-between text-sm text-slate-600">
        <span data-testid="queue-position">
          Card {index + 1} of {items.length} on this page · {waiting} waiting
        </span>
        <span data-testid="save-status" data-saving={saving} aria-live="polite">
          {saving > 0
            ? `Saving ${saving} decision${saving === 1 ? "" : "s"}…`
            : decidedCount > 0
            ? "All saved"
            : ""}
        </span>
        {askReviewerName && (
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
        )}
      </div>
      <article
        class="bg-white border-2 border-slate-900 rounded-lg p-5 space-y-4"
        data-testid="review-card"
        data-product-id={current.product_id}
      >
        <ReviewCardDetails item={current} />
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
                disabled={current.suggestion === null}
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
                data-testid="submit-correction"
                class="bg-slate-900 text-white rounded px-4 py-2 text-sm disabled:opacity-40"
              >
                Submit <kbd class="ml-1 text-xs opacity-75">Enter</kbd>
              </button>
            </form>
          )}
        {!decided && (
          <SimilarGroup
            key={current.product_id}
            item={current}
            reviewer={askReviewerName ? reviewer : ""}
            onDecided={decideGroup}
          />
        )}
        {error && <p class="text-red-700 text-sm" role="alert">{error}</p>}
      </article>
      <p class="text-xs text-slate-500">
        Keys: <kbd>A</kbd>/<kbd>Enter</kbd> approve · <kbd>C</kbd> correct · <kbd>Enter</kbd> submit ·{" "}
        <kbd>J</kbd>/<kbd>↓</kbd> next · <kbd>K</kbd>/<kbd>↑</kbd> previous ·{" "}
        <button type="button" class="underline" onClick={findSimilar} data-testid="find-similar">
          <kbd>S</kbd> rows similar to this one
        </button>{" "}
        · <kbd>/</kbd> search · <kbd>X</kbd> clear filters · <kbd>Esc</kbd> leave the input
      </p>
      <ReviewPageList items={items} index={index} decisions={decisions} onSelect={setIndex} />
    </div>
  );
}
