-- Every statement that changes review_queue rows locks them in product id order first.
--
-- The rank updates in core/suggest/review_rank.ts (coverage, the worker's spread of the queue's top) lock
-- in product id order; the triggers below updated or deleted in the order of a hash join. On PostgreSQL a
-- re-score's INSERT INTO suggestions (through review_queue_suggestions_written) and the worker's spread
-- then waited on each other's rows and one of them failed with "deadlock detected" (40P01), which a
-- reviewer saw as a 500 on POST /submit-feedback. With one order for every writer, one waits for the
-- other instead. PGlite has one connection and never deadlocks; the locks cost it nothing.

CREATE OR REPLACE FUNCTION review_queue_suggestions_written() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM 1 FROM review_queue JOIN written ON review_queue.product_id = written.product_id
  WHERE (review_queue.suggestion, review_queue.rank_confidence, review_queue.rank_margin)
      IS DISTINCT FROM (written.value, coalesce(written.confidence, -1), coalesce(written.margin, -1))
  ORDER BY review_queue.product_id, review_queue.model_id
  FOR UPDATE OF review_queue;
  UPDATE review_queue
  SET suggestion = written.value,
      rank_confidence = coalesce(written.confidence, -1),
      rank_margin = coalesce(written.margin, -1),
      redundancy = NULL,
      rank_priority = review_queue_priority(coalesce(written.confidence, -1), review_queue.density,
                                            review_queue.coverage, NULL)
  FROM written
  WHERE review_queue.product_id = written.product_id
    AND (review_queue.suggestion, review_queue.rank_confidence, review_queue.rank_margin)
      IS DISTINCT FROM (written.value, coalesce(written.confidence, -1), coalesce(written.margin, -1));
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION review_queue_suggestions_deleted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM 1 FROM review_queue
  WHERE product_id IN (SELECT product_id FROM deleted)
    AND NOT EXISTS (SELECT 1 FROM suggestions WHERE suggestions.product_id = review_queue.product_id)
  ORDER BY product_id, model_id
  FOR UPDATE;
  UPDATE review_queue SET suggestion = NULL, rank_confidence = -1, rank_margin = -1, redundancy = NULL,
    rank_priority = review_queue_priority(-1, review_queue.density, review_queue.coverage, NULL)
  WHERE product_id IN (SELECT product_id FROM deleted)
    AND NOT EXISTS (SELECT 1 FROM suggestions WHERE suggestions.product_id = review_queue.product_id);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION review_queue_labels_inserted() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  PERFORM 1 FROM review_queue WHERE product_id IN (SELECT product_id FROM inserted)
  ORDER BY product_id, model_id
  FOR UPDATE;
  DELETE FROM review_queue WHERE product_id IN (SELECT product_id FROM inserted);
  RETURN NULL;
END
$$;
