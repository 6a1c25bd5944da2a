/**
 * The review queue: one card in focus (original row, suggestion, confidence, Approve, Correct), the rest
 * of the page listed below, a filter bar above. Works from the keyboard alone: A or Enter approves, C
 * focuses the correction, Enter in it submits, J/↓ next (past the page's last card: the next page), K/↑
 * previous, S shows the rows similar to this
 * one, / focuses the search, X clears the filters, Esc leaves the input.
 *
 * Never waits on the network between cards: a decision is shown at once and saved in the background
 * (decision_outbox.ts: several in flight, each stored once however often it is sent), and the next page
 * is fetched by cursor as soon as a page is shown, so the reviewer moves on to it without a pause.
 *
 * No decision is lost silently or doubled:
 * - A save that fails keeps its decision on the page, marked "not saved", and stops the flow with a
 *   message saying what to do: sign in again (a new tab) and Retry, or wait for the automatic retry of
 *   a network or server failure; a conflict with a decision made meanwhile is shown with both values.
 * - One key press or click is one decision on the card on screen: keys are handled by one listener that
 *   reads the rendered card (never a stale one of the previous render), a card is decided at most once,
 *   a held key (key repeat) and the second click of a double-click decide nothing, and an Enter right
 *   after a correction submitted with Enter is taken as part of it, not as an approval of the next card.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type {
  DecisionWithdrawn,
  KnownValue,
  ReviewItem,
  ReviewPage,
  SuggestedValue,
} from "../../contract/schemas.ts";
import { confidenceLabel, ReviewCardColumns, ReviewCardDetails } from "../components/ReviewCardDetails.tsx";
import { ReviewPageList, type ShownDecision } from "../components/ReviewPageList.tsx";
import { fetchJson, postJsonForStatus, refreshCsrfToken } from "./api_client.ts";
import { DecisionOutbox, type OutboxEntry } from "./decision_outbox.ts";
import { DecisionProblems } from "./DecisionProblems.tsx";
import { cardFromSearch, filtersFromSearch, searchWithCard, searchWithFilters } from "./review_url.ts";
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
}

/** A page fetched ahead of time, with what was decided when it was asked for. */
interface Prefetch {
  cursor: string;
  decidedAtRequest: number;
  page: Promise<ReviewPage>;
}

/** An Enter this soon after a correction submitted with Enter belongs to it (a double press), in ms. */
const ENTER_AFTER_CORRECTION_MS = 700;
/** Automatic retries of network and server failures wait this long, doubling, in ms. */
const RETRY_FIRST_MS = 2_000;
const RETRY_MAX_MS = 30_000;

/** The review queue island. */
export function ReviewQueue({ importId, pageSize }: ReviewQueueProps) {
  const [items, setItems] = useState<ReviewItem[]>([]);
  const [total, setTotal] = useState({ count: 0, capped: false, decidedAtRequest: 0 });
  const [index, setIndex] = useState(0);
  const [decisions, setDecisions] = useState<Record<number, ShownDecision>>({});
  const [correction, setCorrection] = useState("");
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  /** The last read of the first page failed: the empty card shows why instead of "nothing matches". */
  const [loadFailed, setLoadFailed] = useState(false);
  // The filters live in the address too (review_url.ts): a reload, a link, Back and Forward keep them.
  const [filters, setFilters] = useState<ReviewFilters>(() =>
    typeof location === "undefined" ? NO_FILTERS : filtersFromSearch(location.search)
  );
  // Bumped on Back/Forward, so the filter bar shows the filters of the address it went to.
  const [historyMoves, setHistoryMoves] = useState(0);
  const [values, setValues] = useState<SuggestedValue[]>([]);
  // Values rows already carry and taxonomy names: the correction's completions; anything else is new.
  const [known, setKnown] = useState<Set<string>>(new Set());
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  // Decisions not yet stored (sending, or failed and kept): shown, and guarded on leaving the page.
  const [unsaved, setUnsaved] = useState<OutboxEntry[]>([]);
  const saving = unsaved.filter((entry) => entry.state === "sending").length;
  const notSaved = unsaved.length - saving;
  const outbox = useRef<DecisionOutbox | null>(null);
  if (outbox.current === null) {
    outbox.current = new DecisionOutbox((body) => postJsonForStatus("/submit-feedback", body), {
      changed: (entries) => setUnsaved(entries),
      saved: (entry, saved) =>
        setDecisions((now) => ({
          ...now,
          [entry.productId]: {
            value: saved.value,
            approved: entry.body.approved,
            feedbackId: saved.feedback_id,
          },
        })),
      beforeRetry: async () => {
        await refreshCsrfToken();
      },
    });
  }
  // Products decided on this page, updated at the moment of the decision (state lags one render): a
  // second key or click for the same card finds it here.
  const decidedIds = useRef(new Set<number>());
  // The products decided on this page, in the order of their decisions: what U undoes, newest first.
  const decidedOrder = useRef<number[]>([]);
  // When a correction was last submitted with Enter (see ENTER_AFTER_CORRECTION_MS).
  const correctionEnterAt = useRef(0);
  const [hint, setHint] = useState<string | null>(null);
  const correctionInput = useRef<HTMLInputElement>(null);
  const prefetched = useRef<Prefetch | null>(null);
  // Rows shown since the filters last changed: a row re-scored by a decision can move behind the cursor
  // and come back on a later page; it is not shown twice.
  const shown = useRef(new Set<number>());
  // Which request may still change the cards: each first-page load takes a new number, and an answer
  // carrying an older one (filters changed twice before the first answer came) is dropped. Two answers
  // applied in turn emptied the page: the second found every one of its rows "shown" by the first.
  const generation = useRef(0);
  const decidedCount = Object.keys(decisions).length;
  const decidedRef = useRef(0);
  decidedRef.current = decidedCount;

  const pageUrl = useCallback((cursor: string | null) => {
    // lease: the cards served are this reviewer's for a while, and others' are not served here.
    const params = filterParams(filters, new URLSearchParams({ limit: String(pageSize), lease: "true" }));
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
    setLoadFailed(false);
    prefetch(page.next_cursor);
    return fresh.length;
  }, [prefetch]);

  useEffect(() => {
    // A nicety: without the list, corrections still work, just without completions.
    fetchJson<KnownValue[]>("/label-values")
      .then((list) => setKnown(new Set(list.map((entry) => entry.value))))
      .catch(() => {});
  }, []);

  /** The first page for the current filters. */
  const load = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    prefetched.current = null;
    try {
      const [page, suggested] = await Promise.all([
        fetchJson<ReviewPage>(pageUrl(null)),
        fetchJson<SuggestedValue[]>(`/suggested-values${importId ? `?import_id=${importId}` : ""}`),
      ]);
      if (mine !== generation.current) return;
      shown.current = new Set();
      setValues(suggested);
      setDecisions({});
      decidedIds.current = new Set();
      decidedOrder.current = [];
      show(page, 0);
      // Back on the page (a reload, Back from another page): the card the address names, if still waiting.
      const wanted = cardFromSearch(location.search);
      const at = page.items.findIndex((item) => item.product_id === wanted);
      if (at > 0) setIndex(at);
    } catch (e) {
      if (mine !== generation.current) return;
      setItems([]);
      setLoadFailed(true);
      setError(`Cannot load the queue: ${(e as Error).message}`);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [importId, pageUrl, show]);

  /** The next page: the prefetched one when it is there (usually: no wait), else the first again. */
  const nextPage = useCallback(async () => {
    const ahead = prefetched.current;
    if (ahead === null || ahead.cursor !== nextCursor) return load();
    prefetched.current = null;
    // A page of the filters before a change that came meanwhile is not shown.
    const mine = generation.current;
    try {
      let page = await ahead.page;
      let decidedAtRequest = ahead.decidedAtRequest;
      // Every row of a page may have been decided in bulk meanwhile: walk on by cursor.
      while (mine === generation.current && show(page, decidedAtRequest) === 0 && page.next_cursor !== null) {
        decidedAtRequest = decidedRef.current;
        page = await fetchJson<ReviewPage>(pageUrl(page.next_cursor));
      }
    } catch (e) {
      if (mine === generation.current) setError(`Cannot load the next page: ${(e as Error).message}`);
    }
  }, [load, nextCursor, pageUrl, show]);

  useEffect(() => {
    load();
  }, [load]);

  const current = items[index] as ReviewItem | undefined;
  useEffect(() => setCorrection(""), [current?.product_id]);

  /**
   * J/K: the next or previous card. Past the last card of the page, the next page (skip): the cards left
   * undecided here stay leased to this reviewer until their lease ends, then go to the others, and come
   * back to this reviewer when they start the queue again.
   */
  const move = (step: number) => {
    if (step > 0 && index >= items.length - 1 && nextCursor !== null) {
      nextPage();
      return;
    }
    setIndex((at) => Math.min(Math.max(at + step, 0), Math.max(items.length - 1, 0)));
  };

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
    for (const id of ids) {
      all[id] = { value, approved };
      decidedIds.current.add(id);
    }
    setDecisions(all);
    advance(all, index);
  };

  /** One decision on `item` (the card on screen when the key or click came). */
  const decide = (approved: boolean, item: ReviewItem | undefined = current) => {
    if (!item || decidedIds.current.has(item.product_id) || decisions[item.product_id]) return;
    if (outbox.current!.blocked) {
      setError(
        `Not decided: ${notSaved || "some"} earlier decision${notSaved === 1 ? " is" : "s are"} not saved ` +
          `yet; settle ${notSaved === 1 ? "it" : "them"} first (see above)`,
      );
      return;
    }
    const corrected = correction.trim();
    if (!approved && !corrected) {
      setError("Type the correct value first");
      correctionInput.current?.focus();
      return;
    }
    if (approved && item.suggestion === null) {
      setError("This row has no suggestion to approve: type the correct value (C)");
      correctionInput.current?.focus();
      return;
    }
    decidedIds.current.add(item.product_id);
    decidedOrder.current.push(item.product_id);
    if (!approved && !known.has(corrected)) setKnown(new Set(known).add(corrected));
    setHint(null);
    const all = {
      ...decisions,
      [item.product_id]: { value: approved ? item.suggestion! : corrected, approved },
    };
    setDecisions(all);
    setError(null);
    correctionInput.current?.blur();
    advance(all, Math.max(items.indexOf(item), 0) + 1);
    outbox.current!.add({
      productId: item.product_id,
      rowNumber: item.row_number,
      body: {
        product_id: item.product_id,
        approved,
        corrected_text: approved ? null : corrected,
        // An earlier decision can re-score this row after its page was loaded: approve what the card showed.
        ...(approved ? { expected_value: item.suggestion! } : {}),
        // A card of the queue is undecided: a decision made meanwhile by someone else is a conflict.
        expected_feedback_id: null,
      },
    });
  };

  /**
   * Withdraws the decision on `productId` (default: the newest decision of this page) through POST
   * /feedback/:id/undo and shows that card again, undecided — or with the label the row has again (the
   * decision before, or its seed label).
   */
  const undo = async (productId?: number) => {
    const target = productId ?? [...decidedOrder.current].reverse().find((id) => decisions[id]);
    const shown = target === undefined ? undefined : decisions[target];
    if (target === undefined || !shown) {
      setHint("Nothing to undo: no decision on this page yet");
      return;
    }
    if (shown.feedbackId === undefined) {
      setHint("That decision is not saved yet (or was made for a group of rows): undo it once it is saved");
      return;
    }
    const { status, body } = await postJsonForStatus(`/feedback/${shown.feedbackId}/undo`, {});
    if (status !== 200) {
      const message = (body as { error?: { message?: string } } | undefined)?.error?.message;
      setError(message ?? `Cannot undo: the server answered ${status}`);
      return;
    }
    const withdrawn = body as DecisionWithdrawn;
    decidedOrder.current = decidedOrder.current.filter((id) => id !== target);
    if (withdrawn.label === null) {
      decidedIds.current.delete(target);
      setDecisions((now) => {
        const { [target]: _undone, ...rest } = now;
        return rest;
      });
    } else {
      setDecisions((now) => ({ ...now, [target]: { value: withdrawn.label!, approved: false } }));
    }
    const at = items.findIndex((item) => item.product_id === target);
    if (at >= 0) setIndex(at);
    setError(null);
    setHint(
      withdrawn.label === null
        ? `Undone: “${withdrawn.withdrawn_value}” is withdrawn and the row waits for a decision again`
        : `Undone: “${withdrawn.withdrawn_value}” is withdrawn; the row is “${withdrawn.label}” again ` +
          `(${withdrawn.label_source === "seed" ? "its file's label" : "the decision before"})`,
    );
  };

  /** A decision that will not be stored (a conflict kept as the other reviewer left it, a refusal). */
  const dropUnsaved = (key: string) => {
    const entry = outbox.current!.drop(key);
    if (!entry) return;
    if (entry.state === "conflict" && entry.current) {
      const kept = entry.current;
      setDecisions((now) => ({ ...now, [entry.productId]: { value: kept.value, approved: kept.approved } }));
    } else {
      // Refused: the row is not decided; it comes back if it is still waiting.
      decidedIds.current.delete(entry.productId);
      setDecisions((now) => {
        const { [entry.productId]: _dropped, ...rest } = now;
        return rest;
      });
    }
  };

  useEffect(() => {
    if (unsaved.length === 0) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    addEventListener("beforeunload", warn);
    return () => removeEventListener("beforeunload", warn);
  }, [unsaved.length > 0]);

  // Once every kept decision is settled, the message that stopped the flow no longer holds.
  useEffect(() => {
    if (notSaved === 0) setError((shown) => shown?.startsWith("Not decided:") ? null : shown);
  }, [notSaved]);

  // Network and server failures are retried by themselves, waiting longer each time; a reviewer coming
  // back to this tab (after signing in again in another one) retries at once.
  const failedAttempts = unsaved.filter((entry) => entry.state === "failed")
    .reduce((most, entry) => Math.max(most, entry.attempts), 0);
  useEffect(() => {
    if (failedAttempts === 0) return;
    const timer = setTimeout(
      () => outbox.current!.retry(),
      Math.min(RETRY_FIRST_MS * 2 ** (failedAttempts - 1), RETRY_MAX_MS),
    );
    return () => clearTimeout(timer);
  }, [failedAttempts, notSaved]);
  useEffect(() => {
    const back = () => {
      if (document.visibilityState === "visible") outbox.current!.retry();
    };
    addEventListener("focus", back);
    document.addEventListener("visibilitychange", back);
    return () => {
      removeEventListener("focus", back);
      document.removeEventListener("visibilitychange", back);
    };
  }, []);

  const changeFilters = (next: ReviewFilters) => setFilters(next);
  // The card on screen is in the address too, replaced rather than pushed: J and K are no history.
  useEffect(() => {
    if (!current) return;
    const search = searchWithCard(location.search, current.product_id);
    if (search !== location.search) {
      history.replaceState(null, "", `${location.pathname}${search}${location.hash}`);
    }
  }, [current?.product_id]);
  useEffect(() => {
    const search = searchWithFilters(location.search, filters);
    if (search !== location.search) {
      // Other filters show other cards: the new entry names none.
      history.pushState(null, "", `${location.pathname}${searchWithCard(search, null)}${location.hash}`);
    }
  }, [filters]);
  useEffect(() => {
    const moved = () => {
      setFilters(filtersFromSearch(location.search));
      setHistoryMoves((count) => count + 1);
    };
    addEventListener("popstate", moved);
    return () => removeEventListener("popstate", moved);
  }, []);
  const findSimilar = () => {
    if (current) setFilters({ ...filters, similarTo: { productId: current.product_id, text: current.text } });
  };

  // The key handler of this render: it sees this render's card, which is the one on screen (the DOM is
  // updated in the same task as the render). One listener calls the latest, so a key pressed right after
  // a new card appears never reaches the handler of the previous card (an effect re-registering the
  // listener would run only after the next frame).
  const onKeyRef = useRef<(event: KeyboardEvent) => void>(() => {});
  onKeyRef.current = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    const typing = target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
      target.tagName === "SELECT";
    // Ctrl+Z (⌘Z) outside a text field undoes the newest decision, as U does.
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !typing && event.key.toLowerCase() === "z") {
      event.preventDefault();
      if (!event.repeat) void undo();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing) {
      if (event.key === "Escape") target.blur();
      if (event.key === "Enter" && target === correctionInput.current) {
        if (event.repeat) event.preventDefault();
        else correctionEnterAt.current = performance.now();
      }
      return;
    }
    const key = event.key.toLowerCase();
    if (key === "a" || key === "enter") {
      // Enter on a focused button or link is that control's own action; A is always "approve", wherever
      // the focus is (a clicked list row or a tabbed-to button once swallowed it silently).
      if (key === "enter" && (target.tagName === "BUTTON" || target.tagName === "A")) return;
      event.preventDefault();
      // A held key repeats: one press is one decision.
      if (event.repeat) return;
      if (key === "enter" && performance.now() - correctionEnterAt.current < ENTER_AFTER_CORRECTION_MS) {
        correctionEnterAt.current = 0;
        setHint("Enter pressed twice: the correction is saved; press Enter or A again to approve this card");
        return;
      }
      decide(true, current);
    } else if (event.repeat && "cxs".includes(key)) {
      event.preventDefault();
    } else if (key === "u") {
      event.preventDefault();
      // On a decided card, that card's decision; else the newest of the page.
      if (!event.repeat) void undo(current && decisions[current.product_id] ? current.product_id : undefined);
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
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => onKeyRef.current(event);
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const filterBar = (
    <ReviewFilterBar key={historyMoves} filters={filters} values={values} onChange={changeFilters} />
  );
  if (loading && items.length === 0) {
    // The filter bar stays: a reviewer typing a search while the queue reloads keeps the field and focus.
    return (
      <div class="space-y-4">
        {filterBar}
        <p class="text-slate-500" role="status">Loading the queue…</p>
      </div>
    );
  }
  if (!current) {
    return (
      <div class="space-y-4">
        {filterBar}
        <DecisionProblems
          entries={unsaved}
          onRetry={() => outbox.current!.retry()}
          onReplace={(key) => outbox.current!.replace(key)}
          onDrop={dropUnsaved}
        />
        <div class="bg-white border border-slate-200 rounded-lg p-6" data-testid="queue-empty">
          {/* A queue that could not be read is not an empty one: say only what went wrong. */}
          {loadFailed ? <p class="font-medium text-red-700" role="alert">{error}</p> : (
            <>
              <p class="font-medium">
                {hasFilters(filters)
                  ? "No row waiting for review matches these filters"
                  : "Nothing to review"}
                {importId ? " in this import" : ""}.
              </p>
              {error && <p class="text-red-700 text-sm" role="alert">{error}</p>}
            </>
          )}
          <p class="text-sm text-slate-500">
            {/* Only an empty queue may still be filling; a filter that matches nothing is not a wait. */}
            {!loadFailed && !hasFilters(filters) && "Rows appear here once they are embedded. "}
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
      <DecisionProblems
        entries={unsaved}
        onRetry={() => outbox.current!.retry()}
        onReplace={(key) => outbox.current!.replace(key)}
        onDrop={dropUnsaved}
      />
      <div class="flex items-center justify-between text-sm text-slate-600">
        <span data-testid="queue-position">
          Card {index + 1} of {items.length} on this page · {waiting} waiting
        </span>
        <span
          data-testid="save-status"
          data-saving={saving}
          data-unsaved={notSaved}
          aria-live="polite"
          class={notSaved > 0 ? "text-red-700 font-medium" : ""}
        >
          {notSaved > 0
            ? `${notSaved} decision${notSaved === 1 ? "" : "s"} not saved${
              saving > 0 ? ` · saving ${saving}…` : ""
            }`
            : saving > 0
            ? `Saving ${saving} decision${saving === 1 ? "" : "s"}…`
            : decidedCount > 0
            ? "All saved"
            : ""}
        </span>
      </div>
      {/* The card changes without a page load: a screen reader hears the new one here. */}
      <p class="sr-only" aria-live="polite" data-testid="card-announcement">
        {`Card ${index + 1}: ${current.text.slice(0, 200)}. Suggestion ${current.suggestion ?? "none"}${
          current.suggestion ? `, ${confidenceLabel(current.confidence)}` : ""
        }.`}
      </p>
      <article
        class="bg-white border-2 border-slate-900 rounded-lg p-5 space-y-4"
        data-testid="review-card"
        data-product-id={current.product_id}
      >
        <ReviewCardDetails item={current} />
        {decided
          ? (
            <p class="text-emerald-800 text-sm flex flex-wrap items-center gap-3" data-testid="card-decided">
              <span>{decided.approved ? "Approved" : "Corrected to"} “{decided.value}”</span>
              <button
                type="button"
                class="border border-slate-300 text-slate-700 rounded px-3 py-1 text-sm"
                onClick={() => void undo(current.product_id)}
                data-testid="undo"
              >
                Undo <kbd class="ml-1 text-xs opacity-75">U</kbd>
              </button>
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
                // The second click of a double-click lands on the next card's button: not a decision.
                onClick={(event) => {
                  if (event.detail <= 1) decide(true, current);
                }}
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
                list="known-values"
                autocomplete="off"
                class="border border-slate-300 rounded px-2 py-2 text-sm flex-1 min-w-48"
                onInput={(event) => setCorrection((event.target as HTMLInputElement).value)}
              />
              <datalist id="known-values">
                {[...known].slice(0, 500).map((value) => <option key={value} value={value} />)}
              </datalist>
              {correction.trim() !== "" && !known.has(correction.trim()) && (
                <span class="text-amber-800 text-sm" role="status" data-testid="correction-new-value">
                  new value: no row has it yet
                </span>
              )}
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
            importId={importId}
            onDecided={decideGroup}
          />
        )}
        {error && <p class="text-red-700 text-sm" role="alert">{error}</p>}
        {hint && <p class="text-slate-700 text-sm" role="status" data-testid="review-hint">{hint}</p>}
        <ReviewCardColumns item={current} />
      </article>
      <p class="text-xs text-slate-500">
        Keys: <kbd>A</kbd>/<kbd>Enter</kbd> approve · <kbd>C</kbd> correct · <kbd>Enter</kbd> submit ·{" "}
        <kbd>U</kbd>/<kbd>Ctrl+Z</kbd> undo · <kbd>J</kbd>/<kbd>↓</kbd> next · <kbd>K</kbd>/<kbd>↑</kbd>{" "}
        previous ·{" "}
        <button type="button" class="underline" onClick={findSimilar} data-testid="find-similar">
          <kbd>S</kbd> rows similar to this one
        </button>{" "}
        · <kbd>/</kbd> search · <kbd>X</kbd> clear filters · <kbd>Esc</kbd> leave the input
      </p>
      <ReviewPageList
        items={items}
        index={index}
        decisions={decisions}
        unsaved={new Set(
          unsaved.filter((entry) => entry.state !== "sending").map((entry) => entry.productId),
        )}
        onSelect={setIndex}
      />
    </div>
  );
}
