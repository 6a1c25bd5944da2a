-- Retiring a canonical entry: an entry added by mistake (a typo typed as a new entry, a wrong row in a
-- reference list) stops being suggested, while the decisions that named it stay in the history. An entry
-- that standing decisions or seed values use cannot be retired (core/catalogue/entry_list.ts); naming it
-- again (a reference list, a seed value, a reviewer typing it) brings it back.
ALTER TABLE catalogue_entries ADD COLUMN retired_at timestamptz;
