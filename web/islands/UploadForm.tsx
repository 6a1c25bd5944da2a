/**
 * Upload form: previews the file's header in the browser, lets the user pick the text columns and the
 * label column, uploads the file as the request body (so the server streams it) with upload progress,
 * then follows the embedding progress of the new import until it is done.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import Papa from "papaparse";
import type { ApiError, ImportCreated, ImportProgress } from "../../contract/schemas.ts";
// A pure function with no runtime APIs: the preview preselects the same columns the server would.
import { chooseTextColumns } from "../lib/text_columns.ts";
import { csrfToken, fetchJson } from "./api_client.ts";

/** Props of {@link UploadForm}. */
export interface UploadFormProps {
  maxUploadBytes: number;
}

interface Preview {
  file: File;
  columns: string[];
  rows: string[][];
}

type Phase =
  | { kind: "idle" }
  | { kind: "uploading"; percent: number }
  | { kind: "importing" }
  | { kind: "embedding"; created: ImportCreated; progress?: ImportProgress }
  | { kind: "done"; created: ImportCreated; progress: ImportProgress }
  | { kind: "failed"; message: string; details?: string[] };

const PREVIEW_BYTES = 64 * 1024;

async function readPreview(file: File): Promise<Preview> {
  const text = await file.slice(0, PREVIEW_BYTES).text();
  const parsed = Papa.parse<string[]>(text, { skipEmptyLines: "greedy", preview: 6 });
  const [header = [], ...rows] = parsed.data;
  return { file, columns: header.map((name) => name.trim()), rows };
}

function upload(url: string, file: File, onProgress: (percent: number) => void): Promise<ImportCreated> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", url);
    request.setRequestHeader("content-type", "text/csv");
    request.setRequestHeader("x-csrf-token", csrfToken());
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(Math.floor((event.loaded / event.total) * 100));
    };
    request.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(request.responseText);
      } catch {
        body = undefined;
      }
      if (request.status === 201) resolve(body as ImportCreated);
      else {
        const error = (body as ApiError | undefined)?.error;
        reject(Object.assign(new Error(error?.message ?? `Upload failed (${request.status})`), {
          details: error?.details,
        }));
      }
    };
    request.onerror = () => reject(new Error("Upload failed: the server could not be reached"));
    request.send(file);
  });
}

/** The upload form island. */
export function UploadForm({ maxUploadBytes }: UploadFormProps) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [textColumns, setTextColumns] = useState<string[]>([]);
  const [labelColumn, setLabelColumn] = useState("");
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const polling = useRef<ReturnType<typeof setTimeout>>();

  useEffect(() => () => clearTimeout(polling.current), []);

  const onFile = async (event: Event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    setPhase({ kind: "idle" });
    if (!file) return setPreview(null);
    if (file.size > maxUploadBytes) {
      setPreview(null);
      return setPhase({
        kind: "failed",
        message: `The file is larger than the limit of ${maxUploadBytes} bytes`,
      });
    }
    const next = await readPreview(file);
    setPreview(next);
    const guess = /categor|label|class|group|type/i;
    const label = next.columns.find((name) => guess.test(name)) ?? "";
    setLabelColumn(label);
    setTextColumns(chooseTextColumns(
      next.columns.map((name, index) => ({ name, values: next.rows.map((row) => row[index] ?? "") })),
      label || undefined,
    ));
  };

  const follow = (created: ImportCreated) => {
    const poll = async () => {
      try {
        const progress = await fetchJson<ImportProgress>(`/imports/${created.import_id}`);
        if (progress.embedded_count + progress.failed_count >= progress.row_count) {
          setPhase({ kind: "done", created, progress });
          globalThis.dispatchEvent(new CustomEvent("csv-sorter:imported"));
          return;
        }
        setPhase({ kind: "embedding", created, progress });
      } catch {
        // A missed poll is retried; the import itself is already safe in the database.
      }
      polling.current = setTimeout(poll, 1000);
    };
    setPhase({ kind: "embedding", created });
    poll();
  };

  const onSubmit = async (event: Event) => {
    event.preventDefault();
    if (!preview) return;
    const params = new URLSearchParams({ file_name: preview.file.name });
    if (textColumns.length > 0) params.set("text_columns", textColumns.join(","));
    if (labelColumn) params.set("label_column", labelColumn);
    setPhase({ kind: "uploading", percent: 0 });
    try {
      const created = await upload(
        `/upload-csv?${params}`,
        preview.file,
        (percent) => setPhase(percent >= 100 ? { kind: "importing" } : { kind: "uploading", percent }),
      );
      globalThis.dispatchEvent(new CustomEvent("csv-sorter:imported"));
      follow(created);
    } catch (error) {
      setPhase({
        kind: "failed",
        message: (error as Error).message,
        details: (error as { details?: string[] }).details,
      });
      globalThis.dispatchEvent(new CustomEvent("csv-sorter:imported"));
    }
  };

  const toggle = (name: string) =>
    setTextColumns((current) =>
      current.includes(name) ? current.filter((column) => column !== name) : [...current, name]
    );
  const busy = phase.kind === "uploading" || phase.kind === "importing";

  return (
    <form
      class="bg-white border border-slate-200 rounded-lg p-4 space-y-4"
      onSubmit={onSubmit}
      data-testid="upload-form"
    >
      <div>
        <label class="block text-sm font-medium mb-1" for="csv-file">
          CSV file (UTF-8, with a header row)
        </label>
        <input
          id="csv-file"
          name="file"
          type="file"
          accept=".csv,text/csv,.tsv,.txt"
          onChange={onFile}
          class="block text-sm"
          disabled={busy}
        />
      </div>
      {preview && (
        <div class="space-y-3">
          <fieldset>
            <legend class="text-sm font-medium mb-1">
              Text to embed (the columns that describe the product)
            </legend>
            <div class="flex flex-wrap gap-3">
              {preview.columns.map((name) => (
                <label key={name} class="inline-flex items-center gap-1 text-sm">
                  <input
                    type="checkbox"
                    name="text_columns"
                    value={name}
                    checked={textColumns.includes(name)}
                    disabled={name === labelColumn}
                    onChange={() => toggle(name)}
                  />
                  {name}
                </label>
              ))}
            </div>
          </fieldset>
          <div>
            <label class="block text-sm font-medium mb-1" for="label-column">
              Label column (values already normalised, used as seed labels)
            </label>
            <select
              id="label-column"
              name="label_column"
              class="border border-slate-300 rounded px-2 py-1 text-sm"
              value={labelColumn}
              onChange={(event) => {
                const value = (event.target as HTMLSelectElement).value;
                setLabelColumn(value);
                setTextColumns((current) => current.filter((column) => column !== value));
              }}
            >
              <option value="">(none)</option>
              {preview.columns.map((name) => <option key={name} value={name}>{name}</option>)}
            </select>
          </div>
          <div class="overflow-x-auto">
            <table class="text-xs border border-slate-200">
              <thead class="bg-slate-100">
                <tr>
                  {preview.columns.map((name) => <th key={name} class="px-2 py-1 text-left">{name}</th>)}
                </tr>
              </thead>
              <tbody>
                {preview.rows.map((row, index) => (
                  <tr key={index} class="border-t border-slate-100">
                    {preview.columns.map((_, column) => (
                      <td key={column} class="px-2 py-1">{row[column]}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
      <div class="flex items-center gap-4">
        <button
          type="submit"
          disabled={!preview || busy || textColumns.length === 0}
          class="bg-slate-900 text-white rounded px-4 py-2 text-sm disabled:opacity-40"
          data-testid="upload-button"
        >
          Upload
        </button>
        <UploadStatus phase={phase} />
      </div>
    </form>
  );
}

function UploadStatus({ phase }: { phase: Phase }) {
  switch (phase.kind) {
    case "idle":
      return null;
    case "uploading":
      return <span class="text-sm" role="status">Uploading… {phase.percent}%</span>;
    case "importing":
      return <span class="text-sm" role="status">Importing rows…</span>;
    case "embedding": {
      const done = phase.progress?.embedded_count ?? 0;
      return (
        <span class="text-sm" role="status" data-testid="upload-status">
          Imported {phase.created.row_count} rows; embedding {done}/{phase.created.row_count}…
        </span>
      );
    }
    case "done":
      return (
        <span class="text-sm text-emerald-800" role="status" data-testid="upload-status">
          Done: {phase.progress.embedded_count} rows embedded
          {phase.progress.failed_count > 0 && `, ${phase.progress.failed_count} failed`}.{" "}
          <a class="text-blue-700 underline" href={`/review?import_id=${phase.created.import_id}`}>
            Review now
          </a>
        </span>
      );
    case "failed":
      return (
        <div class="text-sm text-red-700" role="alert" data-testid="upload-error">
          {phase.message}
          {phase.details && phase.details.length > 1 && (
            <ul class="list-disc ml-5">
              {phase.details.slice(0, 10).map((line) => <li key={line}>{line}</li>)}
            </ul>
          )}
        </div>
      );
  }
}
