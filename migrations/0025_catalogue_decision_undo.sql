-- Undo for catalogue decisions. A withdrawn decision stays in the history (withdrawn_at, withdrawn_by); the
-- row gets back what it held before: the decision before it that still stands, else the value it held
-- when the decision was made (prior_source, prior_entry_id: a seed value), else no answer, so that the next
-- match suggests again.
ALTER TABLE catalogue_decisions ADD COLUMN withdrawn_at timestamptz;
ALTER TABLE catalogue_decisions ADD COLUMN withdrawn_by text;
ALTER TABLE catalogue_decisions ADD COLUMN prior_source text
  CHECK (prior_source IS NULL OR prior_source IN ('suggested', 'seed', 'human'));
ALTER TABLE catalogue_decisions ADD COLUMN prior_entry_id integer
  REFERENCES catalogue_entries (id) ON DELETE SET NULL;
