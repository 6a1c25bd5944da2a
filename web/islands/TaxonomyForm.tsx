/** Upload a taxonomy: label names, one per line, typed or read from a text file. */
import { useState } from "preact/hooks";
import type { TaxonomyUploaded } from "../../contract/schemas.ts";
import { fetchJson } from "./api_client.ts";

/** Props of {@link TaxonomyForm}: how many names the taxonomy holds. */
export interface TaxonomyFormProps {
  count: number;
}

/** The taxonomy upload form. */
export function TaxonomyForm({ count: initial }: TaxonomyFormProps) {
  const [count, setCount] = useState(initial);
  const [text, setText] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const upload = async () => {
    setError(null);
    try {
      const result = await fetchJson<TaxonomyUploaded>("/upload-taxonomy", {
        method: "POST",
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: text,
      });
      setCount(result.total);
      setText("");
      setMessage(`Added ${result.added} of ${result.received} names; re-scoring the rows waiting for review`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <div class="space-y-2 text-sm">
      <p>
        The taxonomy holds <span data-testid="taxonomy-count">{count}</span>{" "}
        label names. Zero-shot suggestions compare each row with them, so rows get suggestions before any is
        labelled.
      </p>
      <input
        type="file"
        accept=".txt,text/plain"
        aria-label="Taxonomy file, one label per line"
        onChange={async (event) => {
          const file = (event.target as HTMLInputElement).files?.[0];
          if (file) setText(await file.text());
        }}
      />
      <textarea
        class="block w-full max-w-xl h-24 border border-slate-300 rounded p-2"
        placeholder="One label per line"
        value={text}
        onInput={(event) => setText((event.target as HTMLTextAreaElement).value)}
        data-testid="taxonomy-text"
      />
      <button
        type="button"
        class="bg-slate-900 text-white rounded px-3 py-1 disabled:opacity-40"
        disabled={text.trim() === ""}
        onClick={upload}
        data-testid="taxonomy-upload"
      >
        Upload taxonomy
      </button>
      {message && <p class="text-emerald-800">{message}</p>}
      {error && <p class="text-red-700" role="alert">{error}</p>}
    </div>
  );
}
