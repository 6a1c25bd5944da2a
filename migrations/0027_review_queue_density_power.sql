-- The review queue weighs density more: a row's priority counts its density to the power 1.5 (information
-- density's beta, Settles & Craven 2008), uncertainty and novelty as before (0014).
--
-- Why: with many categories and a few hundred labels the model's confidence is low almost everywhere, so
-- uncertainty separates rows little, and density × novelty spread the labels evenly over the embedding
-- space: small, loose groups of rows got as many labels as the large, tight ones most rows belong to, and
-- the queue did no better than random order. Measured with bench:learning (Walmart-Amazon, mean of 3 runs,
-- seeds 7–9, the queue's order computed as review_rank.ts computes it; beta 1 / 1.5 / 2 / random order):
--   fine (141 categories)   50 labels 0.390 / 0.417 / 0.409 / 0.364   100: 0.444 / 0.474 / 0.473 / 0.419
--                          200 labels 0.471 / 0.503 / 0.500 / 0.454   500: 0.527 / 0.544 / 0.541 / 0.520
--   coarse (10 categories)  50 labels 0.763 / 0.739 / 0.740 / 0.684   100: 0.788 / 0.800 / 0.795 / 0.746
--                          200 labels 0.819 / 0.815 / 0.810 / 0.773   500: 0.846 / 0.841 / 0.831 / 0.814
-- Beta 3 gave the same as 2 (fine); a margin-based uncertainty or favouring rows whose suggested value has
-- few labels did not beat beta 1.5.
-- The worker's spread computes the same value in TypeScript (review_rank.ts informationValue with
-- QUEUE_DENSITY_POWER): the two must agree, or the spread's picks would not keep their places.
CREATE OR REPLACE FUNCTION review_queue_priority(confidence real, density real, coverage real, redundancy real)
  RETURNS real
  LANGUAGE sql IMMUTABLE
  AS $$
  SELECT (-(power(greatest(coalesce(density, 0), 0), 1.5)
    * (1 - least(greatest(coverage, coalesce(redundancy, 0), 0), 1))
    * (1 - greatest(confidence, 0))))::real
$$;

-- Every waiting row gets its new sort key, locked in product id order as every writer of review_queue
-- locks (0018).
UPDATE review_queue q
SET rank_priority = review_queue_priority(q.rank_confidence, q.density, q.coverage, q.redundancy)
FROM (SELECT model_id, product_id FROM review_queue ORDER BY product_id FOR UPDATE) locked
WHERE q.model_id = locked.model_id AND q.product_id = locked.product_id;
