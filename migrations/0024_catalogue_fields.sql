-- Fields: the normalised values a product carries. Until now a product had one, its category; it becomes
-- the first field, 'category', whose values stay where they are (product_labels, suggestions, feedback,
-- model_versions, taxonomy_labels): nothing moves and nothing is lost.
--
-- A field of kind 'catalogue' matches each row to an entry of a canonical list (reconciliation): the
-- user uploads the list, and it grows from decisions. Its state is in the catalogue_* tables below, per
-- (field, product), so that one product carries a category and any number of catalogue matches.
CREATE TABLE fields (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- A column name in exports and a path segment in URLs: lower-case letters, digits, underscores.
  name text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
  kind text NOT NULL CHECK (kind IN ('label', 'catalogue')),
  -- The column of an imported file whose values are already decided for this field (a seed).
  seed_column text CHECK (seed_column IS NULL OR length(seed_column) BETWEEN 1 AND 200),
  position integer NOT NULL,
  -- A catalogue field is matched again (core/catalogue/catalogue_schedule.ts) when something it depends
  -- on changed after its last match: new rows, new entries, new decisions.
  match_requested_at timestamptz,
  matched_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO fields (name, kind, seed_column, position)
SELECT 'category', 'label', NULL, 0;

-- The canonical entries of a catalogue field. name_key is core/text_key.ts' textKey of the name,
-- computed by the writer (PGlite's C locale cannot fold case): two names a person reads as the same are
-- one entry.
CREATE TABLE catalogue_entries (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  field_id integer NOT NULL REFERENCES fields (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 1000),
  name_key text NOT NULL,
  attributes jsonb NOT NULL DEFAULT '{}',
  -- 'upload': the reference list; 'seed': a value of the seed column; 'review': typed by a reviewer.
  source text NOT NULL CHECK (source IN ('upload', 'seed', 'review')),
  -- The name's embedding by the model model_id; NULL until a worker has embedded it.
  model_id text,
  embedding vector(384),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (field_id, name_key),
  CHECK ((model_id IS NULL) = (embedding IS NULL))
);
CREATE INDEX catalogue_entries_unembedded ON catalogue_entries (field_id, id) WHERE embedding IS NULL;

-- The current state of each (catalogue field, product): the suggested entry with its confidence and
-- the runners-up, or the decided entry. One row per pair; a decision replaces the suggestion.
CREATE TABLE catalogue_matches (
  field_id integer NOT NULL REFERENCES fields (id) ON DELETE CASCADE,
  product_id integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  entry_id integer REFERENCES catalogue_entries (id) ON DELETE CASCADE,
  -- The re-ranker's probability of entry_id among the row's candidates; 1 for a decision.
  confidence real NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  -- [{"entry_id": n, "confidence": c}, …], best first, entry_id excluded.
  alternatives jsonb NOT NULL DEFAULT '[]',
  -- 'suggested': the matcher's; 'seed': the file's seed column; 'human': a reviewer's decision.
  source text NOT NULL CHECK (source IN ('suggested', 'seed', 'human')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (field_id, product_id),
  CHECK (source = 'suggested' OR entry_id IS NOT NULL)
);
-- The review queue of a field: undecided rows, least confident first.
CREATE INDEX catalogue_matches_queue ON catalogue_matches (field_id, confidence, product_id)
  WHERE source = 'suggested';
CREATE INDEX catalogue_matches_entry ON catalogue_matches (entry_id) WHERE source <> 'suggested';

-- Every decision on a catalogue field, kept: the latest per (field, product) is mirrored in
-- catalogue_matches. suggested_entry_id is what the card showed, so approvals and corrections can be
-- told apart and counted.
CREATE TABLE catalogue_decisions (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  field_id integer NOT NULL REFERENCES fields (id) ON DELETE CASCADE,
  product_id integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  entry_id integer NOT NULL REFERENCES catalogue_entries (id) ON DELETE CASCADE,
  suggested_entry_id integer REFERENCES catalogue_entries (id) ON DELETE SET NULL,
  created_entry boolean NOT NULL DEFAULT false,
  reviewer text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX catalogue_decisions_product ON catalogue_decisions (field_id, product_id, id);

-- At most one waiting match job per catalogue field: requests made while one waits are all served by it.
CREATE UNIQUE INDEX jobs_one_catalogue_match ON jobs ((payload ->> 'field_id'))
  WHERE kind = 'catalogue-match' AND status = 'queued';
