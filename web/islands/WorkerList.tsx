/** The workers table of the ops page, refreshed every five seconds from GET /workers. */
import { useEffect, useState } from "preact/hooks";
import type { WorkerList as WorkerListData, WorkerView } from "../../contract/schemas.ts";
import { fetchJson } from "./api_client.ts";
import { TableBox } from "../components/TableBox.tsx";

/** Props of {@link WorkerList}: the list as the server saw it when rendering. */
export interface WorkerListProps {
  list: WorkerListData;
}

const REFRESH_MS = 5000;

const STATUS_CLASS: Record<WorkerView["status"], string> = {
  live: "bg-emerald-100 text-emerald-800",
  stopped: "bg-slate-200 text-slate-700",
  lost: "bg-red-100 text-red-800",
};

/** "4 s ago", "3 min ago", "2 h ago". */
export function ago(seconds: number): string {
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

/** Lists live workers first, then those that stopped or went silent within the last hour. */
export function WorkerList({ list: initial }: WorkerListProps) {
  const [list, setList] = useState(initial);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = async () => {
      try {
        const next = await fetchJson<WorkerListData>("/workers", { headers: { accept: "application/json" } });
        if (cancelled) return;
        setList(next);
        setError(null);
      } catch (e) {
        setError((e as Error).message);
      }
      if (!cancelled) timer = setTimeout(refresh, REFRESH_MS);
    };
    timer = setTimeout(refresh, REFRESH_MS);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, []);

  return (
    <div>
      <p class="text-sm text-slate-600 mb-3" data-testid="worker-summary">
        {list.live_count} live · each worker reports every {list.heartbeat_seconds} s; one silent for{" "}
        {list.live_within_seconds} s counts as lost
      </p>
      {error && <p class="text-red-700 text-sm mb-2">Cannot refresh: {error}</p>}
      {list.workers.length === 0
        ? (
          <p class="text-slate-500" data-testid="no-workers">
            No worker has reported in the last hour. Start one with <code>npm run worker</code>.
          </p>
        )
        : (
          <TableBox>
            <table class="w-full text-sm bg-white border border-slate-200 rounded-lg overflow-hidden">
              <thead class="bg-slate-100 text-left">
                <tr>
                  <th class="px-3 py-2">Status</th>
                  <th class="px-3 py-2">Host · pid</th>
                  <th class="px-3 py-2">Device</th>
                  <th class="px-3 py-2">Runtime</th>
                  <th class="px-3 py-2">Model</th>
                  <th class="px-3 py-2">Embedded</th>
                  <th class="px-3 py-2">Jobs</th>
                  <th class="px-3 py-2">Last seen</th>
                </tr>
              </thead>
              <tbody>
                {list.workers.map((worker) => (
                  <tr key={worker.id} class="border-t border-slate-100" data-testid={`worker-${worker.id}`}>
                    <td class="px-3 py-2">
                      <span class={`px-2 py-0.5 rounded text-xs font-medium ${STATUS_CLASS[worker.status]}`}>
                        {worker.status}
                      </span>
                    </td>
                    <td class="px-3 py-2">
                      <div class="font-medium">{worker.host}</div>
                      <div class="text-slate-500">pid {worker.pid} · since {worker.started_at}</div>
                    </td>
                    <td class="px-3 py-2" title={worker.device_detail ?? ""}>
                      <div class="font-medium">{worker.device}</div>
                      <div class="text-slate-500">{worker.training_backend ?? "—"}</div>
                    </td>
                    <td class="px-3 py-2">{worker.runtime}</td>
                    <td class="px-3 py-2">
                      <div>{worker.embedding_model}</div>
                      <div class="text-slate-500">version {worker.model_version ?? "none"}</div>
                    </td>
                    <td class="px-3 py-2">{worker.products_embedded}</td>
                    <td class="px-3 py-2">
                      {worker.jobs_done}
                      {worker.jobs_failed > 0 && (
                        <span class="text-red-700">{` (${worker.jobs_failed} failed)`}</span>
                      )}
                    </td>
                    <td class="px-3 py-2">{ago(worker.seconds_since_seen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
        )}
    </div>
  );
}
