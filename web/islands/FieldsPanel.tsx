/**
 * The fields page's island: the fields with their counts (refreshed every five seconds from GET /fields,
 * so entries being embedded and rows being matched show without a reload), links to each catalogue
 * field's review queue and entries page, and for ops a form to add a catalogue field and, per catalogue
 * field, a form to upload its reference list (POST /fields, POST /fields/:field/entries).
 */
import { useEffect, useState } from "preact/hooks";
import type { EntriesUploaded, Field, FieldList } from "../../contract/schemas.ts";
import { TableBox } from "../components/TableBox.tsx";
import { fetchJson, postJson } from "./api_client.ts";

/** Props of {@link FieldsPanel}. */
export interface FieldsPanelProps {
  /** The fields as the server saw them when rendering. */
  fields: Field[];
  /** Whether the signed-in user may add fields and upload reference lists (ops). */
  canEdit: boolean;
}

const REFRESH_MS = 5000;
const INPUT = "border border-slate-300 rounded px-2 py-1 text-sm";
const BUTTON = "bg-slate-900 text-white rounded px-3 py-1 text-sm disabled:opacity-40";

/** Lists the fields; ops add catalogue fields and upload their reference lists. */
export function FieldsPanel({ fields: initial, canEdit }: FieldsPanelProps) {
  const [fields, setFields] = useState(initial);
  const [refreshError, setRefreshError] = useState<string | null>(null);

  const refresh = async () => {
    try {
      const list = await fetchJson<FieldList>("/fields", { headers: { accept: "application/json" } });
      setFields(list.fields);
      setRefreshError(null);
    } catch (e) {
      setRefreshError((e as Error).message);
    }
  };

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      await refresh();
      if (!cancelled) timer = setTimeout(tick, REFRESH_MS);
    };
    timer = setTimeout(tick, REFRESH_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, []);

  return (
    <div class="space-y-6">
      {refreshError && <p class="text-red-700 text-sm" role="alert">Cannot refresh: {refreshError}</p>}
      <TableBox>
        <table class="w-full text-sm bg-white border border-slate-200 rounded-lg overflow-hidden">
          <thead class="bg-slate-100 text-left">
            <tr>
              <th class="px-3 py-2">Field</th>
              <th class="px-3 py-2">Kind</th>
              <th class="px-3 py-2">Seed column</th>
              <th class="px-3 py-2">Entries</th>
              <th class="px-3 py-2">Decided</th>
              <th class="px-3 py-2">Suggested</th>
              <th class="px-3 py-2">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {fields.map((field) => (
              <tr
                key={field.id}
                class="border-t border-slate-100 align-top"
                data-testid={`field-${field.name}`}
              >
                <td class="px-3 py-2 font-medium">{field.name}</td>
                <td class="px-3 py-2">{field.kind}</td>
                <td class="px-3 py-2">{field.seed_column ?? <span class="text-slate-500">—</span>}</td>
                {field.kind === "catalogue"
                  ? (
                    <>
                      <td class="px-3 py-2" data-testid="field-entries">
                        {field.entries}
                        {field.unembedded_entries > 0 && (
                          <span class="text-slate-500">
                            {` (${field.unembedded_entries} being embedded)`}
                          </span>
                        )}
                      </td>
                      <td class="px-3 py-2" data-testid="field-decided">{field.decided}</td>
                      <td class="px-3 py-2" data-testid="field-suggested">{field.suggested}</td>
                      <td class="px-3 py-2 space-y-2">
                        <a
                          class="text-blue-700 underline"
                          href={`/review/${encodeURIComponent(field.name)}`}
                          data-testid="field-review"
                        >
                          Review {field.name}
                        </a>{" "}
                        <a
                          class="text-blue-700 underline block"
                          href={`/fields/${encodeURIComponent(field.name)}/entries`}
                          data-testid="field-entries-link"
                        >
                          Entries<span class="sr-only">{` of ${field.name}`}</span>
                        </a>
                        {canEdit && <EntriesForm field={field.name} onUploaded={refresh} />}
                      </td>
                    </>
                  )
                  : (
                    <>
                      <td class="px-3 py-2 text-slate-500" colSpan={3}>
                        Labels from the classifier and reviewers
                      </td>
                      <td class="px-3 py-2">
                        <a class="text-blue-700 underline" href="/review">Review {field.name}</a>
                      </td>
                    </>
                  )}
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      {canEdit && <AddFieldForm onAdded={refresh} />}
    </div>
  );
}

/** Adds a catalogue field: its name and, optionally, the column of imported files that seeds it. */
function AddFieldForm({ onAdded }: { onAdded: () => Promise<void> }) {
  const [name, setName] = useState("");
  const [seedColumn, setSeedColumn] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setMessage(null);
    setBusy(true);
    try {
      const added = await postJson<Field>("/fields", {
        name: name.trim(),
        kind: "catalogue",
        seed_column: seedColumn.trim() === "" ? null : seedColumn.trim(),
      });
      setName("");
      setSeedColumn("");
      setMessage(`Added the field “${added.name}”: upload its reference list next`);
      await onAdded();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="bg-white border border-slate-200 rounded-lg p-4 space-y-3" onSubmit={submit}>
      <h2 class="text-lg font-semibold">Add a catalogue field</h2>
      <p class="text-sm text-slate-600">
        Each row is matched to an entry of the field's canonical list (its reference list, growing with the
        names reviewers add). The name is the export column and never changes.
      </p>
      <div class="flex flex-wrap items-end gap-3">
        <label class="text-sm space-y-1">
          <span class="block">Name</span>
          <input
            class={INPUT}
            name="name"
            required
            pattern="[a-z][a-z0-9_]{0,39}"
            maxLength={40}
            placeholder="product"
            title="1–40 lower-case letters, digits or underscores, starting with a letter"
            value={name}
            onInput={(event) => setName((event.target as HTMLInputElement).value)}
            data-testid="field-name"
          />
        </label>
        <label class="text-sm space-y-1">
          <span class="block">Seed column (optional)</span>
          <input
            class={INPUT}
            name="seed_column"
            maxLength={200}
            placeholder="none"
            value={seedColumn}
            onInput={(event) => setSeedColumn((event.target as HTMLInputElement).value)}
            data-testid="field-seed-column"
          />
        </label>
        <button type="submit" class={BUTTON} disabled={busy || name.trim() === ""} data-testid="field-add">
          Add field
        </button>
      </div>
      <p class="text-xs text-slate-500">
        Seed column: the column of files imported from now on whose values are already this field's (an upload
        can choose another, or none, in its preview).
      </p>
      {message && <p class="text-emerald-800 text-sm" role="status">{message}</p>}
      {error && <p class="text-red-700 text-sm" role="alert" data-testid="field-add-error">{error}</p>}
    </form>
  );
}

/** Uploads a catalogue field's reference list: a CSV whose `name` column (else first) holds the names. */
function EntriesForm({ field, onUploaded }: { field: string; onUploaded: () => Promise<void> }) {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const inputId = `entries-${field}`;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!file) return;
    setError(null);
    setMessage(null);
    setBusy(true);
    try {
      const result = await fetchJson<EntriesUploaded>(`/fields/${encodeURIComponent(field)}/entries`, {
        method: "POST",
        headers: { "content-type": "text/csv" },
        body: file,
      });
      setMessage(
        `Added ${result.added} of ${result.rows} entries${
          result.existing > 0 ? ` (${result.existing} already there)` : ""
        }; the worker matches the rows next`,
      );
      await onUploaded();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="space-y-1" onSubmit={submit} data-testid="entries-form">
      <label class="block text-xs text-slate-600" for={inputId}>Reference list (CSV, column “name”)</label>
      <div class="flex flex-wrap items-center gap-2">
        <input
          id={inputId}
          type="file"
          accept=".csv,.tsv,.txt,text/csv,text/plain"
          class="text-xs max-w-56"
          onChange={(event) => setFile((event.target as HTMLInputElement).files?.[0] ?? null)}
          data-testid="entries-file"
        />
        <button type="submit" class={BUTTON} disabled={busy || file === null} data-testid="entries-upload">
          Upload list
        </button>
      </div>
      {message && <p class="text-emerald-800 text-xs" role="status" data-testid="entries-done">{message}</p>}
      {error && <p class="text-red-700 text-xs" role="alert" data-testid="entries-error">{error}</p>}
    </form>
  );
}
