-- The learning loop: trained model versions, label names for zero-shot suggestions, ops settings, and
-- what the ensemble stores beside each suggestion.

-- One row per training run. A version becomes 'ready' only after its folder under MODELS_DIR is complete
-- and verified; 'active' is the one every process serves (at most one); 'retired' was active before and
-- can be loaded again (rollback); 'failed' keeps the error of a run that never became ready.
CREATE TABLE model_versions (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  version text GENERATED ALWAYS AS ('v' || id::text) STORED UNIQUE,
  status text NOT NULL DEFAULT 'training'
    CHECK (status IN ('training', 'ready', 'active', 'retired', 'failed')),
  embedding_model_id text NOT NULL,
  dimensions integer NOT NULL,
  job_id integer REFERENCES jobs (id) ON DELETE SET NULL,
  label_count integer,
  train_size integer,
  holdout_size integer,
  -- Feedback rows that existed when the labels were read: what this version has learnt from.
  feedback_snapshot integer,
  accuracy real,
  metrics jsonb,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  ready_at timestamptz,
  activated_at timestamptz
);
CREATE UNIQUE INDEX model_versions_one_active ON model_versions (status) WHERE status = 'active';

-- Label names a user uploaded as a taxonomy (one per line): candidates for zero-shot suggestions even
-- before any row carries them.
CREATE TABLE taxonomy_labels (
  value text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The embedding of each label name (from the taxonomy or from labelled rows), per embedding model,
-- computed by a worker: zero-shot similarity compares a product's vector with these.
CREATE TABLE label_embeddings (
  value text NOT NULL,
  model_id text NOT NULL,
  embedding vector(384) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (value, model_id)
);

-- Ops settings by key (auto_accept, …); values are validated by the contract's schemas when read.
CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- margin: winning score minus the runner-up's (small = the ensemble hesitates between two values);
-- raw_confidence: the ensemble's score before calibration, kept to audit the calibration.
ALTER TABLE suggestions ADD COLUMN margin real;
ALTER TABLE suggestions ADD COLUMN raw_confidence real;

-- 'auto': accepted by the auto-accept setting, never a human decision: it does not train models, vote
-- for neighbours or feed the exact-match memory. The version and confidence say why it was accepted.
ALTER TABLE product_labels DROP CONSTRAINT product_labels_source_check;
ALTER TABLE product_labels ADD CONSTRAINT product_labels_source_check
  CHECK (source IN ('seed', 'human', 'auto'));
ALTER TABLE product_labels ADD COLUMN model_version text;
ALTER TABLE product_labels ADD COLUMN confidence real;

-- The exact-match memory compares texts by this key: case, surrounding and repeated spaces ignored.
CREATE FUNCTION product_text_key(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT lower(regexp_replace(btrim($1), '\s+', ' ', 'g')) $$;
CREATE INDEX products_text_key ON products (product_text_key(text));
