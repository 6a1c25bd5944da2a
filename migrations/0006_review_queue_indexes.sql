-- The review queue as a table of its own, kept by triggers, so a page is an ordered index scan.
--
-- Why: a row waits for review when it has a vector (embeddings), no label (product_labels) and its rank
-- comes from its suggestion (suggestions): three tables, so no index could serve "unlabelled, least
-- certain first" and every page sorted all 90,000 waiting rows of a 100k catalogue (p50 ~970 ms; OFFSET
-- 5000 took 7–18 s). review_queue holds exactly the waiting rows with their rank; the triggers below keep
-- it right in the same transaction as every write to those tables (feedback, bulk decisions, auto-accept,
-- seed labels on import, embedding, re-scoring), whichever module makes it. Statement-level triggers with
-- transition tables keep bulk writes (a re-score of 90,000 suggestions) at one statement each.
CREATE TABLE review_queue (
  model_id text NOT NULL,
  product_id integer NOT NULL,
  import_id integer NOT NULL,
  suggestion text,
  -- The rank: -1 when there is no suggestion (or no margin), so "no suggestion first" and "NULLS FIRST"
  -- become plain ascending order that a keyset (rank_confidence, rank_margin, product_id) > cursor can use.
  rank_confidence real NOT NULL DEFAULT -1,
  rank_margin real NOT NULL DEFAULT -1,
  -- The row's words for `q` (built-in full-text search, 'simple' configuration: no stemming, any
  -- language; on PGlite and every PostgreSQL, unlike pg_trgm). Here rather than on products so that a
  -- page walking the queue in rank order checks it without a join and without re-parsing the text
  -- (that cost 0.7 ms a row). The first 10,000 characters: a tsvector is limited to 1 MB, and a
  -- 1,000-column row's text could pass it and fail its import.
  search tsvector NOT NULL,
  PRIMARY KEY (model_id, product_id),
  FOREIGN KEY (product_id, model_id) REFERENCES embeddings (product_id, model_id) ON DELETE CASCADE
);
CREATE INDEX review_queue_rank ON review_queue (model_id, rank_confidence, rank_margin, product_id);
CREATE INDEX review_queue_import_rank
  ON review_queue (model_id, import_id, rank_confidence, rank_margin, product_id);
CREATE INDEX review_queue_suggestion_rank
  ON review_queue (model_id, suggestion, rank_confidence, rank_margin, product_id);
CREATE INDEX review_queue_search ON review_queue USING gin (search);

-- Puts every vector of these products in the queue, unless the product is labelled (or already queued).
-- Each way into the queue (a vector arrives, a label goes, the first fill) goes through it.
CREATE FUNCTION review_queue_add(ids integer[]) RETURNS void
  LANGUAGE sql
  AS $$
  INSERT INTO review_queue (model_id, product_id, import_id, suggestion, rank_confidence, rank_margin, search)
  SELECT embeddings.model_id, embeddings.product_id, products.import_id, suggestions.value,
         coalesce(suggestions.confidence, -1), coalesce(suggestions.margin, -1),
         to_tsvector('simple', left(products.text, 10000))
  FROM embeddings
  JOIN products ON products.id = embeddings.product_id
  LEFT JOIN suggestions ON suggestions.product_id = embeddings.product_id
  WHERE embeddings.product_id = ANY(ids)
    AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = embeddings.product_id)
  ON CONFLICT (model_id, product_id) DO NOTHING
$$;

-- A vector arrives: the row waits unless it is labelled already.
CREATE FUNCTION review_queue_embeddings_inserted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM review_queue_add(ARRAY(SELECT DISTINCT product_id FROM inserted));
  RETURN NULL;
END
$$;
CREATE TRIGGER review_queue_embeddings_inserted
  AFTER INSERT ON embeddings REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION review_queue_embeddings_inserted();

-- A label (seed, human, auto) takes the row out of the queue.
CREATE FUNCTION review_queue_labels_inserted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  DELETE FROM review_queue WHERE product_id IN (SELECT product_id FROM inserted);
  RETURN NULL;
END
$$;
CREATE TRIGGER review_queue_labels_inserted
  AFTER INSERT ON product_labels REFERENCING NEW TABLE AS inserted
  FOR EACH STATEMENT EXECUTE FUNCTION review_queue_labels_inserted();

-- A label removed (an undo, a reset) puts the row back for each vector it has.
CREATE FUNCTION review_queue_labels_deleted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM review_queue_add(ARRAY(SELECT DISTINCT product_id FROM deleted));
  RETURN NULL;
END
$$;
CREATE TRIGGER review_queue_labels_deleted
  AFTER DELETE ON product_labels REFERENCING OLD TABLE AS deleted
  FOR EACH STATEMENT EXECUTE FUNCTION review_queue_labels_deleted();

-- A suggestion written or re-scored moves the row in the queue (rows whose rank did not change are left
-- alone: a re-score rewrites every suggestion, most of them unchanged).
CREATE FUNCTION review_queue_suggestions_written() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  UPDATE review_queue
  SET suggestion = written.value,
      rank_confidence = coalesce(written.confidence, -1),
      rank_margin = coalesce(written.margin, -1)
  FROM written
  WHERE review_queue.product_id = written.product_id
    AND (review_queue.suggestion, review_queue.rank_confidence, review_queue.rank_margin)
      IS DISTINCT FROM (written.value, coalesce(written.confidence, -1), coalesce(written.margin, -1));
  RETURN NULL;
END
$$;
CREATE TRIGGER review_queue_suggestions_inserted
  AFTER INSERT ON suggestions REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION review_queue_suggestions_written();
CREATE TRIGGER review_queue_suggestions_updated
  AFTER UPDATE ON suggestions REFERENCING NEW TABLE AS written
  FOR EACH STATEMENT EXECUTE FUNCTION review_queue_suggestions_written();

CREATE FUNCTION review_queue_suggestions_deleted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  UPDATE review_queue SET suggestion = NULL, rank_confidence = -1, rank_margin = -1
  WHERE product_id IN (SELECT product_id FROM deleted)
    AND NOT EXISTS (SELECT 1 FROM suggestions WHERE suggestions.product_id = review_queue.product_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER review_queue_suggestions_deleted
  AFTER DELETE ON suggestions REFERENCING OLD TABLE AS deleted
  FOR EACH STATEMENT EXECUTE FUNCTION review_queue_suggestions_deleted();

-- The rows already waiting on a database that holds data.
SELECT review_queue_add(ARRAY(SELECT DISTINCT product_id FROM embeddings));

ANALYZE review_queue;
