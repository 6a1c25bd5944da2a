-- The first schema: imports, their products, embeddings, the embedding queue, suggestions and feedback.
-- Ids are integer: a catalogue of two billion rows is out of scope, and int4 reads back as a number in
-- both drivers.

CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE imports (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  file_name text NOT NULL,
  columns jsonb NOT NULL DEFAULT '[]',
  text_columns jsonb NOT NULL DEFAULT '[]',
  label_column text,
  row_count integer NOT NULL DEFAULT 0,
  labelled_count integer NOT NULL DEFAULT 0,
  status text NOT NULL CHECK (status IN ('imported', 'failed')),
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  import_id integer NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
  row_number integer NOT NULL,
  data jsonb NOT NULL,
  text text NOT NULL,
  seed_label text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (import_id, row_number)
);

-- One vector per product and embedding model: the primary key makes re-embedding an upsert, never a
-- duplicate.
CREATE TABLE embeddings (
  product_id integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  model_id text NOT NULL,
  embedding vector(384) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (product_id, model_id)
);
CREATE INDEX embeddings_embedding_hnsw ON embeddings USING hnsw (embedding vector_cosine_ops);

-- Products waiting for an embedding. A row leaves the queue in the same transaction that writes its
-- vector; a worker that dies leaves its lease to expire, and attempts/last_error keep the history.
CREATE TABLE embedding_queue (
  model_id text NOT NULL,
  product_id integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  attempts integer NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  locked_by text,
  locked_until timestamptz,
  last_error text,
  PRIMARY KEY (model_id, product_id)
);
CREATE INDEX embedding_queue_available ON embedding_queue (model_id, run_at, product_id);

-- The current label of a product: its seed label from the file, or the latest human decision.
CREATE TABLE product_labels (
  product_id integer PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
  value text NOT NULL,
  source text NOT NULL CHECK (source IN ('seed', 'human')),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_labels_value ON product_labels (value);

CREATE TABLE suggestions (
  product_id integer PRIMARY KEY REFERENCES products (id) ON DELETE CASCADE,
  value text NOT NULL,
  confidence real NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
  source text NOT NULL,
  model_version text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suggestions_confidence ON suggestions (confidence, product_id);

-- Every decision is kept; the latest per product is the one that counts (mirrored in product_labels).
CREATE TABLE feedback (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  product_id integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  approved boolean NOT NULL,
  corrected_text text,
  value text NOT NULL,
  suggested_value text,
  suggested_confidence real,
  reviewer text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (approved OR corrected_text IS NOT NULL)
);
CREATE INDEX feedback_product ON feedback (product_id, created_at DESC);
