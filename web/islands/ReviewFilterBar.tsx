/**
 * The review queue's filter bar (rendered inside ReviewQueue): suggested value, a confidence range, a
 * free-text search, the "similar to" row in use and a way to clear them all. Edits are local until
 * applied (Enter, or leaving a field), so typing does not fire a request per keystroke.
 */
import { useEffect, useState } from "preact/hooks";
import type { SuggestedValue } from "../../contract/schemas.ts";

/** What the queue is filtered by; empty strings and nulls mean "no filter". */
export interface ReviewFilters {
  suggestion: string;
  /** Percent, 0–100, as typed. */
  minConfidence: string;
  maxConfidence: string;
  q: string;
  similarTo: { productId: number; text: string } | null;
}

/** No filter at all. */
export const NO_FILTERS: ReviewFilters = {
  suggestion: "",
  minConfidence: "",
  maxConfidence: "",
  q: "",
  similarTo: null,
};

/** True when any filter is set. */
export function hasFilters(filters: ReviewFilters): boolean {
  return filters.suggestion !== "" || filters.minConfidence !== "" || filters.maxConfidence !== "" ||
    filters.q !== "" || filters.similarTo !== null;
}

/**
 * The query parameters of GET /products-for-review for `filters`. The confidence bounds are whole
 * percents as cards show them (confidenceLabel rounds), so each bound is widened by half a percent: a
 * card showing "90%" (0.8971) is inside 90–100 and outside 80–89.
 */
export function filterParams(filters: ReviewFilters, params: URLSearchParams): URLSearchParams {
  if (filters.suggestion) params.set("suggestion", filters.suggestion);
  const fraction = (text: string, widen: number) =>
    String(Math.min(Math.max(Number(text) + widen, 0), 100) / 100);
  if (filters.minConfidence !== "") params.set("min_confidence", fraction(filters.minConfidence, -0.5));
  if (filters.maxConfidence !== "") params.set("max_confidence", fraction(filters.maxConfidence, 0.4999));
  if (filters.q.trim()) params.set("q", filters.q.trim());
  if (filters.similarTo) params.set("similar_to", String(filters.similarTo.productId));
  return params;
}

/** Props of {@link ReviewFilterBar}. */
export interface ReviewFilterBarProps {
  filters: ReviewFilters;
  values: SuggestedValue[];
  onChange: (filters: ReviewFilters) => void;
}

/** The filter bar. */
export function ReviewFilterBar({ filters, values, onChange }: ReviewFilterBarProps) {
  const [draft, setDraft] = useState(filters);
  // Only "clear filters" resets what is typed: resetting on every change would wipe a field being typed in
  // while another one's change is applied.
  useEffect(() => {
    if (!hasFilters(filters)) setDraft(NO_FILTERS);
  }, [filters]);
  const apply = () => {
    if (
      draft.q !== filters.q || draft.minConfidence !== filters.minConfidence ||
      draft.maxConfidence !== filters.maxConfidence
    ) {
      onChange({
        ...filters,
        q: draft.q,
        minConfidence: draft.minConfidence,
        maxConfidence: draft.maxConfidence,
      });
    }
  };
  const field = "border border-slate-300 rounded px-2 py-1";
  return (
    <form
      class="flex flex-wrap items-center gap-3 text-sm text-slate-600"
      data-testid="filter-bar"
      onSubmit={(event) => {
        event.preventDefault();
        apply();
        // After a search, keys go to the queue again (the search field would keep taking them).
        const active = document.activeElement as HTMLElement | null;
        if (active?.getAttribute("type") === "search") active.blur();
      }}
    >
      <label class="inline-flex items-center gap-2">
        Suggested
        <select
          class={`${field} max-w-48`}
          value={filters.suggestion}
          onChange={(event) => {
            const select = event.target as HTMLSelectElement;
            onChange({ ...filters, suggestion: select.value });
            // Focus back to the queue: a focused select takes A and ↓ as its own (typeahead, next
            // option) and changed the filter where the reviewer meant to decide.
            select.blur();
          }}
          data-testid="suggestion-filter"
        >
          <option value="">any value</option>
          {values.map((value) => (
            <option key={value.value} value={value.value}>{`${value.value} (${value.count})`}</option>
          ))}
        </select>
      </label>
      <label class="inline-flex items-center gap-1">
        Confidence
        <input
          type="number"
          min={0}
          max={100}
          step={1}
          class={`${field} w-16`}
          placeholder="0"
          aria-label="Lowest confidence, percent"
          value={draft.minConfidence}
          onInput={(event) => setDraft({ ...draft, minConfidence: (event.target as HTMLInputElement).value })}
          onBlur={apply}
          data-testid="filter-min-confidence"
        />
        –
        <input
          type="number"
          min={0}
          max={100}
          step={1}
          class={`${field} w-16`}
          placeholder="100"
          aria-label="Highest confidence, percent"
          value={draft.maxConfidence}
          onInput={(event) => setDraft({ ...draft, maxConfidence: (event.target as HTMLInputElement).value })}
          onBlur={apply}
          data-testid="filter-max-confidence"
        />
        %
      </label>
      <input
        type="search"
        class={`${field} flex-1 min-w-40`}
        maxLength={200}
        placeholder="Search rows (/)"
        aria-label="Search rows"
        value={draft.q}
        onInput={(event) => setDraft({ ...draft, q: (event.target as HTMLInputElement).value })}
        data-testid="filter-search"
      />
      <button type="submit" class="border border-slate-300 rounded px-2 py-1">Apply</button>
      {filters.similarTo && (
        <span
          class="bg-sky-50 border border-sky-200 rounded px-2 py-1 max-w-64 truncate"
          data-testid="filter-similar"
        >
          Similar to “{filters.similarTo.text}”
        </span>
      )}
      {hasFilters(filters) && (
        <button
          type="button"
          class="text-blue-700 underline"
          onClick={() => onChange(NO_FILTERS)}
          data-testid="clear-filters"
        >
          Clear filters <kbd class="text-xs opacity-75">X</kbd>
        </button>
      )}
    </form>
  );
}
