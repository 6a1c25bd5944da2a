/**
 * The learning curve: held-out accuracy against the number of training labels — the newest version's
 * own curve (trained on growing subsets of its labels) as a line, every version as a dot. Plain SVG.
 */

/** A point: labels trained on, accuracy reached. */
export interface CurvePoint {
  labels: number;
  accuracy: number;
}

const WIDTH = 520;
const HEIGHT = 220;
const LEFT = 36;
const BOTTOM = 32;
const TOP = 12;
const RIGHT = 12;

/** Props of {@link LearningCurveChart}. */
export interface LearningCurveProps {
  curve: CurvePoint[];
  versions: (CurvePoint & { version: string })[];
}

/** Accuracy against labels. */
export function LearningCurveChart({ curve, versions }: LearningCurveProps) {
  const all = [...curve, ...versions];
  if (all.length === 0) return <p class="text-sm text-slate-500">No trained version yet.</p>;
  const maxLabels = Math.max(...all.map((point) => point.labels), 1);
  const x = (labels: number) => LEFT + ((WIDTH - LEFT - RIGHT) * labels) / maxLabels;
  const y = (accuracy: number) => TOP + (HEIGHT - BOTTOM - TOP) * (1 - accuracy);
  const sorted = [...curve].sort((a, b) => a.labels - b.labels);
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      class="w-full max-w-xl"
      role="img"
      aria-label="Held-out accuracy against the number of training labels"
      data-testid="learning-curve"
    >
      {[0, 0.25, 0.5, 0.75, 1].map((tick) => (
        <g key={tick}>
          <line x1={LEFT} x2={WIDTH - RIGHT} y1={y(tick)} y2={y(tick)} stroke="#e2e8f0" />
          <text x={LEFT - 4} y={y(tick) + 4} text-anchor="end" font-size="10" fill="#64748b">
            {`${tick * 100}%`}
          </text>
        </g>
      ))}
      {[0, 0.5, 1].map((share) => (
        <text
          key={share}
          x={x(maxLabels * share)}
          y={HEIGHT - BOTTOM + 14}
          text-anchor="middle"
          font-size="10"
          fill="#64748b"
        >
          {Math.round(maxLabels * share)}
        </text>
      ))}
      <text x={(LEFT + WIDTH) / 2} y={HEIGHT - 4} text-anchor="middle" font-size="11" fill="currentColor">
        training labels
      </text>
      {sorted.length > 1 && (
        <polyline
          points={sorted.map((point) => `${x(point.labels)},${y(point.accuracy)}`).join(" ")}
          fill="none"
          stroke="#2563eb"
          stroke-width="2"
        />
      )}
      {sorted.map((point) => (
        <circle key={`c${point.labels}`} cx={x(point.labels)} cy={y(point.accuracy)} r="3" fill="#2563eb">
          <title>{`${point.labels} labels: ${(point.accuracy * 100).toFixed(1)}%`}</title>
        </circle>
      ))}
      {versions.map((point) => (
        <g key={point.version}>
          <circle
            cx={x(point.labels)}
            cy={y(point.accuracy)}
            r="4"
            fill="none"
            stroke="#059669"
            stroke-width="2"
          >
            <title>{`${point.version}: ${point.labels} labels, ${(point.accuracy * 100).toFixed(1)}%`}</title>
          </circle>
          <text
            x={x(point.labels) + (x(point.labels) > WIDTH * 0.8 ? -6 : 6)}
            y={y(point.accuracy) - 6}
            text-anchor={x(point.labels) > WIDTH * 0.8 ? "end" : "start"}
            font-size="10"
            fill="#059669"
          >
            {point.version}
          </text>
        </g>
      ))}
    </svg>
  );
}
