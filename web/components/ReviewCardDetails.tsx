/**
 * The focused review card's body: where the row comes from, its text and the suggestion with its
 * confidence (and similarity when the queue lists similar rows) — above the decision, so `A` never
 * approves a suggestion out of view — and, below the decision, every original column in file order.
 * Long values wrap anywhere (a 400-character unbroken title once scrolled the page 2,638 px sideways).
 */
import { Fragment } from "preact";
import type { ReviewItem } from "../../contract/schemas.ts";

/** "42%", or "no suggestion". */
export function confidenceLabel(confidence: number | null): string {
  return confidence === null ? "no suggestion" : `${Math.round(confidence * 100)}%`;
}

/**
 * What a card's percentage means, for its tooltip: with a trained version the ensemble's confidence is
 * calibrated out of fold (core/learning/calibration.ts), so it reads as a rate of being right; before the
 * first version it is the kNN vote's share times the closest voter's similarity (or zero-shot's), a rank.
 */
export function confidenceMeaning(item: Pick<ReviewItem, "confidence" | "model_version">): string {
  if (item.confidence === null) return "No suggestion yet: nothing labelled or named is close to this row";
  return item.model_version
    ? `Calibrated on rows ${item.model_version} did not train on: of the suggestions shown at ` +
      `${confidenceLabel(item.confidence)}, about that share were right`
    : "No trained version yet: how strongly the nearest labelled rows (or the label names) agree; " +
      "a ranking, not yet a rate of being right";
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
        {
          /* At most three lines, so the suggestion stays in view; the whole text is the tooltip and, in
            full, the columns below. */
        }
        <h2
          class="text-lg font-semibold wrap-anywhere line-clamp-3"
          title={item.text}
          data-testid="card-text"
        >
          {item.text || "(no text)"}
        </h2>
      </header>
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
          <span
            class="text-sm underline decoration-dotted cursor-help"
            title={confidenceMeaning(item)}
            data-testid="card-confidence"
          >
            {confidenceLabel(item.confidence)}
          </span>
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

/** The card's original columns in file order, each value whole and wrapped. */
export function ReviewCardColumns({ item }: { item: ReviewItem }) {
  return (
    <dl class="grid grid-cols-[minmax(6rem,max-content)_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm">
      {item.columns.map((column) => [column, item.data[column] ?? ""]).map(([column, value]) => (
        <Fragment key={column}>
          <dt class="text-slate-500 wrap-anywhere">{column}</dt>
          <dd class="wrap-anywhere" data-testid="card-column">
            {value || <span class="text-slate-500">—</span>}
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}
