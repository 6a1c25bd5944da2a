/**
 * A catalogue field's review queue (GET /fields/:field/review), one card at a time: the row's text, the
 * suggested entry with its confidence and the runners-up. Works from the keyboard alone: 1 (or Enter, A)
 * takes the suggestion, 2–5 take the alternatives, N opens "none of these" (Enter in it creates the typed
 * canonical entry, refused while the box is empty; Esc closes it and forgets the text, as do a decision, a
 * skip and another card), S or J skips the card, U or Ctrl+Z undoes the newest decision of this
 * visit (POST /fields/:field/decisions/:id/undo, once its save has landed) and shows that card again.
 * G opens the card's group (CatalogueGroup.tsx): the other waiting rows suggested the same entry, all
 * ticked; Enter takes the suggestion for the card and the ticked rows in one decision (POST
 * /fields/:field/decisions/bulk), Esc closes it; U withdraws such a group as a whole. Each choice's key is
 * printed on its button.
 *
 * A decision shows the next card at once and is saved in the background (POST /fields/:field/decisions);
 * a save that fails is listed above the card with its reason and a Retry, never dropped silently. A card
 * is an undecided row: when someone decided it meanwhile, nothing is stored and both values are shown,
 * with Keep theirs and Replace with mine (sent again naming the decision it replaces). When the
 * page runs out the next one is read (`next_after`); past the last page the queue is read from its start
 * again (a decision re-matches the field, which can move rows behind the cursor), leaving out the cards
 * decided or skipped here. An empty queue says why, and is read again every few seconds until cards come.
 */
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type {
  ApiError,
  CatalogueBulkDecisionResult,
  CatalogueCard,
  CatalogueDecisionSaved,
  CatalogueDecisionWithdrawn,
  CatalogueReviewPage,
  EntryChoice,
  Field,
} from "../../contract/schemas.ts";
import { fetchJson, postJsonForStatus } from "./api_client.ts";
import { GroupPanel, useSuggestionGroup } from "./CatalogueGroup.tsx";

/** Props of {@link CatalogueReview}. */
export interface CatalogueReviewProps {
  /** The field with its counts as the server saw them when rendering the page. */
  field: Field;
  /** Whether the field waits for a worker to match it (new rows, entries or decisions since its last match). */
  matching: boolean;
  pageSize: number;
  /** Only the rows of this import (the page's `?import_id=`); null: every row. */
  importId?: number | null;
}

/** An empty queue is read again this often, in ms. */
const EMPTY_REFRESH_MS = 5000;
/** The alternatives offered: keys 2–5. */
const MAX_ALTERNATIVES = 4;
/** Attributes shown under a choice (brand, model number…): enough to tell look-alike entries apart. */
const MAX_ATTRIBUTES = 4;

/** A decision being saved, or whose save failed. */
interface Pending {
  card: CatalogueCard;
  body: {
    product_id: number;
    entry_id?: number;
    new_entry?: string;
    suggested_entry_id: number;
    /** The row's standing decision the reviewer knows of: null for a card of the queue. */
    expected_decision_id: number | null;
  };
  /** What the reviewer chose, as shown. */
  name: string;
  /** conflict: someone decided the row meanwhile; nothing is stored until the reviewer chooses. */
  state: "saving" | "failed" | "conflict";
  message?: string;
  /** A conflict's standing decision (null: none stands any more), which Replace with mine names. */
  current?: number | null;
}

/** A decision of this visit the server stored: what U withdraws. */
interface Stored {
  decisionId: number;
  card: CatalogueCard;
  name: string;
}

/** A line under the queue's position: what an undo did, or why a key did nothing. */
interface Hint {
  text: string;
  error: boolean;
}

/** "42%". */
function percent(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

/** The catalogue review island. */
export function CatalogueReview({ field, matching, pageSize, importId = null }: CatalogueReviewProps) {
  const [items, setItems] = useState<CatalogueCard[]>([]);
  const [index, setIndex] = useState(0);
  const [nextAfter, setNextAfter] = useState<string | null>(null);
  // The queue's length at the last read (capped: at least that many), and how many decisions this page
  // had made by then.
  const [waiting, setWaiting] = useState({ count: 0, capped: false, decidedAtRead: 0 });
  const [decidedCount, setDecidedCount] = useState(0);
  /** A read the reviewer waits for (the first, the next page); the empty queue's re-reads are quiet. */
  const [loading, setLoading] = useState(true);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [noneOpen, setNoneOpen] = useState(false);
  const [newName, setNewName] = useState("");
  const [pending, setPending] = useState<Pending[]>([]);
  const [saved, setSaved] = useState<{ productId: number; text: string; name: string; created: boolean }[]>(
    [],
  );
  const [hint, setHint] = useState<Hint | null>(null);
  const [skippedCount, setSkippedCount] = useState(0);
  // The card's group (G): open, the rows ticked, a decision of it on its way, why it was not saved.
  const [groupOpen, setGroupOpen] = useState(false);
  const [groupSelected, setGroupSelected] = useState<Set<number>>(new Set());
  const [groupBusy, setGroupBusy] = useState(false);
  const [groupMessage, setGroupMessage] = useState<string | null>(null);
  // Cards decided or skipped here: never shown twice on this visit (Start over forgets the skipped ones).
  const decidedIds = useRef(new Set<number>());
  const skippedIds = useRef(new Set<number>());
  // The rows decided on this visit, in the order of their decisions (what U undoes: the last), and the
  // decisions among them the server stored.
  const decidedOrder = useRef<number[]>([]);
  const stored = useRef(new Map<number, Stored>());
  // The rows of a group decided at once (G), by each of its rows, the group's card first: U withdraws
  // them together.
  const groups = useRef(new Map<number, number[]>());
  // An undo waiting for its answer: a second U does not send it again.
  const undoing = useRef(false);
  // Which read may still change the cards: an answer to an older one is dropped.
  const generation = useRef(0);
  const noneInput = useRef<HTMLInputElement>(null);
  const saving = pending.filter((entry) => entry.state === "saving").length;
  const failed = pending.length - saving;
  // The cards as this render shows them, for an answer that comes back after later renders.
  const view = useRef({ items, index });
  view.current = { items, index };

  /**
   * Reads pages from `after` (the queue's start when null) until one has a card not yet decided or
   * skipped here, or the queue ends; shows what it found.
   */
  const read = useCallback(async (after: string | null, quiet = false) => {
    const mine = ++generation.current;
    if (!quiet) setLoading(true);
    const decidedAtRead = decidedIds.current.size;
    try {
      let cursor = after;
      let fromStart = after === null;
      while (true) {
        const params = new URLSearchParams({ limit: String(pageSize) });
        if (cursor) params.set("after", cursor);
        if (importId !== null) params.set("import_id", String(importId));
        const page = await fetchJson<CatalogueReviewPage>(
          `/fields/${encodeURIComponent(field.name)}/review?${params}`,
        );
        if (mine !== generation.current) return;
        const fresh = page.items.filter((card) =>
          !decidedIds.current.has(card.product_id) && !skippedIds.current.has(card.product_id)
        );
        setWaiting({ count: page.waiting, capped: page.waiting_capped, decidedAtRead });
        if (fresh.length > 0 || (page.next_after === null && fromStart)) {
          setItems(fresh);
          setIndex(0);
          setNextAfter(page.next_after);
          setLoadError(null);
          return;
        }
        if (page.next_after === null) {
          // The end of the queue: once more from its start, for rows a re-match moved behind the cursor.
          cursor = null;
          fromStart = true;
        } else {
          cursor = page.next_after;
        }
      }
    } catch (e) {
      if (mine !== generation.current) return;
      setItems([]);
      setLoadError(`Cannot load the queue: ${(e as Error).message}`);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, [field.name, pageSize, importId]);

  useEffect(() => {
    read(null);
  }, [read]);

  const current = items[index] as CatalogueCard | undefined;
  const alternatives = current ? current.alternatives.slice(0, MAX_ALTERNATIVES) : [];
  const group = useSuggestionGroup(
    field.name,
    importId,
    current,
    () => new Set([...decidedIds.current, ...skippedIds.current]),
  );
  const groupRows = group?.rows.filter((row) => !decidedIds.current.has(row.product_id)) ?? [];

  // An empty queue fills as the worker matches: read it again every few seconds until cards come.
  const empty = !loading && !current;
  useEffect(() => {
    if (!empty || loadError) return;
    const timer = setInterval(() => read(null, true), EMPTY_REFRESH_MS);
    return () => clearInterval(timer);
  }, [empty, loadError, read]);

  /**
   * Closes "none of these" and forgets what was typed in it, so a later N opens an empty box: a name typed
   * and abandoned must never be created by a later Enter.
   */
  const closeNone = () => {
    setNoneOpen(false);
    setNewName("");
    setError(null);
  };
  useEffect(() => closeNone(), [current?.product_id]);
  const closeGroup = () => {
    setGroupOpen(false);
    setGroupMessage(null);
  };
  useEffect(() => closeGroup(), [current?.product_id]);
  const openGroup = () => {
    if (groupRows.length === 0) return;
    closeNone();
    setGroupSelected(new Set(groupRows.map((row) => row.product_id)));
    setGroupMessage(null);
    setGroupOpen(true);
  };
  // Before the browser paints the box: a reviewer who types right after N must not send the first
  // letters to the page's keys (A would take the suggestion).
  useLayoutEffect(() => {
    if (noneOpen) noneInput.current?.focus();
  }, [noneOpen]);

  /** The next card of the page, else the next page, else the queue again from its start. */
  const advance = () => {
    if (index + 1 < items.length) {
      setIndex(index + 1);
      return;
    }
    // No key acts on this page's cards while the next one loads.
    setItems([]);
    setIndex(0);
    void read(nextAfter);
  };

  const send = async (entry: Pending) => {
    const { status, body } = await postJsonForStatus(
      `/fields/${encodeURIComponent(field.name)}/decisions`,
      entry.body,
    ).catch((e) => ({ status: 0, body: { error: { message: (e as Error).message } } }));
    if (status === 200 || status === 201) {
      const decision = body as CatalogueDecisionSaved;
      stored.current.set(entry.card.product_id, {
        decisionId: decision.decision_id,
        card: entry.card,
        name: decision.entry.name,
      });
      setPending((now) => now.filter((other) => other !== entry));
      setSaved((now) =>
        [
          {
            productId: entry.card.product_id,
            text: entry.card.text,
            name: decision.entry.name,
            created: decision.created_entry,
          },
          ...now,
        ].slice(0, 5)
      );
      return;
    }
    const error = (body as Partial<ApiError> | undefined)?.error;
    const message = error?.message ??
      (status === 401 ? "You are signed out: sign in again in another tab, then Retry" : `error ${status}`);
    const failedEntry: Pending = status === 409
      ? { ...entry, state: "conflict", message, current: error?.current_decision_id ?? null }
      : { ...entry, state: "failed", message };
    setPending((now) => now.map((other) => other === entry ? failedEntry : other));
  };

  /** The row leaves this visit's decisions: U no longer reaches it. */
  const forget = (productId: number) => {
    decidedOrder.current = decidedOrder.current.filter((id) => id !== productId);
    stored.current.delete(productId);
  };

  const retry = (entry: Pending) => {
    const again: Pending = { ...entry, state: "saving", message: undefined };
    setPending((now) => now.map((other) => other === entry ? again : other));
    void send(again);
  };

  const dismiss = (entry: Pending) => {
    // Not stored: the row waits in the queue and comes back on a later read.
    decidedIds.current.delete(entry.card.product_id);
    setDecidedCount(decidedIds.current.size);
    forget(entry.card.product_id);
    setPending((now) => now.filter((other) => other !== entry));
  };

  /** Keep theirs: the row stays as the other reviewer decided it (not a decision of this visit). */
  const keepTheirs = (entry: Pending) => {
    forget(entry.card.product_id);
    setPending((now) => now.filter((other) => other !== entry));
  };

  /** Replace with mine: sent again, naming the decision it replaces (a conflict again if that changed too). */
  const replaceTheirs = (entry: Pending) => {
    const again: Pending = {
      ...entry,
      body: { ...entry.body, expected_decision_id: entry.current ?? null },
      state: "saving",
      message: undefined,
      current: undefined,
    };
    setPending((now) => now.map((other) => other === entry ? again : other));
    void send(again);
  };

  /**
   * Withdraws the newest decision of this visit and shows its card again (undecided), or says what the
   * row holds again (a decision before it, its file's value). A group decided at once (G) is one action:
   * every row of it is withdrawn, and the cards come back with the group's own card first. A decision
   * still being saved, or not saved, is not undone: the reviewer is told why.
   */
  const undo = async () => {
    if (undoing.current) return;
    const target = decidedOrder.current.at(-1);
    if (target === undefined) {
      setHint({ text: "Nothing to undo: no decision on this visit yet", error: false });
      return;
    }
    const unsaved = pending.find((entry) => entry.card.product_id === target);
    const done = stored.current.get(target);
    if (unsaved || !done) {
      setHint({
        text: unsaved?.state === "saving" || !unsaved
          ? "Not undone: your last decision is still being saved; press U again in a moment"
          : "Not undone: your last decision is not saved (see above)",
        error: true,
      });
      return;
    }
    const members = (groups.current.get(target) ?? [target]).filter((id) => stored.current.has(id));
    undoing.current = true;
    setHint({
      text: members.length > 1 ? `Undoing ${members.length} decisions…` : `Undoing “${done.name}”…`,
      error: false,
    });
    try {
      const back: CatalogueCard[] = [];
      let restoredText = "";
      for (const id of members) {
        const decision = stored.current.get(id)!;
        const { status, body } = await postJsonForStatus(
          `/fields/${encodeURIComponent(field.name)}/decisions/${decision.decisionId}/undo`,
          {},
        ).catch((e) => ({ status: 0, body: { error: { message: (e as Error).message } } }));
        if (status !== 200) {
          const message = (body as Partial<ApiError> | undefined)?.error?.message ??
            `the server answered ${status}`;
          setHint({
            text: `Not undone: ${message}${
              back.length > 0 ? ` (${back.length} of the group's rows were)` : ""
            }`,
            error: true,
          });
          break;
        }
        const withdrawn = body as CatalogueDecisionWithdrawn;
        forget(id);
        groups.current.delete(id);
        setSaved((now) => now.filter((entry) => entry.productId !== id));
        if (withdrawn.restored) {
          // Decided before (or by its file): the row is that again, and is no card of the queue.
          restoredText = `“${decision.name}” is withdrawn; the row is “${withdrawn.restored.name}” again (${
            withdrawn.restored.source === "seed" ? "its file's value" : "the decision before"
          })`;
          continue;
        }
        decidedIds.current.delete(id);
        back.push(decision.card);
      }
      setDecidedCount(decidedIds.current.size);
      if (back.length === 0) {
        if (restoredText) setHint({ text: `Undone: ${restoredText}`, error: false });
        return;
      }
      // The cards come back on screen before the one shown; a read still on its way is dropped (the
      // cursor it followed is read again once the cards are decided).
      generation.current++;
      setLoading(false);
      const { items: shown, index: at } = view.current;
      const returning = new Set(back.map((card) => card.product_id));
      // Before the card on screen, found by its row: a decided card may sit earlier in the list, and
      // taking it out shifts the positions after it.
      const onScreen = shown[at]?.product_id;
      const rest = shown.filter((card) => !returning.has(card.product_id));
      const found = rest.findIndex((card) => card.product_id === onScreen);
      const place = found >= 0 ? found : rest.length;
      setItems([...rest.slice(0, place), ...back, ...rest.slice(place)]);
      setIndex(place);
      setError(null);
      setHint({
        text: back.length > 1
          ? `Undone: ${back.length} decisions of the group; their cards wait for a decision again`
          : `Undone: “${back[0].text.slice(0, 200)}” → “${
            stored.current.get(back[0].product_id)?.name ?? done.name
          }”; the card waits for a decision again`,
        error: false,
      });
    } finally {
      undoing.current = false;
    }
  };

  /** One decision on `card`: an entry it offers, or a new canonical name. */
  const decide = (card: CatalogueCard | undefined, choice: EntryChoice | { new_entry: string }) => {
    if (!card || decidedIds.current.has(card.product_id)) return;
    let body: Pending["body"];
    // A card of the queue is undecided: a decision made on it meanwhile by someone else is a conflict.
    const expected_decision_id = null;
    let name: string;
    if ("new_entry" in choice) {
      name = choice.new_entry.trim();
      if (name === "") {
        setError("Type the name of the new entry first");
        noneInput.current?.focus();
        return;
      }
      body = {
        product_id: card.product_id,
        new_entry: name,
        suggested_entry_id: card.suggestion.entry_id,
        expected_decision_id,
      };
    } else {
      name = choice.name;
      body = {
        product_id: card.product_id,
        entry_id: choice.entry_id,
        suggested_entry_id: card.suggestion.entry_id,
        expected_decision_id,
      };
    }
    decidedIds.current.add(card.product_id);
    decidedOrder.current = [...decidedOrder.current.filter((id) => id !== card.product_id), card.product_id];
    setDecidedCount(decidedIds.current.size);
    closeNone();
    setHint(null);
    const entry: Pending = { card, body, name, state: "saving" };
    setPending((now) => [...now, entry]);
    void send(entry);
    advance();
  };

  /**
   * The card's suggestion for the card and the group's ticked rows, in one decision; rows decided or
   * re-matched meanwhile are left alone by the server and counted in the hint. The group is the visit's
   * newest action: U withdraws all of its decisions together.
   */
  const decideGroup = async () => {
    const card = current;
    if (!card || !group || groupBusy) return;
    const rows = groupRows.filter((row) => groupSelected.has(row.product_id));
    setGroupBusy(true);
    setGroupMessage(null);
    const { status, body } = await postJsonForStatus(
      `/fields/${encodeURIComponent(field.name)}/decisions/bulk`,
      {
        product_ids: [card.product_id, ...rows.map((row) => row.product_id)],
        entry_id: card.suggestion.entry_id,
        expected_entry_id: card.suggestion.entry_id,
      },
    ).catch((e) => ({ status: 0, body: { error: { message: (e as Error).message } } }));
    setGroupBusy(false);
    if (status !== 201) {
      const message = (body as Partial<ApiError> | undefined)?.error?.message ??
        `the server answered ${status}`;
      setGroupMessage(`Not saved: ${message}`);
      return;
    }
    const result = body as CatalogueBulkDecisionResult;
    const name = result.entry?.name ?? card.suggestion.name;
    const cards = new Map([card, ...rows].map((row) => [row.product_id, row]));
    // The card first, so that an undo shows it first; the action is newest as a whole.
    const members = [
      ...result.product_ids.filter((id) => id === card.product_id),
      ...result.product_ids.filter((id) => id !== card.product_id),
    ];
    result.product_ids.forEach((id, k) => {
      decidedIds.current.add(id);
      stored.current.set(id, { decisionId: result.decision_ids[k], card: cards.get(id)!, name });
      groups.current.set(id, members);
    });
    decidedOrder.current = [...decidedOrder.current.filter((other) => !members.includes(other)), ...members];
    setDecidedCount(decidedIds.current.size);
    setSaved((now) =>
      [
        ...result.product_ids.map((id) => ({
          productId: id,
          text: cards.get(id)!.text,
          name,
          created: false,
        }))
          .reverse(),
        ...now,
      ].slice(0, 5)
    );
    setGroupOpen(false);
    const left = result.skipped.length;
    setHint({
      text: `Decided ${result.count} row${result.count === 1 ? "" : "s"} as “${name}”${
        left > 0 ? `; ${left} left alone (decided or matched again meanwhile)` : ""
      }`,
      error: false,
    });
    // On to the first card after this one that the group did not take.
    const { items: shown, index: at } = view.current;
    const rest = shown.filter((other, k) => k > at && !decidedIds.current.has(other.product_id));
    setItems(rest);
    setIndex(0);
    if (rest.length === 0) void read(nextAfter);
  };

  const skip = () => {
    if (!current) return;
    skippedIds.current.add(current.product_id);
    setSkippedCount(skippedIds.current.size);
    closeNone();
    setHint(null);
    advance();
  };

  const startOver = () => {
    skippedIds.current = new Set();
    setSkippedCount(0);
    void read(null);
  };

  // One listener calls the handler of the latest render, so a key always acts on the card on screen.
  const onKeyRef = useRef<(event: KeyboardEvent) => void>(() => {});
  onKeyRef.current = (event: KeyboardEvent) => {
    const target = event.target as HTMLElement;
    const typing = target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT";
    // Ctrl+Z (⌘Z) outside a text field undoes the newest decision, as U does.
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !typing && event.key.toLowerCase() === "z") {
      event.preventDefault();
      if (!event.repeat) void undo();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // While the group is open its keys come first (its checkboxes are inputs): Enter decides it, Esc
    // closes it; a focused button keeps its own Enter.
    if (groupOpen) {
      if (event.key === "Escape") {
        event.preventDefault();
        closeGroup();
      } else if (event.key === "Enter" && target.tagName !== "BUTTON") {
        event.preventDefault();
        if (!event.repeat) void decideGroup();
      }
      return;
    }
    if (typing) {
      if (event.key === "Escape" && target === noneInput.current) {
        event.preventDefault();
        closeNone();
      } else if (event.key === "Escape") {
        target.blur();
      }
      return;
    }
    const key = event.key.toLowerCase();
    // Also with no card on screen: the last card decided brings the empty queue, and U brings it back.
    if (key === "u") {
      event.preventDefault();
      if (!event.repeat) void undo();
      return;
    }
    if (!current) return;
    // Esc with the box open but not focused (after a click elsewhere on the card) closes it too.
    if (key === "escape" && noneOpen) {
      event.preventDefault();
      closeNone();
      return;
    }
    // Enter on a focused button or link is that control's own action.
    if (key === "enter" && (target.tagName === "BUTTON" || target.tagName === "A")) return;
    const take = (choice: EntryChoice | undefined) => {
      event.preventDefault();
      // A held key repeats: one press is one decision.
      if (!event.repeat && choice) decide(current, choice);
    };
    if (key === "1" || key === "a" || key === "enter") take(current.suggestion);
    else if (/^[2-5]$/.test(key)) take(alternatives[Number(key) - 2]);
    else if (key === "n") {
      event.preventDefault();
      setNoneOpen(true);
      noneInput.current?.focus();
    } else if (key === "g") {
      event.preventDefault();
      openGroup();
    } else if (key === "s" || key === "j") {
      event.preventDefault();
      if (!event.repeat) skip();
    }
  };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => onKeyRef.current(event);
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const problems = failed > 0 && (
    <section
      class="bg-red-50 border border-red-300 rounded-lg p-4 space-y-2 text-sm"
      data-testid="catalogue-failed"
    >
      <h2 class="font-medium text-red-800">
        {failed} decision{failed === 1 ? " is" : "s are"} not saved
      </h2>
      <ul class="space-y-2">
        {pending.filter((entry) => entry.state === "conflict").map((entry) => (
          <li
            key={entry.card.product_id}
            class="flex flex-wrap items-center gap-2"
            data-testid="catalogue-conflict"
            data-product-id={entry.card.product_id}
          >
            <span class="wrap-anywhere">
              “{entry.card.text}”: <span role="alert">{entry.message}</span>. Yours: “{entry.name}”.
            </span>
            <button
              type="button"
              class="border border-slate-300 bg-white rounded px-2 py-1"
              onClick={() => keepTheirs(entry)}
              data-testid="keep-theirs"
            >
              Keep theirs
            </button>
            <button
              type="button"
              class="border border-slate-300 bg-white rounded px-2 py-1"
              onClick={() => replaceTheirs(entry)}
              data-testid="replace-theirs"
            >
              Replace with mine
            </button>
          </li>
        ))}
        {pending.filter((entry) => entry.state === "failed").map((entry) => (
          <li key={entry.card.product_id} class="flex flex-wrap items-center gap-2">
            <span class="wrap-anywhere">
              “{entry.card.text}” → “{entry.name}”: <span role="alert">{entry.message}</span>
            </span>
            <button
              type="button"
              class="border border-slate-300 bg-white rounded px-2 py-1"
              onClick={() =>
                retry(entry)}
            >
              Retry
            </button>
            <button
              type="button"
              class="border border-slate-300 bg-white rounded px-2 py-1"
              onClick={() =>
                dismiss(entry)}
            >
              Leave undecided
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
  const status = (
    <span
      data-testid="catalogue-save-status"
      data-saving={saving}
      data-failed={failed}
      aria-live="polite"
      class={failed > 0 ? "text-red-700 font-medium" : ""}
    >
      {saving > 0
        ? `Saving ${saving} decision${saving === 1 ? "" : "s"}…`
        : failed > 0
        ? `${failed} not saved (see above)`
        : saved.length > 0
        ? "All saved"
        : ""}
    </span>
  );
  // What an undo did (or why a key did nothing), with the way to undo by pointer.
  const undoLine = (hint || saved.length > 0) && (
    <p class="text-sm flex flex-wrap items-center gap-3">
      {hint && (
        <span
          class={hint.error ? "text-red-700" : "text-slate-700"}
          role={hint.error ? "alert" : "status"}
          data-testid="catalogue-hint"
        >
          {hint.text}
        </span>
      )}
      {saved.length > 0 && (
        <button
          type="button"
          class="border border-slate-300 text-slate-700 rounded px-3 py-1"
          onClick={() => void undo()}
          data-testid="undo"
        >
          Undo the last decision <kbd class="ml-1 text-xs opacity-75">U</kbd>
        </button>
      )}
    </p>
  );
  const recent = saved.length > 0 && (
    <section class="text-sm text-slate-600">
      <h2 class="sr-only">Decided on this visit</h2>
      <ul class="space-y-1" data-testid="catalogue-recent">
        {saved.map((entry, at) => (
          <li key={at} class="wrap-anywhere">
            ✓ “{entry.text}” → {entry.name}
            {entry.created ? " (new entry)" : ""}
          </li>
        ))}
      </ul>
    </section>
  );

  const left = Math.max(waiting.count - (decidedCount - waiting.decidedAtRead), 0);
  // Past 10,000 the server stops counting: "10,000+".
  const waitingText = waiting.capped ? `${waiting.count.toLocaleString("en")}+` : String(left);
  if (loading && !current) {
    return (
      <div class="space-y-4">
        {problems}
        <p class="text-slate-500" role="status">Loading the queue…</p>
      </div>
    );
  }
  if (!current) {
    return (
      <div class="space-y-4">
        {problems}
        <div class="bg-white border border-slate-200 rounded-lg p-6 space-y-2" data-testid="catalogue-empty">
          {loadError ? <p class="font-medium text-red-700" role="alert">{loadError}</p> : (
            <>
              <p class="font-medium">{emptyReason(field, matching, left, skippedCount)}</p>
              <p class="text-sm text-slate-600">
                {skippedCount > 0
                  ? `You skipped ${skippedCount} card${skippedCount === 1 ? "" : "s"} on this visit. `
                  : "Cards appear here by themselves once the worker has suggestions (checked every 5 s). "}
              </p>
            </>
          )}
          <p class="text-sm flex flex-wrap gap-3">
            <button type="button" class="text-blue-700 underline" onClick={() => read(null)}>Refresh</button>
            {skippedCount > 0 && (
              <button
                type="button"
                class="text-blue-700 underline"
                onClick={startOver}
                data-testid="start-over"
              >
                Show the skipped cards again
              </button>
            )}
          </p>
        </div>
        <p class="text-sm">{status}</p>
        {undoLine}
        {recent}
      </div>
    );
  }

  const choiceButton = (choice: EntryChoice, key: string, primary: boolean, testId: string) => (
    <button
      type="button"
      // The second click of a double-click lands on the next card's button: not a decision.
      onClick={(event) => {
        if (event.detail <= 1) decide(current, choice);
      }}
      class={`w-full text-left rounded px-3 py-2 text-sm flex items-center gap-3 ${
        primary ? "bg-emerald-700 text-white" : "border border-slate-300 bg-white hover:bg-slate-100"
      }`}
      data-testid={testId}
      data-entry-id={choice.entry_id}
    >
      <kbd class="shrink-0 rounded border border-current px-1.5 text-xs">{key}</kbd>
      <span class="flex-1 min-w-0">
        <span class="block wrap-anywhere" data-testid="choice-name">{choice.name}</span>
        <ChoiceAttributes attributes={choice.attributes} />
      </span>
      <span class="shrink-0 text-xs">{percent(choice.confidence)}</span>
    </button>
  );
  const columns = Object.entries(current.data);

  return (
    <div class="space-y-4">
      {problems}
      <div class="flex flex-wrap items-center justify-between gap-2 text-sm text-slate-600">
        <span data-testid="catalogue-position">
          Card {index + 1} of {items.length} on this page · {waitingText} waiting
        </span>
        {status}
      </div>
      {undoLine}
      {/* The card changes without a page load: a screen reader hears the new one here. */}
      <p class="sr-only" aria-live="polite" data-testid="catalogue-announcement">
        {`Card ${index + 1}: ${current.text.slice(0, 200)}. Suggestion ${current.suggestion.name}, ${
          percent(current.suggestion.confidence)
        }.`}
      </p>
      <article
        class="bg-white border-2 border-slate-900 rounded-lg p-5 space-y-4"
        data-testid="catalogue-card"
        data-product-id={current.product_id}
        aria-labelledby="catalogue-card-text"
      >
        <h2
          id="catalogue-card-text"
          class="text-lg font-semibold wrap-anywhere line-clamp-3"
          title={current.text}
          data-testid="catalogue-card-text"
        >
          {current.text || "(no text)"}
        </h2>
        <div>
          <p class="text-xs text-slate-500 mb-1">Suggestion</p>
          {choiceButton(current.suggestion, "1", true, "choice-suggestion")}
        </div>
        {alternatives.length > 0 && (
          <div>
            <p class="text-xs text-slate-500 mb-1">Alternatives</p>
            <ul class="space-y-1">
              {alternatives.map((choice, at) => (
                <li key={choice.entry_id}>
                  {choiceButton(choice, String(at + 2), false, `choice-${at + 2}`)}
                </li>
              ))}
            </ul>
          </div>
        )}
        {groupOpen && group
          ? (
            <GroupPanel
              card={current}
              group={{ ...group, rows: groupRows }}
              selected={groupSelected}
              onToggle={(id) =>
                setGroupSelected((now) => {
                  const next = new Set(now);
                  if (!next.delete(id)) next.add(id);
                  return next;
                })}
              onApply={() => void decideGroup()}
              onClose={closeGroup}
              busy={groupBusy}
              message={groupMessage}
            />
          )
          : groupRows.length > 0 && (
            <button
              type="button"
              class="w-full text-left border border-emerald-700 text-emerald-800 rounded px-3 py-2 text-sm"
              onClick={openGroup}
              data-testid="group-offer"
              data-count={groupRows.length}
            >
              {groupRows.length} more row{groupRows.length === 1 ? " is" : "s are"}{" "}
              suggested this entry: decide them with this card <kbd class="ml-1 text-xs opacity-75">G</kbd>
            </button>
          )}
        {noneOpen
          ? (
            <form
              class="flex flex-wrap items-center gap-2"
              onSubmit={(event) => {
                event.preventDefault();
                decide(current, { new_entry: newName });
              }}
            >
              <label class="text-sm" for="catalogue-new-entry">New entry</label>
              <input
                id="catalogue-new-entry"
                ref={noneInput}
                value={newName}
                maxLength={500}
                placeholder="The canonical name"
                autocomplete="off"
                data-testid="new-entry"
                class="border border-slate-300 rounded px-2 py-2 text-sm flex-1 min-w-48"
                onInput={(event) => setNewName((event.target as HTMLInputElement).value)}
              />
              <button
                type="submit"
                class="bg-slate-900 text-white rounded px-4 py-2 text-sm"
                data-testid="create-entry"
              >
                Create and choose <kbd class="ml-1 text-xs opacity-75">Enter</kbd>
              </button>
              <button
                type="button"
                class="border border-slate-300 rounded px-3 py-2 text-sm"
                onClick={closeNone}
                data-testid="cancel-new-entry"
              >
                Cancel <kbd class="ml-1 text-xs opacity-75">Esc</kbd>
              </button>
            </form>
          )
          : (
            <div class="flex flex-wrap gap-2">
              <button
                type="button"
                class="border border-slate-300 rounded px-3 py-2 text-sm"
                onClick={() => setNoneOpen(true)}
                data-testid="none-of-these"
              >
                None of these <kbd class="ml-1 text-xs opacity-75">N</kbd>
              </button>
              <button
                type="button"
                class="border border-slate-300 rounded px-3 py-2 text-sm"
                onClick={skip}
                data-testid="skip"
              >
                Skip <kbd class="ml-1 text-xs opacity-75">S</kbd>
              </button>
            </div>
          )}
        {error && <p class="text-red-700 text-sm" role="alert">{error}</p>}
        {columns.length > 0 && (
          <dl class="grid grid-cols-[minmax(6rem,max-content)_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm">
            {columns.map(([column, value]) => [
              <dt key={`t-${column}`} class="text-slate-500 wrap-anywhere">{column}</dt>,
              <dd key={`d-${column}`} class="wrap-anywhere">
                {value === null || value === undefined || value === ""
                  ? <span class="text-slate-500">—</span>
                  : String(value)}
              </dd>,
            ])}
          </dl>
        )}
      </article>
      <p class="text-xs text-slate-500">
        Keys: <kbd>1</kbd>/<kbd>A</kbd>/<kbd>Enter</kbd> take the suggestion · <kbd>2</kbd>–<kbd>5</kbd>{" "}
        take an alternative · <kbd>N</kbd> none of these (<kbd>Enter</kbd> creates the entry, <kbd>Esc</kbd>
        {" "}
        closes) · <kbd>G</kbd> the rows suggested the same entry (<kbd>Enter</kbd>{" "}
        decides them with the card) · <kbd>S</kbd>/<kbd>J</kbd> skip · <kbd>U</kbd>/<kbd>Ctrl+Z</kbd>{" "}
        undo the last decision
      </p>
      {recent}
    </div>
  );
}

/**
 * A choice's first few attributes on one wrapping line, each value cut to the line's width with an
 * ellipsis (its whole text in the tooltip); text only, escaped as any text Preact renders.
 */
function ChoiceAttributes({ attributes }: { attributes: Record<string, string> | undefined }) {
  const shown = Object.entries(attributes ?? {}).filter(([, value]) => value !== "").slice(0, MAX_ATTRIBUTES);
  if (shown.length === 0) return null;
  return (
    <span class="flex flex-wrap gap-x-3 text-xs" data-testid="choice-attributes">
      {shown.map(([name, value]) => (
        <span
          key={name}
          class="max-w-full sm:max-w-64 truncate"
          title={`${name}: ${value}`}
          data-testid="choice-attribute"
        >
          {name}: {value}
        </span>
      ))}
    </span>
  );
}

/** Why the queue is empty, from the field's counts when the page was rendered and the last read. */
export function emptyReason(field: Field, matching: boolean, waiting: number, skipped: number): string {
  if (skipped > 0 && waiting > 0) return "No card left but the ones you skipped.";
  if (field.entries === 0) {
    return `No suggestions yet: “${field.name}” has no entries. Upload its reference list on the Fields ` +
      "page, or import rows with its seed column.";
  }
  if (waiting > 0) {
    return `${waiting} row${waiting === 1 ? " waits" : "s wait"} with no entry close enough to suggest: ` +
      "add entries to the reference list.";
  }
  if (matching || field.unembedded_entries > 0) {
    return "No suggestions yet: the worker is matching the rows to the entries.";
  }
  return field.decided > 0
    ? `Nothing waits: every matched row of “${field.name}” is decided.`
    : `Nothing waits: no rows are matched to “${field.name}” yet (rows are matched once imported and embedded).`;
}
