/**
 * The auto-accept setting: choose τ and the precision required, see what the active version measured on
 * held-out rows at τ and how many waiting rows it would accept, then turn it on (allowed only when the
 * measured precision meets the target) or off.
 */
import { useState } from "preact/hooks";
import type { AutoAcceptPreview, AutoAcceptState } from "../../contract/schemas.ts";
import { fetchJson, postJson } from "./api_client.ts";

/** Props of {@link AutoAcceptPanel}. */
export interface AutoAcceptPanelProps {
  state: AutoAcceptState;
}

/** Form and preview of the auto-accept setting. */
export function AutoAcceptPanel({ state: initial }: AutoAcceptPanelProps) {
  const [state, setState] = useState(initial);
  const [threshold, setThreshold] = useState(String(initial.setting.threshold));
  const [target, setTarget] = useState(String(initial.setting.target_precision));
  const [preview, setPreview] = useState<AutoAcceptPreview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const input = { threshold: Number(threshold), target_precision: Number(target) };
  const fresh = preview !== null && preview.threshold === input.threshold &&
    preview.target_precision === input.target_precision;

  const run = async (work: () => Promise<void>) => {
    setError(null);
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const save = (enabled: boolean) =>
    run(async () => {
      const next = await fetchJson<AutoAcceptState>("/settings/auto-accept", {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...input, enabled }),
      });
      setState(next);
      setPreview(next.preview);
    });

  const field = "border border-slate-300 rounded px-2 py-1 w-24";
  return (
    <div class="space-y-3 text-sm" data-testid="auto-accept">
      <p data-testid="auto-accept-state">
        Auto-accept is <span class="font-semibold">{state.setting.enabled ? "on" : "off"}</span>
        {state.setting.enabled &&
          ` above ${state.setting.threshold} (target precision ${state.setting.target_precision})`}
        {` · ${state.accepted_count} rows accepted automatically so far`}
        {state.accepted_now > 0 && ` (${state.accepted_now} just now)`}
      </p>
      <div class="flex flex-wrap items-end gap-3">
        <label class="flex flex-col">
          Accept above τ
          <input
            class={field}
            type="number"
            min="0.5"
            max="1"
            step="0.01"
            value={threshold}
            onInput={(event) => setThreshold((event.target as HTMLInputElement).value)}
            data-testid="auto-accept-threshold"
          />
        </label>
        <label class="flex flex-col">
          Required precision
          <input
            class={field}
            type="number"
            min="0.5"
            max="1"
            step="0.01"
            value={target}
            onInput={(event) => setTarget((event.target as HTMLInputElement).value)}
            data-testid="auto-accept-target"
          />
        </label>
        <button
          type="button"
          class="border border-slate-400 rounded px-3 py-1"
          onClick={() =>
            run(async () =>
              setPreview(await postJson<AutoAcceptPreview>("/settings/auto-accept/preview", input))
            )}
          data-testid="auto-accept-preview"
        >
          Preview
        </button>
        <button
          type="button"
          class="bg-slate-900 text-white rounded px-3 py-1 disabled:opacity-40"
          disabled={!fresh || !preview?.allowed}
          onClick={() => save(true)}
          data-testid="auto-accept-apply"
        >
          Turn on
        </button>
        {state.setting.enabled && (
          <button
            type="button"
            class="border border-slate-400 rounded px-3 py-1"
            onClick={() => save(false)}
          >
            Turn off
          </button>
        )}
      </div>
      {preview && (
        <p
          class={preview.allowed ? "text-emerald-800" : "text-amber-800"}
          data-testid="auto-accept-preview-result"
        >
          {preview.reason}. {preview.pending_eligible} rows waiting for review score at or above{" "}
          {preview.threshold}.
        </p>
      )}
      {error && <p class="text-red-700" role="alert">{error}</p>}
    </div>
  );
}
