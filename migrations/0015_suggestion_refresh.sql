-- Unlabelled products whose suggestion a new label may have changed, waiting to be re-scored.
-- Why: a worker embedding a file whose rows carry seed labels used to re-score the 20 nearest unlabelled
-- rows of every labelled row right after each batch (640 kNN votes per 32 rows, each over the whole
-- labelled set), which made such a file embed at a tenth of the unlabelled rate, mostly re-scoring the
-- same rows again and again. Now a batch only records those neighbours here (the primary key keeps each
-- once, however many new labels are near it) and a worker re-scores them when no product waits for a
-- vector, in its own short transactions. A row in a durable table survives a worker that dies meanwhile.
CREATE TABLE suggestion_refresh (
  model_id text NOT NULL,
  product_id integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  queued_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, product_id)
);
