/**
 * The standing decisions, newest first (GET /decisions): where a reviewer changes or undoes a decision
 * made pages ago. A change is a new decision with `expected_feedback_id` set to the one on screen, so a
 * decision someone made meanwhile is reported (409, both values shown) instead of overwritten; the old
 * decision stays in the history. Keys: J/K or ↓/↑ move, C changes, Enter saves, Esc cancels, U undoes.
 */
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type {
  ApiError,
  DecisionEntry,
  DecisionPage,
  DecisionWithdrawn,
  FeedbackSaved,
  KnownValue,
} from "../../contract/schemas.ts";
import { fetchJson, postJsonForStatus } from "./api_client.ts";

/** Props of {@link DecisionList}. */
export interface DecisionListProps {
  /** The first page, rendered by the server. */
  page: DecisionPage;
  /** The filters the page was asked for (kept when reading older decisions). */
  importId: number | null;
  reviewer: string | null;
}

/** An entry as shown: after an undo it may carry the label the row has again, or none. */
type Shown = DecisionEntry & { undone?: { label: string | null } };

export function DecisionList({ page, importId, reviewer }: DecisionListProps) {
  const [entries, setEntries] = useState<Shown[]>(page.items);
  const [before, setBefore] = useState<number | null>(page.next_before);
  const [selected, setSelected] = useState(0);
  const [editing, setEditing] = useState<number | null>(null);
  const [draft, setDraft] = useState("");
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);
  const [known, setKnown] = useState<string[]>([]);
  const busy = useRef(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    // A nicety: without the list, changes still work, just without completions.
    fetchJson<KnownValue[]>("/label-values").then((list) => setKnown(list.map((entry) => entry.value)))
      .catch(() => {});
  }, []);
  useLayoutEffect(() => {
    // Selected, so that typing replaces the value shown rather than adding to it; in the same commit
    // that shows the input, because a deferred effect let the next key reach the list instead.
    if (editing !== null) input.current?.select();
  }, [editing]);

  const query = (older: number | null) => {
    const params = new URLSearchParams({ limit: "50" });
    if (importId !== null) params.set("import_id", String(importId));
    if (reviewer !== null) params.set("reviewer", reviewer);
    if (older !== null) params.set("before", String(older));
    return `/decisions?${params}`;
  };

  const more = async () => {
    try {
      const next = await fetchJson<DecisionPage>(query(before));
      setEntries((now) => [...now, ...next.items]);
      setBefore(next.next_before);
    } catch (e) {
      setMessage({ text: `Cannot read older decisions: ${(e as Error).message}`, error: true });
    }
  };

  const replace = (at: number, entry: Shown) =>
    setEntries((now) => now.map((old, i) => i === at ? entry : old));

  const save = async (at: number) => {
    const entry = entries[at];
    const value = draft.trim();
    if (busy.current || !entry) return;
    if (value === "") {
      setMessage({ text: "Type the new value first", error: true });
      return;
    }
    busy.current = true;
    try {
      const { status, body } = await postJsonForStatus("/submit-feedback", {
        product_id: entry.product_id,
        approved: false,
        corrected_text: value,
        expected_feedback_id: entry.undone ? null : entry.feedback_id,
        decision_key: crypto.randomUUID(),
      });
      if (status === 201 || status === 200) {
        const saved = body as FeedbackSaved;
        replace(at, {
          ...entry,
          undone: undefined,
          feedback_id: saved.feedback_id,
          value: saved.value,
          approved: false,
          created_at: new Date().toISOString(),
        });
        setEditing(null);
        setMessage({ text: `Row ${entry.row_number} is now "${saved.value}"`, error: false });
      } else {
        const error = (body as ApiError | undefined)?.error;
        const current = error?.current_decision;
        if (current) {
          // Theirs is shown now and the editor keeps yours: Enter replaces theirs (the change is then
          // based on the decision on screen), Esc keeps it.
          replace(at, { ...entry, ...current, undone: undefined });
          setMessage({
            text:
              `Not saved: ${current.reviewer} ${
                current.approved ? "approved" : "corrected"
              } row ${entry.row_number} as "${current.value}" meanwhile. Enter replaces it with yours ("${value}"), ` +
              "Esc keeps theirs.",
            error: true,
          });
          return;
        }
        setMessage({
          text: status === 401
            ? "Not saved: your session ended. Sign in again (in a new tab) and save again."
            : (error?.message ?? `Not saved: the server answered ${status}`),
          error: true,
        });
      }
    } finally {
      busy.current = false;
    }
  };

  const undo = async (at: number) => {
    const entry = entries[at];
    if (busy.current || !entry || entry.undone) return;
    busy.current = true;
    try {
      const { status, body } = await postJsonForStatus(`/feedback/${entry.feedback_id}/undo`, {});
      if (status !== 200) {
        const error = (body as ApiError | undefined)?.error;
        if (error?.current_decision) replace(at, { ...entry, ...error.current_decision });
        setMessage({ text: error?.message ?? `Cannot undo: the server answered ${status}`, error: true });
        return;
      }
      const withdrawn = body as DecisionWithdrawn;
      replace(at, { ...entry, undone: { label: withdrawn.label } });
      setMessage({
        text: withdrawn.label === null
          ? `Undone: row ${entry.row_number} waits for review again`
          : `Undone: row ${entry.row_number} is "${withdrawn.label}" again`,
        error: false,
      });
    } finally {
      busy.current = false;
    }
  };

  const startEdit = (at: number) => {
    setSelected(at);
    setDraft(entries[at].undone ? "" : entries[at].value);
    setEditing(at);
  };

  const onKey = useRef<(event: KeyboardEvent) => void>(() => {});
  onKey.current = (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target as HTMLElement | null;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.isContentEditable)) {
      return;
    }
    const key = event.key.toLowerCase();
    if (key === "j" || key === "arrowdown") {
      event.preventDefault();
      setSelected((at) => Math.min(at + 1, entries.length - 1));
    } else if (key === "k" || key === "arrowup") {
      event.preventDefault();
      setSelected((at) => Math.max(at - 1, 0));
    } else if (key === "c" && entries[selected]) {
      event.preventDefault();
      startEdit(selected);
    } else if (key === "u" && !event.repeat) {
      event.preventDefault();
      void undo(selected);
    }
  };
  useEffect(() => {
    const listener = (event: KeyboardEvent) => onKey.current(event);
    document.addEventListener("keydown", listener);
    return () => document.removeEventListener("keydown", listener);
  }, []);
  useEffect(() => {
    document.querySelector(`[data-entry-index="${selected}"]`)?.scrollIntoView({ block: "nearest" });
  }, [selected]);

  if (entries.length === 0) {
    return (
      <p class="text-slate-600" data-testid="decisions-empty">
        No decision yet{importId ? " in this import" : ""}.
      </p>
    );
  }
  return (
    <div class="space-y-3">
      <p class="text-sm text-slate-600">
        <kbd>J</kbd>/<kbd>K</kbd> move · <kbd>C</kbd> change · <kbd>Enter</kbd> save · <kbd>Esc</kbd> cancel ·
        {" "}
        <kbd>U</kbd> undo. A change keeps the earlier decision in the history.
      </p>
      <p
        class={message?.error ? "text-red-700 text-sm" : "text-slate-700 text-sm"}
        role={message?.error ? "alert" : "status"}
        data-testid="decisions-message"
      >
        {message?.text ?? ""}
      </p>
      <datalist id="decision-values">
        {known.map((value) => <option key={value} value={value} />)}
      </datalist>
      <ol
        class="divide-y divide-slate-200 bg-white border border-slate-200 rounded-lg"
        data-testid="decisions"
      >
        {entries.map((entry, at) => (
          <li
            key={entry.product_id}
            data-entry-index={at}
            data-testid="decision-entry"
            data-product-id={entry.product_id}
            aria-current={at === selected ? "true" : undefined}
            class={`p-3 flex flex-wrap items-center gap-x-4 gap-y-2 ${at === selected ? "bg-blue-50" : ""}`}
            onClick={() => setSelected(at)}
          >
            <div class="min-w-0 flex-1 basis-64">
              <p class="wrap-anywhere line-clamp-2" title={entry.text}>{entry.text}</p>
              <p class="text-xs text-slate-600">
                Import {entry.import_id}, row {entry.row_number} · {entry.reviewer}{" "}
                {entry.approved ? "approved" : "corrected"} ·{" "}
                {entry.created_at.slice(0, 16).replace("T", " ")} UTC
              </p>
            </div>
            {editing === at
              ? (
                <form
                  class="flex flex-wrap gap-2 items-center"
                  onSubmit={(event) => {
                    event.preventDefault();
                    void save(at);
                  }}
                >
                  <label class="sr-only" for={`change-${entry.product_id}`}>New value</label>
                  <input
                    id={`change-${entry.product_id}`}
                    ref={input}
                    class="border border-slate-300 rounded px-2 py-1 w-64 max-w-full"
                    list="decision-values"
                    maxLength={500}
                    value={draft}
                    onInput={(event) => setDraft((event.target as HTMLInputElement).value)}
                    onKeyDown={(event) => {
                      if (event.key === "Escape") setEditing(null);
                    }}
                    data-testid="decision-input"
                  />
                  {draft.trim() !== "" && known.length > 0 && !known.includes(draft.trim()) && (
                    <span class="text-xs text-amber-800" data-testid="decision-new-value">new value</span>
                  )}
                  <button
                    type="submit"
                    class="bg-blue-700 text-white rounded px-3 py-1"
                    data-testid="decision-save"
                  >
                    Save
                  </button>
                  <button type="button" class="underline text-sm" onClick={() => setEditing(null)}>
                    Cancel
                  </button>
                </form>
              )
              : (
                <>
                  <span class="font-medium wrap-anywhere" data-testid="decision-value">
                    {entry.undone
                      ? (entry.undone.label === null
                        ? "undone: waits for review"
                        : `undone: ${entry.undone.label}`)
                      : entry.value}
                  </span>
                  <span class="flex gap-2">
                    <button
                      type="button"
                      class="border border-slate-300 rounded px-2 py-1 text-sm"
                      onClick={() => startEdit(at)}
                      data-testid="decision-change"
                    >
                      Change
                    </button>
                    {!entry.undone && (
                      <button
                        type="button"
                        class="border border-slate-300 rounded px-2 py-1 text-sm"
                        onClick={() => void undo(at)}
                        data-testid="decision-undo"
                      >
                        Undo
                      </button>
                    )}
                  </span>
                </>
              )}
          </li>
        ))}
      </ol>
      {before !== null && (
        <button type="button" class="underline text-blue-700" onClick={more} data-testid="decisions-more">
          Older decisions
        </button>
      )}
    </div>
  );
}
