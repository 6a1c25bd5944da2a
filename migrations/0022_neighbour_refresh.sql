-- Rows whose label a person just set or withdrew: their nearest waiting rows are to be re-scored.
-- Why durable: decisions answer once stored and their neighbours are re-scored right after, in batches
-- (core/review/neighbour_refresh.ts). That batch used to live in the web process' memory, so a process
-- killed between a decision's commit and the batch left those neighbours with stale suggestions until
-- something else re-scored them. The decision's transaction now records its row here; the refresher
-- removes it after the neighbours are re-scored, and drains what a dead process left at start-up.
CREATE TABLE neighbour_refresh (
  product_id integer PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
  changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX neighbour_refresh_order ON neighbour_refresh (changed_at, product_id);
