/**
 * The decisions of the review queue that failed to save (decision_outbox.ts), above the card, until each
 * is stored or dropped: what happened, and what the reviewer can do about it — sign in again and retry,
 * retry now, keep the other reviewer's decision or replace it with theirs, or drop a refused one.
 */
import type { OutboxEntry } from "./decision_outbox.ts";

/** Props of {@link DecisionProblems}. */
export interface DecisionProblemsProps {
  entries: OutboxEntry[];
  onRetry: () => void;
  onReplace: (key: string) => void;
  onDrop: (key: string) => void;
}

/** The failed saves, or nothing when there are none. */
export function DecisionProblems({ entries, onRetry, onReplace, onDrop }: DecisionProblemsProps) {
  const signedOut = entries.filter((entry) => entry.state === "signed_out");
  const failed = entries.filter((entry) => entry.state === "failed");
  const conflicts = entries.filter((entry) => entry.state === "conflict");
  const refused = entries.filter((entry) => entry.state === "refused");
  if (signedOut.length + failed.length + conflicts.length + refused.length === 0) return null;
  const count = (n: number) => `${n} decision${n === 1 ? "" : "s"}`;
  return (
    <section
      class="bg-red-50 border border-red-300 rounded-lg p-4 space-y-2 text-sm text-red-900"
      role="alert"
      data-testid="decision-problems"
    >
      {signedOut.length > 0 && (
        <p data-testid="problem-signed-out">
          Your session has ended: {count(signedOut.length)} not saved, kept here.{" "}
          <a
            href="/login"
            target="_blank"
            rel="opener"
            class="underline font-medium"
            data-testid="sign-in-again"
          >
            Sign in again
          </a>{" "}
          (a new tab), then come back:{" "}
          <button type="button" class="underline font-medium" onClick={onRetry} data-testid="retry-saves">
            Retry now
          </button>
        </p>
      )}
      {failed.length > 0 && (
        <p data-testid="problem-failed">
          {count(failed.length)} not saved ({failed[0].error}); retrying by itself.{" "}
          {signedOut.length === 0 && (
            <button type="button" class="underline font-medium" onClick={onRetry} data-testid="retry-saves">
              Retry now
            </button>
          )}
        </p>
      )}
      {conflicts.map((entry) => (
        <p key={entry.key} data-testid="problem-conflict" data-product-id={entry.productId}>
          Row {entry.rowNumber}: {entry.current!.reviewer}{" "}
          {entry.current!.approved ? "approved" : "corrected"}{" "}
          it as “{entry.current!.value}” meanwhile; yours, “{entry.body.approved
            ? entry.body.expected_value
            : entry.body.corrected_text}”, is not saved.{" "}
          <button
            type="button"
            class="underline"
            onClick={() =>
              onDrop(entry.key)}
            data-testid="keep-theirs"
          >
            Keep theirs
          </button>{" "}
          ·{" "}
          <button
            type="button"
            class="underline"
            onClick={() =>
              onReplace(entry.key)}
            data-testid="replace-theirs"
          >
            Replace with mine
          </button>
        </p>
      ))}
      {refused.map((entry) => (
        <p key={entry.key} data-testid="problem-refused" data-product-id={entry.productId}>
          Row {entry.rowNumber}: not saved: {entry.error}{" "}
          <button
            type="button"
            class="underline"
            onClick={() =>
              onDrop(entry.key)}
            data-testid="drop-refused"
          >
            Dismiss
          </button>
        </p>
      ))}
    </section>
  );
}
