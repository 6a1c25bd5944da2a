/**
 * The focused review card's body: where the row comes from, its text, every original column in file
 * order, and the suggestion with its confidence (and similarity when the queue lists similar rows).
 */
import { Fragment } from "preact";
import type { ReviewItem } from "../../contract/schemas.ts";

/** "42%", or "no suggestion". */
export function confidenceLabel(confidence: number | null): string {
  return confidence === null ? "no suggestion" : `${Math.round(confidence * 100)}%`;
}

/** The card's row and suggestion. */
export function ReviewCardDetails({ item }: { item: ReviewItem }) {
  return (
    <>
      <header>
        <p class="text-xs text-slate-500">
          Import {item.import_id} ·{" "}
          <span
            title={`Record ${item.row_number} of the file, counted from the header down; not a file ` +
              `line (a quoted value can span lines, blank lines are skipped)`}
            data-testid="row-number"
          >
            row {item.row_number}
          </span>
        </p>
        <h2 class="text-lg font-semibold break-words" data-testid="card-text">
          {item.text || "(no text)"}
        </h2>
      </header>
      <dl class="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        {item.columns.map((column) => [column, item.data[column] ?? ""]).map(([column, value]) => (
          <Fragment key={column}>
            <dt class="text-slate-500">{column}</dt>
            <dd class="break-words">{value || <span class="text-slate-400">—</span>}</dd>
          </Fragment>
        ))}
      </dl>
      <section class="flex items-center gap-4">
        <div>
          <p class="text-xs text-slate-500">Suggestion</p>
          <p class="font-medium" data-testid="card-suggestion">{item.suggestion ?? "—"}</p>
        </div>
        <div class="flex items-center gap-2">
          {
            /* A <meter>, not a styled div: the CSP allows no style attributes. Its low/high/optimum
              colour it red below 40 %, amber below 70 %, green above. */
          }
          <meter
            class="w-24 h-2"
            min={0}
            max={1}
            low={0.4}
            high={0.7}
            optimum={1}
            value={item.confidence ?? 0}
            aria-label="Confidence"
          />
          <span class="text-sm" data-testid="card-confidence">{confidenceLabel(item.confidence)}</span>
          {item.similarity !== undefined && (
            <span class="text-xs text-sky-800" data-testid="card-similarity">
              {`similarity ${Math.round(item.similarity * 100)}%`}
            </span>
          )}
          {item.source && (
            <span class="text-xs text-slate-500" data-testid="card-source">
              {`${item.source.replace("_", "-")} · ${item.model_version ?? "no trained model"}`}
            </span>
          )}
        </div>
      </section>
    </>
  );
}
