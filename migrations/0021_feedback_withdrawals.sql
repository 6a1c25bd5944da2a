-- Undo: a decision a reviewer withdrew. The feedback row stays (the history of a row is never rewritten);
-- this table says it no longer counts, who withdrew it and when. The product's label goes back to what it
-- was before that decision (core/review/withdraw_decision.ts).
CREATE TABLE feedback_withdrawals (
  feedback_id integer PRIMARY KEY REFERENCES feedback (id) ON DELETE CASCADE,
  withdrawn_by text NOT NULL,
  withdrawn_at timestamptz NOT NULL DEFAULT now()
);
