/**
 * The review queue's filters in the page's address (`/review?q=…&min_confidence=40`), so a reload, a
 * shared link, Back and Forward keep them. Names are those of GET /products-for-review, except that the
 * confidence bounds are the percent the reviewer typed; `import_id` is the page's own and left alone.
 * Anything unreadable in the address counts as no filter.
 */
import { NO_FILTERS, type ReviewFilters } from "./ReviewFilterBar.tsx";

const KEYS = ["suggestion", "min_confidence", "max_confidence", "q", "similar_to", "similar_text"] as const;
/** The card on screen (a product id); the review page drops it when the filters change. */
const CARD = "card";
/** Longest value kept from the address (the API's own limits are lower; it refuses longer ones). */
const MAX_LENGTH = 500;

function percent(text: string | null): string {
  if (text === null || text.trim() === "") return "";
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 && value <= 100 ? String(value) : "";
}

/** The filters an address's query string names. */
export function filtersFromSearch(search: string): ReviewFilters {
  const params = new URLSearchParams(search);
  const text = (key: string) => (params.get(key) ?? "").slice(0, MAX_LENGTH);
  const similar = Number(params.get("similar_to"));
  return {
    ...NO_FILTERS,
    suggestion: text("suggestion"),
    minConfidence: percent(params.get("min_confidence")),
    maxConfidence: percent(params.get("max_confidence")),
    q: text("q"),
    similarTo: Number.isInteger(similar) && similar > 0 && similar <= 2_147_483_647
      ? { productId: similar, text: text("similar_text") || `row ${similar}` }
      : null,
  };
}

/** `search` (a query string) with the filters' parameters replaced by those of `filters`. */
export function searchWithFilters(search: string, filters: ReviewFilters): string {
  const params = new URLSearchParams(search);
  for (const key of KEYS) params.delete(key);
  if (filters.suggestion) params.set("suggestion", filters.suggestion);
  if (filters.minConfidence !== "") params.set("min_confidence", filters.minConfidence);
  if (filters.maxConfidence !== "") params.set("max_confidence", filters.maxConfidence);
  if (filters.q.trim()) params.set("q", filters.q.trim());
  if (filters.similarTo) {
    params.set("similar_to", String(filters.similarTo.productId));
    params.set("similar_text", filters.similarTo.text.slice(0, 120));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** The card the address names (`card=<product id>`), or null. */
export function cardFromSearch(search: string): number | null {
  const card = Number(new URLSearchParams(search).get(CARD));
  return Number.isInteger(card) && card > 0 && card <= 2_147_483_647 ? card : null;
}

/** `search` naming `productId` as the card on screen (none: the parameter removed). */
export function searchWithCard(search: string, productId: number | null): string {
  const params = new URLSearchParams(search);
  if (productId === null) params.delete(CARD);
  else params.set(CARD, String(productId));
  const text = params.toString();
  return text ? `?${text}` : "";
}
