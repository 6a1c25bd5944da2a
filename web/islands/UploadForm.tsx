/**
 * Upload form: previews the file's header in the browser, lets the user pick the text columns and the
 * label column (or a dataset to append the file to) and each catalogue field's seed column, uploads the
 * file as the request body (so the server streams it) with upload progress, follows the server reading
 * the rows (GET /uploads/:key), then the embedding of the new import until it is done. Cancel works in
 * every phase: it aborts the upload, stops the reading, or deletes the import while it embeds.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type {
  ApiError,
  Field,
  FieldList,
  ImportCreated,
  ImportProgress,
  UploadProgress,
} from "../../contract/schemas.ts";
import { embeddingText, readingText } from "../components/progress_text.ts";
// A pure function with no runtime APIs: the preview preselects the same columns the server would.
import { chooseTextColumns } from "../../core/imports/text_columns.ts";
// Pure as well: the preview reads the start of the file exactly as the server import reads it.
import { type CsvPreview, previewCsv } from "../../core/imports/csv_preview.ts";
import { encodingName, TEXT_ENCODINGS, type TextEncodingName } from "../../core/imports/text_encoding.ts";
// An .xlsx file's sheet, read as the server import reads it (same limits, cells and header).
import { looksLikeXlsx, previewXlsx, type XlsxPreview } from "../../core/imports/xlsx_preview.ts";
import { WORKBOOK_LIMITS } from "../../core/imports/xlsx_sheet.ts";
import { csrfToken, fetchJson } from "./api_client.ts";
import { TableBox } from "../components/TableBox.tsx";

/** Props of {@link UploadForm}. */
export interface UploadFormProps {
  maxUploadBytes: number;
  /** The imports when the page was rendered: the datasets a file can be appended to. */
  imports?: ImportProgress[];
}

/** A dataset a file can be appended to: its newest finished import stands for it in `append_to`. */
interface Dataset {
  datasetId: number;
  importId: number;
  label: string;
}

function datasetsOf(imports: ImportProgress[]): Dataset[] {
  const byDataset = new Map<number, ImportProgress[]>();
  for (const item of imports) {
    if (item.status !== "imported") continue;
    byDataset.set(item.dataset_id, [...(byDataset.get(item.dataset_id) ?? []), item]);
  }
  return [...byDataset.values()].map((files) => {
    const sorted = files.sort((a, b) => a.id - b.id);
    const first = sorted[0];
    const more = sorted.length > 1 ? ` + ${sorted.length - 1} appended` : "";
    return {
      datasetId: first.dataset_id,
      importId: sorted[sorted.length - 1].id,
      label: `${first.file_name}${more} (#${first.dataset_id})`,
    };
  });
}

type Preview = (CsvPreview | XlsxPreview) & { file: File };

/** A catalogue field's seed column in a file with `columns`: the field's own when the file has it. */
function defaultSeedColumn(field: Field, columns: string[]): string {
  return field.seed_column !== null && columns.includes(field.seed_column) ? field.seed_column : "";
}

/**
 * `field_columns` for the seed columns `chosen` (field name → column, "" for none): only the fields whose
 * choice differs from what the server does by itself (the field's own seed column, when the file has it).
 * JSON, as a column name may hold a comma or a colon.
 */
function fieldColumnsParam(
  fields: Field[],
  columns: string[],
  chosen: Record<string, string>,
): string | undefined {
  const changed = fields.filter((field) =>
    Object.hasOwn(chosen, field.name) && chosen[field.name] !== defaultSeedColumn(field, columns)
  );
  if (changed.length === 0) return undefined;
  return JSON.stringify(Object.fromEntries(changed.map((field) => [field.name, chosen[field.name]])));
}

/** The user's choices over what the preview detected. */
interface PreviewChoice {
  encoding?: TextEncodingName;
  headerLine?: number;
  /** An .xlsx file's sheet. */
  sheet?: string;
}

type Phase =
  | { kind: "idle" }
  | { kind: "uploading"; percent: number }
  | { kind: "importing"; progress?: UploadProgress }
  | { kind: "embedding"; created: ImportCreated; progress?: ImportProgress }
  | { kind: "done"; created: ImportCreated; progress: ImportProgress }
  | { kind: "failed"; message: string; details?: string[]; duplicateOf?: number };

const PREVIEW_BYTES = 64 * 1024;

async function readPreview(file: File, choice: PreviewChoice = {}): Promise<Preview> {
  const bytes = new Uint8Array(await file.slice(0, PREVIEW_BYTES).arrayBuffer());
  if (looksLikeXlsx(bytes)) {
    // A zip's directory is at its end: the whole workbook is read (the upload limit bounds it).
    const whole = new Uint8Array(await file.arrayBuffer());
    return { file, ...previewXlsx(whole, file.name, WORKBOOK_LIMITS, choice) };
  }
  return { file, ...previewCsv(bytes, file.size <= PREVIEW_BYTES, choice) };
}

function upload(
  url: string,
  file: File,
  onProgress: (percent: number) => void,
  onStart: (request: XMLHttpRequest) => void,
): Promise<ImportCreated> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    onStart(request);
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
      // 200: a repeated file skipped (on_duplicate=skip); the answer is the earlier import.
      if (request.status === 201 || request.status === 200) resolve(body as ImportCreated);
      else {
        const error = (body as ApiError | undefined)?.error;
        reject(Object.assign(new Error(error?.message ?? `Upload failed (${request.status})`), {
          details: error?.details,
          duplicateOf: error?.duplicate_of,
        }));
      }
    };
    request.onerror = () => reject(new Error("Upload failed: the server could not be reached"));
    request.onabort = () => reject(new Error(`Upload of "${file.name}" cancelled`));
    request.send(file);
  });
}

/** The upload form island. */
export function UploadForm({ maxUploadBytes, imports = [] }: UploadFormProps) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [choice, setChoice] = useState<PreviewChoice>({});
  const [textColumns, setTextColumns] = useState<string[]>([]);
  const [labelColumn, setLabelColumn] = useState("");
  const [appendTo, setAppendTo] = useState("");
  // Catalogue fields (GET /fields) and the seed column chosen for this file, by field name.
  const [catalogueFields, setCatalogueFields] = useState<Field[]>([]);
  const [seedColumns, setSeedColumns] = useState<Record<string, string>>({});
  const [datasets, setDatasets] = useState(() => datasetsOf(imports));
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const polling = useRef<ReturnType<typeof setTimeout>>();
  const reading = useRef<ReturnType<typeof setTimeout>>();
  const xhr = useRef<XMLHttpRequest>();
  const uploadKey = useRef("");
  const followed = useRef("");
  const following = useRef<number | null>(null);

  useEffect(() => () => {
    clearTimeout(polling.current);
    clearTimeout(reading.current);
  }, []);

  const readFields = () =>
    fetchJson<FieldList>("/fields").then((list) =>
      setCatalogueFields(list.fields.filter((field) => field.kind === "catalogue"))
    ).catch(() => {});
  useEffect(() => {
    void readFields();
  }, []);

  useEffect(() => {
    const refresh = () =>
      fetchJson<ImportProgress[]>("/imports").then((next) => setDatasets(datasetsOf(next))).catch(() => {});
    globalThis.addEventListener("csv-sorter:imported", refresh);
    return () => globalThis.removeEventListener("csv-sorter:imported", refresh);
  }, []);

  // While the server reads the file, its progress comes from the upload key (in the web process).
  const followReading = () => {
    // The XHR may report 100 % more than once; one poll loop per upload.
    if (followed.current === uploadKey.current) return;
    followed.current = uploadKey.current;
    const poll = async () => {
      try {
        const progress = await fetchJson<UploadProgress>(`/uploads/${uploadKey.current}`);
        setPhase((current) => current.kind === "importing" ? { kind: "importing", progress } : current);
        if (progress.phase !== "reading" && progress.phase !== "finishing") return;
      } catch {
        // Not known yet (the last bytes are still arriving) or a missed poll: try again.
      }
      reading.current = setTimeout(poll, 500);
    };
    poll();
  };

  const cancel = async () => {
    if (phase.kind === "uploading") {
      xhr.current?.abort();
    } else if (phase.kind === "importing") {
      await fetchJson(`/uploads/${uploadKey.current}/cancel`, { method: "POST" }).catch(() => {});
    } else if (phase.kind === "embedding") {
      const { created, progress } = phase;
      const reviewed = progress?.reviewed_count ?? 0;
      const question = `Stop embedding "${created.file_name}" and delete its ${created.row_count} rows` +
        (reviewed > 0 ? `, with the ${reviewed} decisions people made on them?` : "?");
      if (!globalThis.confirm(question)) return;
      following.current = null;
      clearTimeout(polling.current);
      try {
        await fetchJson(`/imports/${created.import_id}?confirm=true`, { method: "DELETE" });
        setPhase({ kind: "failed", message: `Import of "${created.file_name}" deleted` });
      } catch (error) {
        setPhase({ kind: "failed", message: (error as Error).message });
      }
      globalThis.dispatchEvent(new CustomEvent("csv-sorter:imported"));
    }
  };

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
    setChoice({});
    // Fields added since the page loaded get their select too.
    void readFields();
    await showPreview(file, {});
  };

  const showPreview = async (file: File, nextChoice: PreviewChoice) => {
    let next: Preview;
    try {
      next = await readPreview(file, nextChoice);
    } catch (error) {
      // A workbook the server would refuse (damaged, a zip bomb, no such sheet): the same message.
      setPreview(null);
      return setPhase({ kind: "failed", message: (error as Error).message });
    }
    setPreview(next);
    // Another header, other columns: each field starts from its own seed column again.
    setSeedColumns({});
    const guess = /categor|label|class|group|type/i;
    const label = next.columns.find((name) => guess.test(name)) ?? "";
    setLabelColumn(label);
    setTextColumns(chooseTextColumns(
      next.columns.map((name, index) => ({ name, values: next.rows.map((row) => row[index] ?? "") })),
      label || undefined,
    ));
  };

  const follow = (created: ImportCreated) => {
    following.current = created.import_id;
    const poll = async () => {
      // Cancelled (deleted) or replaced by another upload while this poll was on its way.
      if (following.current !== created.import_id) return;
      try {
        const progress = await fetchJson<ImportProgress>(`/imports/${created.import_id}`);
        if (following.current !== created.import_id) return;
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

  const onSubmit = (event: Event) => {
    event.preventDefault();
    void submit();
  };

  /** Uploads the previewed file; `onDuplicate` answers the server's question about a repeated file. */
  const submit = async (onDuplicate?: "skip" | "append" | "import") => {
    if (!preview) return;
    uploadKey.current = crypto.randomUUID().replaceAll("-", "");
    const params = new URLSearchParams({ file_name: preview.file.name, upload_key: uploadKey.current });
    const target = datasets.find((dataset) => String(dataset.datasetId) === appendTo);
    if (appendTo && !target) {
      return setPhase({ kind: "failed", message: `Cannot append: dataset #${appendTo} no longer exists` });
    }
    if (target) {
      // The dataset's text and label columns apply; the server says so if the file does not fit.
      params.set("append_to", String(target.importId));
    } else {
      if (textColumns.length > 0) params.set("text_columns", textColumns.join(","));
      if (labelColumn) params.set("label_column", labelColumn);
    }
    // The header the preview showed (detected or chosen), so the server reads the file the same way.
    params.set("header_row", String(preview.headerLine));
    const fieldColumns = fieldColumnsParam(catalogueFields, preview.columns, seedColumns);
    if (fieldColumns) params.set("field_columns", fieldColumns);
    if (preview.encoding === "xlsx") params.set("sheet", preview.sheet);
    else if (choice.encoding) params.set("encoding", choice.encoding);
    if (onDuplicate) params.set("on_duplicate", onDuplicate);
    setPhase({ kind: "uploading", percent: 0 });
    try {
      const created = await upload(
        `/upload-csv?${params}`,
        preview.file,
        (percent) => {
          if (percent < 100) return setPhase({ kind: "uploading", percent });
          setPhase({ kind: "importing" });
          followReading();
        },
        (request) => (xhr.current = request),
      );
      clearTimeout(reading.current);
      globalThis.dispatchEvent(new CustomEvent("csv-sorter:imported"));
      follow(created);
    } catch (error) {
      clearTimeout(reading.current);
      setPhase({
        kind: "failed",
        message: (error as Error).message,
        details: (error as { details?: string[] }).details,
        duplicateOf: (error as { duplicateOf?: number }).duplicateOf,
      });
      globalThis.dispatchEvent(new CustomEvent("csv-sorter:imported"));
    }
  };

  const toggle = (name: string) =>
    setTextColumns((current) =>
      current.includes(name) ? current.filter((column) => column !== name) : [...current, name]
    );
  const busy = phase.kind === "uploading" || phase.kind === "importing";
  const cancellable = busy || phase.kind === "embedding";

  return (
    <form
      class="bg-white border border-slate-200 rounded-lg p-4 space-y-4"
      onSubmit={onSubmit}
      data-testid="upload-form"
    >
      <div>
        <label class="block text-sm font-medium mb-1" for="csv-file">
          CSV file (UTF-8, UTF-16 or Windows-1252) or Excel workbook (.xlsx), with a header row
        </label>
        <input
          id="csv-file"
          name="file"
          type="file"
          accept=".csv,text/csv,.tsv,.txt,.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          onChange={onFile}
          class="block text-sm"
          disabled={busy}
        />
      </div>
      {datasets.length > 0 && (
        <div>
          <label class="block text-sm font-medium mb-1" for="append-to">
            Append to (a new week of a supplier's feed: same columns, earlier decisions reused)
          </label>
          <select
            id="append-to"
            name="append_to"
            class="border border-slate-300 rounded px-2 py-1 text-sm max-w-full"
            value={appendTo}
            disabled={busy}
            onChange={(event) => setAppendTo((event.target as HTMLSelectElement).value)}
            data-testid="append-to"
          >
            <option value="">(a new dataset)</option>
            {datasets.map((dataset) => (
              <option key={dataset.datasetId} value={String(dataset.datasetId)}>{dataset.label}</option>
            ))}
          </select>
        </div>
      )}
      {preview && (
        <div class="text-sm text-slate-700 flex flex-wrap gap-4 items-center" data-testid="preview-format">
          {preview.encoding === "xlsx" && (
            <label class="inline-flex items-center gap-1">
              Sheet
              <select
                class="border border-slate-300 rounded px-1 py-0.5 text-sm"
                value={preview.sheet}
                disabled={busy}
                data-testid="preview-sheet"
                onChange={(event) => {
                  // Another sheet has its own header row: detected again.
                  const next = { sheet: (event.target as HTMLSelectElement).value };
                  setChoice(next);
                  showPreview(preview.file, next);
                }}
              >
                {preview.sheets.map((name) => <option key={name} value={name}>{name}</option>)}
              </select>
            </label>
          )}
          <label class="inline-flex items-center gap-1" hidden={preview.encoding === "xlsx"}>
            Encoding
            <select
              class="border border-slate-300 rounded px-1 py-0.5 text-sm"
              value={choice.encoding ?? ""}
              disabled={busy}
              data-testid="preview-encoding"
              onChange={(event) => {
                const value = (event.target as HTMLSelectElement).value as TextEncodingName | "";
                const next = { ...choice, encoding: value || undefined };
                setChoice(next);
                showPreview(preview.file, next);
              }}
            >
              <option value="">{preview.encodingDetected ? preview.encodingText : "detect"}</option>
              {TEXT_ENCODINGS.map((name) => <option key={name} value={name}>{encodingName(name)}</option>)}
            </select>
          </label>
          <label class="inline-flex items-center gap-1">
            Header row
            <select
              class="border border-slate-300 rounded px-1 py-0.5 text-sm max-w-full sm:max-w-xs"
              value={String(preview.headerLine)}
              disabled={busy}
              data-testid="preview-header-line"
              onChange={(event) => {
                const next = { ...choice, headerLine: Number((event.target as HTMLSelectElement).value) };
                setChoice(next);
                showPreview(preview.file, next);
              }}
            >
              {preview.candidates.map((candidate) => (
                <option key={candidate.line} value={String(candidate.line)}>
                  {preview.encoding === "xlsx" ? "row" : "line"} {candidate.line}: {candidate.text}
                </option>
              ))}
            </select>
            <span class="text-slate-500">{preview.headerDetected ? "(detected)" : "(chosen)"}</span>
          </label>
          {preview.emptyUnnamed.length > 0 && (
            <span data-testid="preview-dropped">
              Unnamed empty columns left out: {preview.emptyUnnamed.join(", ")}{" "}
              (kept if a later row fills them)
            </span>
          )}
        </div>
      )}
      {preview && catalogueFields.length > 0 && (
        <fieldset data-testid="seed-columns">
          <legend class="text-sm font-medium mb-1">
            Seed columns (values already decided for a catalogue field in this file)
          </legend>
          <div class="flex flex-wrap gap-4">
            {catalogueFields.map((field) => (
              <label key={field.name} class="inline-flex items-center gap-1 text-sm">
                {field.name}: seed column
                <select
                  name={`seed_column_${field.name}`}
                  class="border border-slate-300 rounded px-1 py-0.5 text-sm max-w-full sm:max-w-xs"
                  value={seedColumns[field.name] ?? defaultSeedColumn(field, preview.columns)}
                  disabled={busy}
                  data-testid={`seed-column-${field.name}`}
                  onChange={(event) => {
                    const value = (event.target as HTMLSelectElement).value;
                    setSeedColumns((current) => ({ ...current, [field.name]: value }));
                  }}
                >
                  <option value="">(none)</option>
                  {preview.columns.map((name) => <option key={name} value={name}>{name}</option>)}
                </select>
              </label>
            ))}
          </div>
        </fieldset>
      )}
      {preview && appendTo && (
        <p class="text-sm text-slate-600">
          The text and label columns are the dataset's; the file needs the same column names.
        </p>
      )}
      {preview && !appendTo && (
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
              class="border border-slate-300 rounded px-2 py-1 text-sm max-w-full"
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
            <TableBox>
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
            </TableBox>
          </div>
        </div>
      )}
      <div class="flex items-center gap-4">
        <button
          type="submit"
          disabled={!preview || busy || (!appendTo && textColumns.length === 0)}
          class="bg-slate-900 text-white rounded px-4 py-2 text-sm disabled:opacity-40"
          data-testid="upload-button"
        >
          {appendTo ? "Append" : "Upload"}
        </button>
        {cancellable && (
          <button
            type="button"
            onClick={cancel}
            class="border border-slate-300 rounded px-3 py-2 text-sm"
            data-testid="upload-cancel"
          >
            Cancel
          </button>
        )}
        <UploadStatus phase={phase} onDuplicate={(action) => void submit(action)} />
      </div>
    </form>
  );
}

function UploadStatus(
  { phase, onDuplicate }: { phase: Phase; onDuplicate: (action: "skip" | "append" | "import") => void },
) {
  switch (phase.kind) {
    case "idle":
      return null;
    case "uploading":
      return <span class="text-sm" role="status">Uploading… {phase.percent}%</span>;
    case "importing":
      return (
        <span class="text-sm" role="status" data-testid="reading-status">
          {phase.progress ? readingText(phase.progress) : "Reading rows…"}
        </span>
      );
    case "embedding": {
      const { created, progress } = phase;
      const reused = created.reused_count > 0
        ? `, ${created.reused_count} labelled from earlier decisions`
        : "";
      return (
        <span class="text-sm" role="status" data-testid="upload-status">
          {created.appended_to ? "Appended" : "Imported"} {created.row_count} rows{reused};{" "}
          {progress ? embeddingText(progress) : "embedding…"}
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
          {phase.duplicateOf !== undefined && (
            <div class="flex gap-2 mt-2" data-testid="duplicate-choice">
              <button type="button" class="px-2 py-1 border rounded" onClick={() => onDuplicate("skip")}>
                Skip it
              </button>
              <button type="button" class="px-2 py-1 border rounded" onClick={() => onDuplicate("append")}>
                Append to that dataset
              </button>
              <button type="button" class="px-2 py-1 border rounded" onClick={() => onDuplicate("import")}>
                Import anyway
              </button>
            </div>
          )}
        </div>
      );
  }
}
