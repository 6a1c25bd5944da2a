/**
 * The measured calibration of a version: for held-out rows grouped by calibrated confidence, how often
 * the suggestion was right. A calibrated model's "90 %" row is right about 90 % of the time.
 */
import type { ModelMetrics } from "../../contract/schemas.ts";
import { TableBox } from "./TableBox.tsx";

function percent(value: number | null): string {
  return value === null ? "—" : `${(value * 100).toFixed(1)}%`;
}

/** The reliability table of `metrics`, empty bins left out. */
export function ReliabilityTable({ version, metrics }: { version: string; metrics: ModelMetrics }) {
  const bins = metrics.calibration.bins.filter((bin) => bin.count > 0);
  return (
    <div data-testid="reliability">
      <p class="text-sm text-slate-600 mb-2">
        {version}:{" "}
        {metrics.calibration.method === "platt" ? "Platt scaling" : "not calibrated (too few held-out rows)"}
        {" "}
        fitted on held-out labels, measured out of fold on {metrics.holdout_size}{" "}
        rows · expected calibration error {percent(metrics.calibration.ece)}
      </p>
      <TableBox>
        <table class="text-sm bg-white border border-slate-200 rounded">
          <thead class="bg-slate-100 text-left">
            <tr>
              <th class="px-3 py-1">Confidence</th>
              <th class="px-3 py-1">Rows</th>
              <th class="px-3 py-1">Mean confidence</th>
              <th class="px-3 py-1">Right</th>
            </tr>
          </thead>
          <tbody>
            {bins.map((bin) => (
              <tr key={bin.lower} class="border-t border-slate-100">
                <td class="px-3 py-1">{`${Math.round(bin.lower * 100)}–${Math.round(bin.upper * 100)}%`}</td>
                <td class="px-3 py-1">{bin.count}</td>
                <td class="px-3 py-1">{percent(bin.confidence)}</td>
                <td class="px-3 py-1">{percent(bin.accuracy)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </div>
  );
}
