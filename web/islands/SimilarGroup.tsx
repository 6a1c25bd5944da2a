/**
 * The "similar rows" of a review card: the unlabelled rows nearest to it that share its suggestion, each
 * with its similarity and a checkbox to leave it out, a similarity threshold, and one decision for the
 * whole group — approve as the suggestion, or correct to a typed value — with the number of rows it
 * will touch previewed (dry run) before it is applied. Keys: G opens, A approves the group, C focuses
 * the correction, Esc closes. The keys are read on window in the capture phase, so while the group is
 * open the queue's own shortcuts (A approves one card, J/K move) do not fire underneath it.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { BulkFeedbackResult, ReviewItem, SimilarRows } from "../../contract/schemas.ts";
import { fetchJson, postJson } from "./api_client.ts";

/** Props of {@link SimilarGroup}. */
export interface SimilarGroupProps {
  item: ReviewItem;
  /** The review page's import; the group then holds only its rows. Null: every import. */
  importId: number | null;
  /** Called with the rows that were decided, once the decision is stored. */
  onDecided: (productIds: number[], value: string, approved: boolean) => void;
}

const DEFAULT_THRESHOLD = 0.8;
const REASONS: Record<string, string> = {
  not_found: "no longer exists",
  not_imported: "its file is not imported",
  already_labelled: "already labelled",
  suggestion_changed: "suggestion changed",
};

function isTextField(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") return true;
  if (target.tagName !== "INPUT") return false;
  return !["checkbox", "radio", "range", "button", "submit"].includes((target as HTMLInputElement).type);
}

/** The similar-rows panel of one review card (rendered inside ReviewQueue, keyed by the card). */
export function SimilarGroup({ item, importId, onDecided }: SimilarGroupProps) {
  const [open, setOpen] = useState(false);
  const [threshold, setThreshold] = useState(DEFAULT_THRESHOLD);
  const [group, setGroup] = useState<SimilarRows | null>(null);
  const [left, setLeft] = useState<Set<number>>(new Set());
  const [preview, setPreview] = useState<BulkFeedbackResult | null>(null);
  const [correction, setCorrection] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const approveButton = useRef<HTMLButtonElement>(null);
  const correctionInput = useRef<HTMLInputElement>(null);

  const suggestion = item.suggestion;
  const chosen = group
    ? [item.product_id, ...group.rows.map((row) => row.product_id)].filter((id) => !left.has(id))
    : [];
  const chosenKey = chosen.join(",");

  useEffect(() => {
    if (!open) return;
    let live = true;
    setGroup(null);
    const scope = importId ? `&import_id=${importId}` : "";
    fetchJson<SimilarRows>(
      `/products/${item.product_id}/similar?min_similarity=${threshold}&limit=50${scope}`,
    )
      .then((answer) => {
        if (!live) return;
        setGroup(answer);
        setError(null);
      })
      .catch((e) => live && setError(`Cannot load similar rows: ${(e as Error).message}`));
    return () => {
      live = false;
    };
  }, [open, threshold, item.product_id, importId]);

  // The preview's count does not depend on approve or correct: both skip the same rows.
  useEffect(() => {
    if (!open || !group || !suggestion || chosen.length === 0) {
      setPreview(null);
      return;
    }
    let live = true;
    postJson<BulkFeedbackResult>("/submit-feedback-bulk", {
      product_ids: chosen,
      approved: true,
      expected_value: suggestion,
      dry_run: true,
    })
      .then((answer) => live && setPreview(answer))
      .catch((e) => live && setError(`Cannot preview the group: ${(e as Error).message}`));
    return () => {
      live = false;
    };
  }, [open, group, chosenKey, suggestion]);

  useEffect(() => {
    if (open && group) approveButton.current?.focus();
  }, [open, group]);

  const apply = async (approved: boolean) => {
    if (!suggestion || !preview || preview.count === 0 || busy) return;
    const corrected = correction.trim();
    if (!approved && !corrected) {
      setError("Type the correct value for the group first");
      correctionInput.current?.focus();
      return;
    }
    setBusy(true);
    try {
      const result = await postJson<BulkFeedbackResult>("/submit-feedback-bulk", {
        product_ids: chosen,
        approved,
        expected_value: suggestion,
        ...(approved ? {} : { corrected_text: corrected }),
      });
      setOpen(false);
      onDecided(result.product_ids, result.value, approved);
    } catch (e) {
      setError(`Cannot decide the group: ${(e as Error).message}`);
    } finally {
      setBusy(false);
    }
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const typing = isTextField(event.target);
      const key = event.key.toLowerCase();
      if (!open) {
        if (!typing && key === "g" && suggestion) {
          event.preventDefault();
          event.stopPropagation();
          setOpen(true);
        }
        return;
      }
      event.stopPropagation();
      if (key === "escape") {
        event.preventDefault();
        if (typing) (event.target as HTMLElement).blur();
        else setOpen(false);
      } else if (typing) {
        return;
      } else if (key === "a") {
        event.preventDefault();
        apply(true);
      } else if (key === "c") {
        event.preventDefault();
        correctionInput.current?.focus();
      }
    };
    globalThis.addEventListener("keydown", onKey, true);
    return () => globalThis.removeEventListener("keydown", onKey, true);
  });

  if (!suggestion) return null;
  if (!open) {
    return (
      <button
        type="button"
        class="text-sm text-blue-700 underline"
        onClick={() => setOpen(true)}
        data-testid="open-group"
      >
        Similar rows suggested “{suggestion}” <kbd class="ml-1 text-xs">G</kbd>
      </button>
    );
  }
  const count = preview?.count ?? 0;
  const rows = group?.rows ?? [];
  return (
    <section
      class="border border-slate-300 rounded-lg p-4 space-y-3"
      aria-label="Similar rows"
      data-testid="similar-group"
    >
      <header class="flex flex-wrap items-center justify-between gap-3">
        <h3 class="font-medium">
          Similar rows suggested “{suggestion}”{importId ? ` in import ${importId}` : ""}
        </h3>
        <label class="inline-flex items-center gap-2 text-sm">
          Similarity at least
          <input
            type="range"
            min={0.5}
            max={1}
            step={0.01}
            value={threshold}
            aria-label="Minimum similarity"
            data-testid="group-threshold"
            onChange={(event) => setThreshold(Number((event.target as HTMLInputElement).value))}
          />
          <span class="w-10 tabular-nums">{Math.round(threshold * 100)}%</span>
        </label>
        <button type="button" class="text-sm underline" onClick={() => setOpen(false)}>
          Close <kbd class="ml-1 text-xs">Esc</kbd>
        </button>
      </header>
      {!group && !error && <p class="text-sm text-slate-500" role="status">Looking for similar rows…</p>}
      {group?.message && <p class="text-sm text-slate-600">{group.message}</p>}
      {group && (
        <ul class="divide-y divide-slate-100 text-sm max-h-72 overflow-y-auto" data-testid="similar-rows">
          {[{ product_id: item.product_id, text: item.text, similarity: 1, anchor: true }, ...rows].map((
            row,
          ) => (
            <li key={row.product_id} class="flex items-center gap-3 py-1" data-testid="similar-row">
              <input
                type="checkbox"
                checked={!left.has(row.product_id)}
                aria-label={`Include “${row.text}”`}
                data-testid="similar-row-check"
                data-product-id={row.product_id}
                onChange={() =>
                  setLeft((all) => {
                    const next = new Set(all);
                    if (next.has(row.product_id)) next.delete(row.product_id);
                    else next.add(row.product_id);
                    return next;
                  })}
              />
              <span class="flex-1 truncate">{row.text || "(no text)"}</span>
              <span class="shrink-0 tabular-nums text-slate-600" data-testid="similar-row-similarity">
                {"anchor" in row ? "this card" : `${(row.similarity * 100).toFixed(1)}%`}
              </span>
            </li>
          ))}
        </ul>
      )}
      {preview && (
        <p class="text-sm" data-testid="group-preview" data-count={preview.count}>
          {`${preview.count} of ${preview.requested} rows will be decided`}
          {preview.skipped.length > 0 &&
            `; skipped: ${
              preview.skipped.map((row) => `row ${row.product_id} (${REASONS[row.reason] ?? row.reason})`)
                .join(", ")
            }`}
        </p>
      )}
      <form
        class="flex flex-wrap items-center gap-2"
        onSubmit={(event) => {
          event.preventDefault();
          apply(false);
        }}
      >
        <button
          ref={approveButton}
          type="button"
          disabled={busy || count === 0}
          onClick={() => apply(true)}
          class="bg-emerald-700 text-white rounded px-4 py-2 text-sm disabled:opacity-40"
          data-testid="group-approve"
        >
          {`Approve ${rowCount(count)} as “${suggestion}”`} <kbd class="ml-1 text-xs opacity-75">A</kbd>
        </button>
        <input
          ref={correctionInput}
          value={correction}
          maxLength={500}
          aria-label="Correct value for the group"
          placeholder="Correct value (C)"
          data-testid="group-correction"
          class="border border-slate-300 rounded px-2 py-2 text-sm flex-1 min-w-48"
          onInput={(event) => setCorrection((event.target as HTMLInputElement).value)}
        />
        <button
          type="submit"
          disabled={busy || count === 0}
          data-testid="group-correct"
          class="bg-slate-900 text-white rounded px-4 py-2 text-sm disabled:opacity-40"
        >
          {`Correct ${rowCount(count)} to “${correction.trim() || "…"}”`}
        </button>
      </form>
      {error && <p class="text-red-700 text-sm" role="alert">{error}</p>}
    </section>
  );
}

/** "1 row", "2 rows". */
function rowCount(count: number): string {
  return `${count} ${count === 1 ? "row" : "rows"}`;
}
