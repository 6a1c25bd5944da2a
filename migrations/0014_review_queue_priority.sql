-- The review queue's order becomes information density: the rows whose label teaches the model most come
-- first, not merely the least certain ones. Measured by bench:learning, least-certain-first spent the first
-- hundreds of labels on atypical rows (outliers are uncertain by nature) and lost to random order until
-- ~500 labels. A row's priority is the product of three things the queue stores with it:
--   uncertainty  1 - confidence of its suggestion (1 when it has none),
--   density      mean cosine similarity to its QUEUE_DENSITY_NEIGHBOURS nearest embedded rows: typical rows
--                are worth more than outliers (Settles & Craven 2008, "information density"),
--   novelty      1 - max(coverage, redundancy): coverage = cosine similarity to its closest labelled row
--                (seed or person's decision), redundancy = to its closest row ranked above it in the queue
--                (the worker picks the top of the queue greedily, review_rank.ts). Before any label this
--                spreads the first pages over the data (a diverse cold start: without it the first 20 rows
--                all came from the densest category, 0.16 accuracy after 20 labels instead of 0.70); later it
--                keeps the queue away from regions already labelled or about to be.
-- The near-duplicate windows (diverse_order.ts) still apply on top.

-- NULL until the worker computes it (review_rank.ts, when it has nothing else to do): it needs a nearest
-- neighbour search per row, too slow for a trigger on a bulk insert.
ALTER TABLE review_queue ADD COLUMN density real;
-- Kept by scoring (score_products.ts): the kNN vote already finds the closest labelled row.
ALTER TABLE review_queue ADD COLUMN coverage real NOT NULL DEFAULT 0;
-- NULL until the worker ranks the top of the queue again (review_rank.ts spreadQueueTop); a new
-- suggestion resets it, since the row may move.
ALTER TABLE review_queue ADD COLUMN redundancy real;
-- The sort key, ascending (minus the priority, so "most informative first" is plain ascending order and
-- a keyset cursor works as before). 0 while the density is unknown: such rows come after the rest, in the
-- old order (confidence, then margin), which stays the tie-break.
ALTER TABLE review_queue ADD COLUMN rank_priority real NOT NULL DEFAULT 0;

-- The sort key from a row's confidence (-1 when it has no suggestion), density, coverage and redundancy.
-- The one definition of the order: every statement that changes one of them recomputes it through here.
CREATE FUNCTION review_queue_priority(confidence real, density real, coverage real, redundancy real)
  RETURNS real
  LANGUAGE sql IMMUTABLE
  AS $$
  SELECT (-(greatest(coalesce(density, 0), 0)
    * (1 - least(greatest(coverage, coalesce(redundancy, 0), 0), 1))
    * (1 - greatest(confidence, 0))))::real
$$;

CREATE OR REPLACE FUNCTION review_queue_suggestions_written() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
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
  UPDATE review_queue SET suggestion = NULL, rank_confidence = -1, rank_margin = -1, redundancy = NULL,
    rank_priority = review_queue_priority(-1, review_queue.density, review_queue.coverage, NULL)
  WHERE product_id IN (SELECT product_id FROM deleted)
    AND NOT EXISTS (SELECT 1 FROM suggestions WHERE suggestions.product_id = review_queue.product_id);
  RETURN NULL;
END
$$;

-- Pages walk the new key; the old indexes served the old one.
DROP INDEX review_queue_rank;
DROP INDEX review_queue_import_rank;
DROP INDEX review_queue_suggestion_rank;
CREATE INDEX review_queue_rank
  ON review_queue (model_id, rank_priority, rank_confidence, rank_margin, product_id);
CREATE INDEX review_queue_import_rank
  ON review_queue (model_id, import_id, rank_priority, rank_confidence, rank_margin, product_id);
CREATE INDEX review_queue_suggestion_rank
  ON review_queue (model_id, suggestion, rank_priority, rank_confidence, rank_margin, product_id);
-- The worker's sweep finds the rows still missing a density without reading the queue.
CREATE INDEX review_queue_missing_density ON review_queue (model_id, product_id) WHERE density IS NULL;

ANALYZE review_queue;
