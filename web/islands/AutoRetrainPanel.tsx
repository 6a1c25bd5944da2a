/**
 * The auto-retrain setting on the models page: whether workers retrain by themselves, after how many new
 * labels or minutes, whether a new version may activate itself (only when at least as good as the active
 * one on its held-out rows), and what the scheduler sees now. Retrain and Load stay on the panel above.
 */
import { useEffect, useState } from "preact/hooks";
import type { AutoRetrainSetting, AutoRetrainState } from "../../contract/schemas.ts";
import { fetchJson } from "./api_client.ts";

/** How often the scheduler's view is read again, in ms. */
const STATUS_REFRESH_MS = 10_000;

/**
 * "2026-12-01 14:05 UTC" from an ISO timestamp: the same text on the server and in the browser (a
 * locale's format would differ between the two and break hydration).
 */
function utcMinute(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${at.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** Props of {@link AutoRetrainPanel}. */
export interface AutoRetrainPanelProps {
  state: AutoRetrainState;
}

/** Form and status of the auto-retrain setting. */
export function AutoRetrainPanel({ state: initial }: AutoRetrainPanelProps) {
  const [state, setState] = useState(initial);
  const [everyLabels, setEveryLabels] = useState(String(initial.setting.every_labels));
  const [everyMinutes, setEveryMinutes] = useState(String(initial.setting.every_minutes));
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  const save = async (change: Partial<AutoRetrainSetting>) => {
    setError(null);
    setSaved(false);
    try {
      const setting: AutoRetrainSetting = {
        ...state.setting,
        every_labels: Number(everyLabels),
        every_minutes: Number(everyMinutes),
        ...change,
      };
      setState(
        await fetchJson<AutoRetrainState>("/settings/auto-retrain", {
          method: "PUT",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(setting),
        }),
      );
      setSaved(true);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  // What the scheduler sees changes as people decide: read it again while the page is open.
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState !== "visible") return;
      fetchJson<AutoRetrainState>("/settings/auto-retrain").then(setState).catch(() => {});
    }, STATUS_REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  const { setting, status } = state;
  const field = "border border-slate-300 rounded px-2 py-1 w-24";
  return (
    <div class="space-y-3 text-sm" data-testid="auto-retrain">
      <p data-testid="auto-retrain-state">
        Auto-retrain is <span class="font-semibold">{setting.enabled ? "on" : "off"}</span>
        {setting.enabled &&
          ` every ${setting.every_labels} new labels${
            setting.every_minutes > 0 ? ` or ${setting.every_minutes} minutes after the last retrain` : ""
          }`}
        {` · auto-activation is `}
        <span class="font-semibold">{setting.auto_activate ? "on" : "off"}</span>
        {setting.auto_activate &&
          " (a new version only replaces an active one at least as good on its held-out rows)"}
      </p>
      <p class="text-slate-600" data-testid="auto-retrain-status">
        {status.new_labels} new labels since the last retrain{status.last_retrain_job_id !== null &&
          ` (job ${status.last_retrain_job_id}${
            status.last_retrain_at ? `, ${utcMinute(status.last_retrain_at)}` : ""
          })`}: {status.reason}
      </p>
      <div class="flex flex-wrap items-end gap-3">
        <label class="flex flex-col">
          Every N new labels
          <input
            class={field}
            type="number"
            min="1"
            step="1"
            value={everyLabels}
            onInput={(event) => setEveryLabels((event.target as HTMLInputElement).value)}
            data-testid="auto-retrain-every-labels"
          />
        </label>
        <label class="flex flex-col">
          Or after minutes (0: never)
          <input
            class={field}
            type="number"
            min="0"
            step="1"
            value={everyMinutes}
            onInput={(event) => setEveryMinutes((event.target as HTMLInputElement).value)}
            data-testid="auto-retrain-every-minutes"
          />
        </label>
        <button
          type="button"
          class="bg-slate-900 text-white rounded px-3 py-1"
          onClick={() => save({})}
          data-testid="auto-retrain-save"
        >
          Save
        </button>
        <button
          type="button"
          class="border border-slate-400 rounded px-3 py-1"
          onClick={() => save({ enabled: !setting.enabled })}
          data-testid="auto-retrain-toggle"
        >
          {setting.enabled ? "Turn auto-retrain off" : "Turn auto-retrain on"}
        </button>
        <button
          type="button"
          class="border border-slate-400 rounded px-3 py-1"
          onClick={() => save({ auto_activate: !setting.auto_activate })}
          data-testid="auto-activate-toggle"
        >
          {setting.auto_activate ? "Turn auto-activation off" : "Turn auto-activation on"}
        </button>
      </div>
      {saved && <p class="text-emerald-800">Saved; workers use it from their next check</p>}
      {error && <p class="text-red-700" role="alert">{error}</p>}
    </div>
  );
}
