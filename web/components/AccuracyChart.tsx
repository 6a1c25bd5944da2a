/** Held-out accuracy of each version as bars, with its majority-class baseline marked: plain SVG. */

/** One version's bar. */
export interface AccuracyPoint {
  version: string;
  accuracy: number;
  baseline: number;
  active: boolean;
}

const WIDTH = 520;
const HEIGHT = 200;
const LEFT = 36;
const BOTTOM = 24;
const TOP = 16;

/** Bars of accuracy by version, oldest on the left. */
export function AccuracyChart({ points }: { points: AccuracyPoint[] }) {
  if (points.length === 0) return <p class="text-sm text-slate-500">No trained version yet.</p>;
  const plotHeight = HEIGHT - BOTTOM - TOP;
  const slot = (WIDTH - LEFT) / points.length;
  const bar = Math.min(48, slot * 0.6);
  const y = (value: number) => TOP + plotHeight * (1 - value);
  return (
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      class="w-full max-w-xl"
      role="img"
      aria-label="Held-out accuracy by model version"
      data-testid="accuracy-chart"
    >
      {[0, 0.25, 0.5, 0.75, 1].map((tick) => (
        <g key={tick}>
          <line x1={LEFT} x2={WIDTH} y1={y(tick)} y2={y(tick)} stroke="#e2e8f0" />
          <text x={LEFT - 4} y={y(tick) + 4} text-anchor="end" font-size="10" fill="#64748b">
            {`${tick * 100}%`}
          </text>
        </g>
      ))}
      {points.map((point, index) => {
        const x = LEFT + slot * index + (slot - bar) / 2;
        return (
          <g key={point.version} data-version={point.version}>
            <rect
              x={x}
              y={y(point.accuracy)}
              width={bar}
              height={plotHeight * point.accuracy}
              fill={point.active ? "#059669" : "#94a3b8"}
            >
              <title>{`${point.version}: ${(point.accuracy * 100).toFixed(1)}% held-out accuracy`}</title>
            </rect>
            <line
              x1={x - 4}
              x2={x + bar + 4}
              y1={y(point.baseline)}
              y2={y(point.baseline)}
              stroke="#dc2626"
              stroke-dasharray="3 2"
            >
              <title>{`majority-class baseline ${(point.baseline * 100).toFixed(1)}%`}</title>
            </line>
            <text
              x={x + bar / 2}
              y={y(point.accuracy) - 3}
              text-anchor="middle"
              font-size="10"
              fill="currentColor"
            >
              {`${Math.round(point.accuracy * 100)}%`}
            </text>
            <text x={x + bar / 2} y={HEIGHT - 8} text-anchor="middle" font-size="11" fill="currentColor">
              {point.version}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
