/**
 * Decisions on their way to the server, kept until the server has stored them. Each is sent at once
 * (several in flight, never one waiting on another) with a `decision_key` the server stores it under, so
 * sending it again after a lost answer never stores it twice. A decision whose save fails stays here,
 * visible, until it is stored or the reviewer drops it:
 * - `signed_out` (401, or 403 when the session changed under the page): the flow stops until the reviewer
 *   signs in again (another tab); then `retry()` sends them again with the new session's CSRF token.
 * - `failed` (network, 5xx, 429): sent again by `retry()`, which the island also calls after a back-off.
 * - `conflict` (409 naming the decision made meanwhile by someone else): never sent again as it was;
 *   the reviewer keeps the other decision (`drop`) or replaces it knowingly (`replace`).
 * - `refused` (any other 4xx: the row was deleted, its import failed…): shown with the reason; `drop`.
 */
import type { FeedbackInput, FeedbackSaved, StoredDecision } from "../../contract/schemas.ts";

/** Where a decision not yet stored stands. */
export type OutboxState = "sending" | "failed" | "signed_out" | "conflict" | "refused";

/** One decision not yet stored. */
export interface OutboxEntry {
  key: string;
  productId: number;
  /** The row's number in its file, for messages. */
  rowNumber: number;
  body: FeedbackInput & { decision_key: string };
  state: OutboxState;
  /** The last failure's message. */
  error: string | null;
  /** The decision made meanwhile (state `conflict`). */
  current: StoredDecision | null;
  attempts: number;
}

/** What the outbox needs to send one decision: resolves to the HTTP status and parsed JSON body. */
export type SendDecision = (body: FeedbackInput) => Promise<{ status: number; body: unknown }>;

/** What a failed send is, from its HTTP status (0: no answer). */
export function classify(status: number): Exclude<OutboxState, "sending"> {
  if (status === 401 || status === 403) return "signed_out";
  if (status === 409) return "conflict";
  if (status === 0 || status === 408 || status === 429 || status >= 500) return "failed";
  return "refused";
}

/**
 * A random (version 4) UUID. crypto.randomUUID exists only in secure contexts (https, localhost), and the
 * app may be opened over plain http on a LAN; getRandomValues exists everywhere.
 */
export function randomUuid(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Decisions not yet stored; see the module comment. */
export class DecisionOutbox {
  #entries = new Map<string, OutboxEntry>();

  constructor(
    private readonly send: SendDecision,
    private readonly events: {
      /** Called whenever an entry is added, changes state or leaves. */
      changed: (entries: OutboxEntry[]) => void;
      /** Called once the server has stored an entry's decision. */
      saved: (entry: OutboxEntry, saved: FeedbackSaved) => void;
      /** Runs before a retry after a `signed_out` failure (the island refreshes its CSRF token). */
      beforeRetry?: () => Promise<void>;
    },
  ) {}

  /** Entries not yet stored, oldest first. */
  get entries(): OutboxEntry[] {
    return [...this.#entries.values()];
  }

  /** Whether any entry failed (any state but `sending`): the review flow stops until it is settled. */
  get blocked(): boolean {
    return this.entries.some((entry) => entry.state !== "sending");
  }

  /** Adds a decision and sends it at once. `body.decision_key` is set here. */
  add(decision: { productId: number; rowNumber: number; body: FeedbackInput }): OutboxEntry {
    const key = randomUuid();
    const entry: OutboxEntry = {
      key,
      productId: decision.productId,
      rowNumber: decision.rowNumber,
      body: { ...decision.body, decision_key: key },
      state: "sending",
      error: null,
      current: null,
      attempts: 0,
    };
    this.#entries.set(key, entry);
    this.#attempt(entry);
    return entry;
  }

  /** Sends every `failed` and `signed_out` entry again (after refreshing the session when signed out). */
  async retry(): Promise<void> {
    const due = this.entries.filter((entry) => entry.state === "failed" || entry.state === "signed_out");
    if (due.length === 0) return;
    if (due.some((entry) => entry.state === "signed_out")) {
      try {
        await this.events.beforeRetry?.();
      } catch {
        // Still signed out: the attempt below says so again.
      }
    }
    for (const entry of due) {
      if (entry.state === "failed" || entry.state === "signed_out") this.#attempt(entry);
    }
  }

  /** Sends a conflicting entry again as a knowing replacement of the decision made meanwhile. */
  replace(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry || entry.state !== "conflict" || !entry.current) return;
    entry.body = { ...entry.body, expected_feedback_id: entry.current.feedback_id };
    this.#attempt(entry);
  }

  /** Forgets an entry that will not be stored (a conflict kept as it is, a refused decision). */
  drop(key: string): OutboxEntry | undefined {
    const entry = this.#entries.get(key);
    if (!entry || entry.state === "sending") return undefined;
    this.#entries.delete(key);
    this.#changed();
    return entry;
  }

  #changed(): void {
    this.events.changed(this.entries);
  }

  #attempt(entry: OutboxEntry): void {
    entry.state = "sending";
    entry.attempts++;
    this.#changed();
    this.send(entry.body).then(
      ({ status, body }) => {
        // Stored only when the server says so: a 2xx page from something else (a proxy) is no answer.
        const stored = typeof (body as { feedback_id?: unknown } | undefined)?.feedback_id === "number";
        if (status >= 200 && status < 300 && !stored) status = 502;
        if (status >= 200 && status < 300) {
          this.#entries.delete(entry.key);
          this.#changed();
          this.events.saved(entry, body as FeedbackSaved);
          return;
        }
        const error = (body as { error?: { message?: string; current_decision?: StoredDecision } })?.error;
        entry.state = classify(status);
        entry.error = error?.message ?? `The server answered ${status}`;
        entry.current = error?.current_decision ?? null;
        // A 409 without a decision made meanwhile (its import is being deleted…) cannot be replaced.
        if (entry.state === "conflict" && entry.current === null) entry.state = "refused";
        this.#changed();
      },
      (error) => {
        entry.state = "failed";
        entry.error = `No answer from the server (${(error as Error).message})`;
        this.#changed();
      },
    );
  }
}
