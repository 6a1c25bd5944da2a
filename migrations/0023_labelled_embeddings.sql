-- The vectors of the rows whose label votes in the kNN (seed labels and people's decisions), with their
-- own HNSW index.
--
-- Why: the kNN vote (core/suggest/stored_evidence.ts) ordered labelled rows by distance through a join
-- on `embeddings`, whose one HNSW index holds every product. With few labelled rows among many products
-- the planner walks that index and filters afterwards: of its ef_search candidates (40) only the few that
-- happen to be labelled survive, so a row got fewer than k neighbours or none (pgvector 0.6 has no
-- iterative index scans); or, as labels grew, it scanned every labelled row exactly. Measured with
-- bench/knn_recall.ts (recall@10 against an exact scan): 0.06 at 20k products with 300 labels and 0.11 at
-- 100k with 3,000 on PGlite, 0.77 at 20k / 300 on PostgreSQL 16, where 100k / 3,000 took the exact scan at
-- 3.5 s per batch of 64 rows. An index over the voters alone answers with k of them.

-- Kept by triggers, so that every writer of labels or vectors (decisions, imports, undo, auto-accept,
-- re-embedding, deletes) keeps it without knowing of it. Auto-accepted and 'reused' labels never vote
-- and are left out, as the query left them out before.

CREATE TABLE labelled_embeddings (
  product_id integer NOT NULL,
  model_id text NOT NULL,
  value text NOT NULL,
  embedding vector(384) NOT NULL,
  PRIMARY KEY (product_id, model_id),
  FOREIGN KEY (product_id, model_id) REFERENCES embeddings (product_id, model_id) ON DELETE CASCADE
);
CREATE INDEX labelled_embeddings_hnsw ON labelled_embeddings USING hnsw (embedding vector_cosine_ops);

-- Makes the rows of `ids` match product_labels and embeddings; locks in product id order, as every
-- writer of review_queue does (0018), so that two refreshes wait for each other instead of deadlocking.
CREATE FUNCTION labelled_embeddings_refresh(ids integer[]) RETURNS void
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM 1 FROM labelled_embeddings WHERE product_id = ANY(ids)
  ORDER BY product_id, model_id
  FOR UPDATE;
  DELETE FROM labelled_embeddings WHERE product_id = ANY(ids);
  INSERT INTO labelled_embeddings (product_id, model_id, value, embedding)
  SELECT embeddings.product_id, embeddings.model_id, product_labels.value, embeddings.embedding
  FROM embeddings JOIN product_labels ON product_labels.product_id = embeddings.product_id
  WHERE embeddings.product_id = ANY(ids) AND product_labels.source IN ('seed', 'human')
  ORDER BY embeddings.product_id, embeddings.model_id
  ON CONFLICT (product_id, model_id) DO UPDATE SET value = excluded.value, embedding = excluded.embedding;
END
$$;

CREATE FUNCTION labelled_embeddings_changed() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM labelled_embeddings_refresh(ARRAY(SELECT product_id FROM changed));
  RETURN NULL;
END
$$;

CREATE TRIGGER labelled_embeddings_labels_inserted
  AFTER INSERT ON product_labels REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION labelled_embeddings_changed();
CREATE TRIGGER labelled_embeddings_labels_updated
  AFTER UPDATE ON product_labels REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION labelled_embeddings_changed();
CREATE TRIGGER labelled_embeddings_labels_deleted
  AFTER DELETE ON product_labels REFERENCING OLD TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION labelled_embeddings_changed();

-- A vector written for a labelled row (an import's seed labels come before its vectors) or rewritten by
-- re-embedding. A deleted vector takes its row with it (the foreign key).
CREATE TRIGGER labelled_embeddings_vectors_inserted
  AFTER INSERT ON embeddings REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION labelled_embeddings_changed();
CREATE TRIGGER labelled_embeddings_vectors_updated
  AFTER UPDATE ON embeddings REFERENCING NEW TABLE AS changed
  FOR EACH STATEMENT EXECUTE FUNCTION labelled_embeddings_changed();

SELECT labelled_embeddings_refresh(ARRAY(SELECT product_id FROM product_labels WHERE source IN ('seed', 'human')));
