-- Several reviewers on one queue: a card served to a reviewer is leased to them for a short time, so
-- nobody else is served it meanwhile (core/review/review_leases.ts). A lease ends when it expires, when the
-- row is decided, or when its reviewer starts the queue again; one row per product at most.
CREATE TABLE review_leases (
  product_id integer PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
  reviewer text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX review_leases_reviewer ON review_leases (reviewer);

-- A decision sent again (the answer was lost: network, a closed laptop, a session that ended) carries
-- the key the browser gave it the first time; the stored decision is answered, never a second one.
ALTER TABLE feedback ADD COLUMN decision_key uuid;
CREATE UNIQUE INDEX feedback_decision_key ON feedback (decision_key) WHERE decision_key IS NOT NULL;
