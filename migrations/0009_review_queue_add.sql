-- One function adds rows to the review queue for every way in (a vector arrives, a label goes, the first
-- fill), so a rule about which rows may wait is written once. 0006 first shipped with the same INSERT
-- written out in each trigger function and was later edited in place to call this function; a database
-- that applied the first text never got it. Whichever text a database applied, it ends here the same: the
-- function is created or replaced, and so are the two trigger functions that call it (their triggers point
-- at them by name). Since then every applied migration has a checksum, and start-up stops when one changed.
CREATE OR REPLACE FUNCTION review_queue_add(ids integer[]) RETURNS void
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
CREATE OR REPLACE FUNCTION review_queue_embeddings_inserted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM review_queue_add(ARRAY(SELECT DISTINCT product_id FROM inserted));
  RETURN NULL;
END
$$;

-- A label removed (an undo, a reset) puts the row back for each vector it has.
CREATE OR REPLACE FUNCTION review_queue_labels_deleted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM review_queue_add(ARRAY(SELECT DISTINCT product_id FROM deleted));
  RETURN NULL;
END
$$;
