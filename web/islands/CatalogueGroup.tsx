/**
 * The group of a catalogue card: the other waiting rows the matcher suggested the same entry (GET
 * /fields/:field/review?entry_id=), which a reviewer who recognises them decides with the card at once
 * (POST /fields/:field/decisions/bulk). Offers of one product in several shops' wording are the common
 * case in a supplier file. Part of the CatalogueReview island, which owns the keys (G opens, Space
 * toggles the focused row, Enter decides, Esc closes) and the decision itself.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { CatalogueCard, CatalogueReviewPage } from "../../contract/schemas.ts";
import { fetchJson } from "./api_client.ts";

/** Rows of a group read with the card: the review page's largest page. */
export const GROUP_READ = 200;

/** The other rows suggested the same entry as a card, as read when the card came on screen. */
export interface SuggestionGroup {
  productId: number;
  entryId: number;
  rows: CatalogueCard[];
  /** Rows the server counts for the entry, the card's own included (capped at 10,000: `capped`). */
  waiting: number;
  capped: boolean;
}

/**
 * Reads `card`'s group (in import `importId` alone when not null) whenever another card comes on screen;
 * rows in `hidden` (decided or skipped on
 * this visit) are left out. Null while it loads, for no card, or when the read failed (the card is still
 * decided one at a time, so a failed read only hides the offer).
 */
export function useSuggestionGroup(
  fieldName: string,
  importId: number | null,
  card: CatalogueCard | undefined,
  hidden: () => Set<number>,
): SuggestionGroup | null {
  const [group, setGroup] = useState<SuggestionGroup | null>(null);
  useEffect(() => {
    if (!card) return;
    let live = true;
    const params = new URLSearchParams({
      entry_id: String(card.suggestion.entry_id),
      limit: String(GROUP_READ),
    });
    if (importId !== null) params.set("import_id", String(importId));
    fetchJson<CatalogueReviewPage>(`/fields/${encodeURIComponent(fieldName)}/review?${params}`)
      .then((page) => {
        if (!live) return;
        const left = hidden();
        setGroup({
          productId: card.product_id,
          entryId: card.suggestion.entry_id,
          rows: page.items.filter((row) => row.product_id !== card.product_id && !left.has(row.product_id)),
          waiting: page.waiting,
          capped: page.waiting_capped,
        });
      })
      .catch(() => live && setGroup(null));
    return () => {
      live = false;
    };
  }, [fieldName, importId, card?.product_id, card?.suggestion.entry_id]);
  return group && card && group.productId === card.product_id && group.entryId === card.suggestion.entry_id
    ? group
    : null;
}

/** Props of {@link GroupPanel}. */
export interface GroupPanelProps {
  card: CatalogueCard;
  group: SuggestionGroup;
  selected: Set<number>;
  onToggle: (productId: number) => void;
  onApply: () => void;
  onClose: () => void;
  busy: boolean;
  message: string | null;
}

/** The group, each row with a checkbox (all ticked when it opens), and the one decision for them. */
export function GroupPanel(
  { card, group, selected, onToggle, onApply, onClose, busy, message }: GroupPanelProps,
) {
  const count = selected.size + 1;
  // The keys act on the focused row (Space unticks it, Tab moves on): the first row has focus on opening.
  const list = useRef<HTMLUListElement>(null);
  useLayoutEffect(() => {
    list.current?.querySelector<HTMLInputElement>("input[type=checkbox]")?.focus();
  }, []);
  return (
    <section
      class="border border-emerald-700 rounded-lg p-3 space-y-2"
      data-testid="catalogue-group"
      aria-labelledby="catalogue-group-title"
    >
      <h3 id="catalogue-group-title" class="text-sm font-medium">
        Rows also suggested “{card.suggestion.name}”
      </h3>
      <ul class="max-h-64 overflow-y-auto space-y-1 text-sm" ref={list}>
        {group.rows.map((row) => (
          <li key={row.product_id}>
            <label class="flex items-start gap-2">
              <input
                type="checkbox"
                checked={selected.has(row.product_id)}
                onChange={() => onToggle(row.product_id)}
                data-testid="group-row"
                data-product-id={row.product_id}
              />
              <span class="flex-1 min-w-0 wrap-anywhere">{row.text || "(no text)"}</span>
              <span class="shrink-0 text-xs text-slate-600">
                {Math.round(row.suggestion.confidence * 100)}%
              </span>
            </label>
          </li>
        ))}
      </ul>
      {group.rows.length < group.waiting - 1 && (
        <p class="text-xs text-slate-600">
          The {group.rows.length} least certain of{" "}
          {group.capped ? `${group.waiting.toLocaleString("en")}+` : group.waiting - 1}{" "}
          such rows; the rest come again after this decision.
        </p>
      )}
      {message && <p class="text-sm text-red-700" role="alert" data-testid="group-message">{message}</p>}
      <div class="flex flex-wrap gap-2">
        <button
          type="button"
          class="bg-emerald-700 text-white rounded px-3 py-2 text-sm disabled:opacity-60"
          disabled={busy}
          onClick={onApply}
          data-testid="group-apply"
        >
          {busy ? "Saving…" : `Take it for this card and ${count - 1} more`}{" "}
          <kbd class="ml-1 text-xs">Enter</kbd>
        </button>
        <button
          type="button"
          class="border border-slate-300 rounded px-3 py-2 text-sm"
          onClick={onClose}
          data-testid="group-close"
        >
          Cancel <kbd class="ml-1 text-xs opacity-75">Esc</kbd>
        </button>
      </div>
    </section>
  );
}
