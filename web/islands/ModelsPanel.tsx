/**
 * The models page's live part: Retrain and Load buttons, the progress of the retrain and re-score jobs
 * (polled while they run, and every few seconds otherwise since workers retrain by themselves), the
 * versions with their metrics and what auto-activation decided about each, the accuracy and
 * learning-curve charts and the active version's calibration.
 */
import { useCallback, useEffect, useState } from "preact/hooks";
import type {
  JobView,
  ModelList,
  ModelLoaded,
  ModelVersionView,
  RetrainQueued,
} from "../../contract/schemas.ts";
import { AccuracyChart } from "../components/AccuracyChart.tsx";
import { LearningCurveChart } from "../components/LearningCurveChart.tsx";
import { ReliabilityTable } from "../components/ReliabilityTable.tsx";
import { fetchJson, postJson } from "./api_client.ts";
import { TableBox } from "../components/TableBox.tsx";

/** Props of {@link ModelsPanel}: the list as the server saw it when rendering. */
export interface ModelsPanelProps {
  list: ModelList;
}

/** Poll interval while a job runs: a retrain of a few hundred labels takes one or two seconds. */
const POLL_MS = 200;
/** Poll interval otherwise: workers retrain and activate by themselves (auto-retrain). */
const IDLE_POLL_MS = 5000;

const DECISIONS: Record<string, string> = {
  activated: "activated automatically",
  kept: "not activated",
  off: "not activated: policy off",
  failed: "auto-activation failed",
};

function running(job: JobView | null): boolean {
  return job !== null && (job.status === "queued" || job.status === "running");
}

function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

function JobStatus({ job, label, testId }: { job: JobView | null; label: string; testId: string }) {
  if (!job) return null;
  const progress = job.progress;
  return (
    <div class="text-sm space-y-1" data-testid={testId} data-status={job.status}>
      <p>
        {label} job {job.id} · <span class="font-medium">{job.status}</span>
        {progress && <span data-testid={`${testId}-message`}>{` · ${progress.message}`}</span>}
      </p>
      {progress && progress.total > 0 && (
        <progress class="w-64" value={progress.done} max={progress.total} aria-label={`${label} progress`} />
      )}
      {job.last_error && <p class="text-red-700">{job.last_error}</p>}
    </div>
  );
}

/** Live list of versions with Retrain and Load. */
export function ModelsPanel({ list: initial }: ModelsPanelProps) {
  const [list, setList] = useState(initial);
  const [busy, setBusy] = useState(false);
  /** What the last action said; `job`: said of that retrain job, shown only while it waits or runs. */
  const [message, setMessage] = useState<{ text: string; job?: number } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async () => {
    try {
      setList(await fetchJson<ModelList>("/models", { headers: { accept: "application/json" } }));
    } catch (e) {
      setError(`Cannot refresh: ${(e as Error).message}`);
    }
  }, []);

  const active = running(list.retrain_job) || running(list.rescore_job);
  useEffect(() => {
    const timer = setTimeout(refresh, active ? POLL_MS : IDLE_POLL_MS);
    return () => clearTimeout(timer);
  }, [list, active]);

  const act = async (work: () => Promise<{ text: string; job?: number }>) => {
    setBusy(true);
    setError(null);
    try {
      setMessage(await work());
      await refresh();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const retrain = () =>
    act(async () => {
      const queued = await postJson<RetrainQueued>("/trigger-retrain", {});
      return {
        text: queued.already_queued
          ? `Retrain job ${queued.job_id} was already waiting`
          : `Retrain job ${queued.job_id} queued`,
        job: queued.job_id,
      };
    });
  const load = (version: string) =>
    act(async () => {
      const loaded = await postJson<ModelLoaded>("/load-model", { version });
      return {
        text: `${loaded.version} is active${
          loaded.previous ? ` (was ${loaded.previous})` : ""
        }; re-scoring the rows waiting for review`,
      };
    });

  const measured = list.versions.filter((version) => version.metrics !== null);
  const shown: ModelVersionView | undefined = measured.find((version) => version.status === "active") ??
    measured[0];
  return (
    <div class="space-y-6">
      <div class="flex items-center gap-4">
        <p data-testid="active-version">
          Active version: <span class="font-semibold">{list.active_version ?? "none"}</span>
        </p>
        <button
          type="button"
          class="bg-slate-900 text-white rounded px-4 py-2 text-sm disabled:opacity-40"
          disabled={busy || running(list.retrain_job)}
          onClick={retrain}
          data-testid="retrain"
        >
          Retrain
        </button>
      </div>
      <JobStatus job={list.retrain_job} label="Retrain" testId="retrain-status" />
      <JobStatus job={list.rescore_job} label="Re-score" testId="rescore-status" />
      {message && (message.job === undefined ||
        (list.retrain_job?.id === message.job && running(list.retrain_job))) &&
        <p class="text-emerald-800 text-sm" data-testid="models-message">{message.text}</p>}
      {error && <p class="text-red-700 text-sm" role="alert">{error}</p>}
      <TableBox>
        <table class="w-full text-sm bg-white border border-slate-200 rounded-lg" data-testid="versions">
          <thead class="bg-slate-100 text-left">
            <tr>
              <th class="px-3 py-2">Version</th>
              <th class="px-3 py-2">Status</th>
              <th class="px-3 py-2">Labels (train / held out)</th>
              <th class="px-3 py-2">Accuracy</th>
              <th class="px-3 py-2">Macro-F1</th>
              <th class="px-3 py-2">Majority baseline</th>
              <th class="px-3 py-2">kNN / classifier / lexical / zero-shot alone</th>
              <th class="px-3 py-2">Auto-activation</th>
              <th class="px-3 py-2">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.versions.map((version) => {
              const metrics = version.metrics;
              return (
                <tr
                  key={version.version}
                  class="border-t border-slate-100"
                  data-testid={`version-${version.version}`}
                >
                  <td class="px-3 py-2 font-medium">{version.version}</td>
                  <td class="px-3 py-2" data-testid="version-status">
                    {version.status}
                    {version.error && <div class="text-red-700 text-xs">{version.error}</div>}
                  </td>
                  <td class="px-3 py-2">
                    {metrics ? `${metrics.train_size} / ${metrics.holdout_size}` : "—"}
                  </td>
                  <td class="px-3 py-2">{percent(metrics?.accuracy)}</td>
                  <td class="px-3 py-2">{percent(metrics?.macro_f1)}</td>
                  <td class="px-3 py-2">{percent(metrics?.majority_baseline)}</td>
                  <td class="px-3 py-2">
                    {metrics
                      ? [
                        metrics.components.knn,
                        metrics.components.classifier,
                        // Absent in versions trained before the lexical channel.
                        metrics.components.lexical ?? null,
                        metrics.components.zero_shot,
                      ].map(percent).join(" / ")
                      : "—"}
                  </td>
                  <td class="px-3 py-2 text-xs" data-testid="version-activation">
                    {version.activation_decision
                      ? (
                        <>
                          <span class="font-medium">{DECISIONS[version.activation_decision]}</span>
                          {version.activation_reason && <div>{version.activation_reason}</div>}
                        </>
                      )
                      : "—"}
                  </td>
                  <td class="px-3 py-2">
                    {(version.status === "ready" || version.status === "retired") && (
                      <button
                        type="button"
                        class="text-blue-700 underline disabled:opacity-40"
                        disabled={busy}
                        onClick={() => load(version.version)}
                        data-testid={`load-${version.version}`}
                      >
                        {version.status === "retired" ? "Roll back" : "Load"}
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableBox>
      <div class="grid md:grid-cols-2 gap-6">
        <section>
          <h2 class="font-semibold mb-2">Accuracy by version</h2>
          <AccuracyChart
            points={[...measured].reverse().map((version) => ({
              version: version.version,
              accuracy: version.metrics!.accuracy,
              baseline: version.metrics!.majority_baseline,
              active: version.status === "active",
            }))}
          />
        </section>
        <section>
          <h2 class="font-semibold mb-2">Learning curve</h2>
          <LearningCurveChart
            curve={shown?.metrics?.learning_curve ?? []}
            versions={measured.map((version) => ({
              version: version.version,
              labels: version.metrics!.train_size,
              accuracy: version.metrics!.accuracy,
            }))}
          />
          {shown?.metrics?.learning_curve.length === 1 && (
            <p class="text-xs text-slate-500" data-testid="curve-pending">
              {shown.version}{" "}
              has only its own point so far: its curve is drawn after its retrain and shows here when done
              (not at all with too few labels, or when a newer retrain started first).
            </p>
          )}
        </section>
      </div>
      {shown?.metrics && (
        <section>
          <h2 class="font-semibold mb-2">Calibration</h2>
          <ReliabilityTable version={shown.version} metrics={shown.metrics} />
        </section>
      )}
    </div>
  );
}
