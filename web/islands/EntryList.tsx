/**
 * A catalogue field's entries page's island: its canonical entries (GET /fields/:field/entries) searched
 * by name as one types, a page at a time ("More" follows `next_after`), each with its attributes, where it
 * came from and how many rows are decided to it; for ops a Retire button per entry (DELETE
 * /fields/:field/entries/:id), asked to confirm, whose refusal (rows still decided to it) is shown.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type { EntryList as EntryListPage, EntryRetired } from "../../contract/schemas.ts";
import { TableBox } from "../components/TableBox.tsx";
import { fetchJson } from "./api_client.ts";

type Entry = EntryListPage["entries"][number];

/** Props of {@link EntryList}. */
export interface EntryListProps {
  /** The catalogue field's name. */
  field: string;
  /** The first page as the server read it. */
  entries: Entry[];
  nextAfter: number | null;
  /** Entries per page. */
  pageSize: number;
  /** Whether the signed-in user may retire entries (ops). */
  canRetire: boolean;
}

/** How long typing must pause before the search is sent. */
const SEARCH_DELAY_MS = 300;
const INPUT = "border border-slate-300 rounded px-2 py-1 text-sm w-72 max-w-full";
const BUTTON = "bg-slate-900 text-white rounded px-3 py-1 text-sm disabled:opacity-40";
const RETIRE = "border border-red-700 text-red-800 rounded px-2 py-0.5 text-xs disabled:opacity-40";

const SOURCES: Record<Entry["source"], string> = {
  upload: "reference list",
  seed: "seed column",
  review: "reviewer",
};

/** The entry's attributes on one line: `key: value · key: value`. */
function attributesText(attributes: Record<string, string>): string {
  return Object.entries(attributes).map(([key, value]) => `${key}: ${value}`).join(" · ");
}

/** Lists, searches and pages a catalogue field's entries; ops retire them. */
export function EntryList(
  { field, entries: initial, nextAfter: initialNext, pageSize, canRetire }: EntryListProps,
) {
  const [query, setQuery] = useState("");
  const [entries, setEntries] = useState(initial);
  const [nextAfter, setNextAfter] = useState(initialNext);
  const [loading, setLoading] = useState(false);
  const [retiring, setRetiring] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  /** Counts searches, so an answer overtaken by a later search is dropped. */
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const searchId = `entry-search-${field}`;

  const pageUrl = (q: string, after: number | null) => {
    const params = new URLSearchParams({ limit: String(pageSize) });
    if (q.trim() !== "") params.set("q", q.trim());
    if (after !== null) params.set("after", String(after));
    return `/fields/${encodeURIComponent(field)}/entries?${params}`;
  };

  const load = async (q: string, after: number | null) => {
    const mine = after === null ? ++generation.current : generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await fetchJson<EntryListPage>(pageUrl(q, after), {
        headers: { accept: "application/json" },
      });
      if (mine !== generation.current) return;
      setEntries((shown) => after === null ? page.entries : [...shown, ...page.entries]);
      setNextAfter(page.next_after);
    } catch (e) {
      if (mine === generation.current) setError((e as Error).message);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  };

  useEffect(() => () => clearTimeout(timer.current), []);

  const search = (text: string) => {
    setQuery(text);
    setStatus(null);
    clearTimeout(timer.current);
    timer.current = setTimeout(() => void load(text, null), SEARCH_DELAY_MS);
  };

  const retire = async (entry: Entry) => {
    const sure = confirm(
      `Retire “${entry.name}”? It is no longer suggested; naming it again (a reference list, a seed value, ` +
        "a reviewer) brings it back.",
    );
    if (!sure) return;
    setError(null);
    setStatus(null);
    setRetiring(entry.entry_id);
    try {
      const retired = await fetchJson<EntryRetired>(
        `/fields/${encodeURIComponent(field)}/entries/${entry.entry_id}`,
        { method: "DELETE", headers: { accept: "application/json" } },
      );
      setEntries((shown) => shown.filter((item) => item.entry_id !== retired.entry_id));
      setStatus(`Retired “${retired.name}”`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRetiring(null);
    }
  };

  return (
    <div class="space-y-4">
      <form
        class="flex flex-wrap items-end gap-3"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          clearTimeout(timer.current);
          void load(query, null);
        }}
      >
        <div class="text-sm space-y-1">
          <label class="block" for={searchId}>Search the entries by name</label>
          <input
            id={searchId}
            type="search"
            class={INPUT}
            maxLength={200}
            autoComplete="off"
            value={query}
            onInput={(event) => search((event.target as HTMLInputElement).value)}
            data-testid="entry-search"
          />
        </div>
        <span class="text-sm text-slate-600" aria-live="polite" data-testid="entry-loading">
          {loading ? "Loading…" : ""}
        </span>
      </form>
      <div role="alert" class="text-red-700 text-sm" data-testid="entry-error">{error}</div>
      {status && <p class="text-emerald-800 text-sm" role="status" data-testid="entry-status">{status}</p>}
      {entries.length === 0 && !loading
        ? (
          <p class="text-sm text-slate-600" data-testid="entry-none">
            {query.trim() === "" ? "The field has no entries yet." : "No entry's name holds that."}
          </p>
        )
        : (
          <TableBox>
            <table
              class="w-full text-sm bg-white border border-slate-200 rounded-lg overflow-hidden"
              data-testid="entry-table"
            >
              <caption class="sr-only">The entries of {field}</caption>
              <thead class="bg-slate-100 text-left">
                <tr>
                  <th class="px-3 py-2">Name</th>
                  <th class="px-3 py-2">Attributes</th>
                  <th class="px-3 py-2">Source</th>
                  <th class="px-3 py-2">Decided rows</th>
                  {canRetire && (
                    <th class="px-3 py-2">
                      <span class="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {entries.map((entry) => (
                  <tr
                    key={entry.entry_id}
                    class="border-t border-slate-100 align-top"
                    data-testid="entry-row"
                    data-entry-id={entry.entry_id}
                  >
                    <td class="px-3 py-2 font-medium" data-testid="entry-name">{entry.name}</td>
                    <td class="px-3 py-2 text-slate-700" data-testid="entry-attributes">
                      {attributesText(entry.attributes) || <span class="text-slate-500">—</span>}
                    </td>
                    <td class="px-3 py-2">{SOURCES[entry.source]}</td>
                    <td class="px-3 py-2" data-testid="entry-decided">{entry.decided}</td>
                    {canRetire && (
                      <td class="px-3 py-2">
                        <button
                          type="button"
                          class={RETIRE}
                          disabled={retiring !== null}
                          onClick={() => void retire(entry)}
                          data-testid="entry-retire"
                        >
                          Retire<span class="sr-only">{` ${entry.name}`}</span>
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
        )}
      {nextAfter !== null && (
        <button
          type="button"
          class={BUTTON}
          disabled={loading}
          onClick={() => void load(query, nextAfter)}
          data-testid="entry-more"
        >
          More
        </button>
      )}
    </div>
  );
}
