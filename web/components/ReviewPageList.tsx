/** The review page's rows under the card: each one's text and suggestion, or the decision taken on it. */
import type { ReviewItem } from "../../contract/schemas.ts";
import { confidenceLabel } from "./ReviewCardDetails.tsx";

/** A decision shown on the page (saved, or being saved). */
export interface ShownDecision {
  value: string;
  approved: boolean;
  /** The stored decision's id, once the server answered it (what an undo names). */
  feedbackId?: number;
}

/** Props of {@link ReviewPageList}. */
export interface ReviewPageListProps {
  items: ReviewItem[];
  /** The row on the card. */
  index: number;
  decisions: Record<number, ShownDecision>;
  /** Rows whose decision failed to save (kept, not yet stored). */
  unsaved?: Set<number>;
  onSelect: (index: number) => void;
}

/** The page's rows; clicking one puts it on the card. */
export function ReviewPageList({ items, index, decisions, unsaved, onSelect }: ReviewPageListProps) {
  return (
    <ol class="bg-white border border-slate-200 rounded-lg divide-y divide-slate-100 text-sm">
      {items.map((item, at) => (
        <li key={item.product_id} data-product-id={item.product_id}>
          <button
            type="button"
            onClick={() => onSelect(at)}
            tabIndex={-1}
            class={`w-full text-left px-3 py-2 flex justify-between gap-4 ${
              at === index ? "bg-slate-100" : ""
            }`}
          >
            <span class="truncate">{item.text}</span>
            <span class="shrink-0 text-slate-600">
              {decisions[item.product_id]
                ? unsaved?.has(item.product_id)
                  ? `⚠ ${decisions[item.product_id].value} (not saved)`
                  : `✓ ${decisions[item.product_id].value}`
                : `${item.suggestion ?? "—"} · ${confidenceLabel(item.confidence)}${
                  item.similarity === undefined ? "" : ` · ${Math.round(item.similarity * 100)}% alike`
                }`}
            </span>
          </button>
        </li>
      ))}
    </ol>
  );
}
