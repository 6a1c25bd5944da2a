-- Crash safety: what a process killed mid-work (kill -9, power loss, OOM) leaves behind must end, and
-- nothing it left half done may be seen.

-- The process reading an 'importing' file ("host:pid:nonce"). With updated_at (touched by every batch and
-- by a keep-alive timer) it tells a live import from one whose writer is gone: on the embedded database
-- the process holding the data-dir lock knows every other writer is dead; on a server a writer on the
-- same host whose pid is gone is dead at once, any other one once updated_at is older than the lease.
ALTER TABLE imports ADD COLUMN writer text;

-- Rows of an import that is not 'imported' (being read, or failed and awaiting clean-up) never enter the
-- review queue: they are neither embedded nor decidable either (see the embedding claim and feedback).
CREATE OR REPLACE FUNCTION review_queue_add(ids integer[]) RETURNS void
  LANGUAGE sql
  AS $$
  INSERT INTO review_queue (model_id, product_id, import_id, suggestion, rank_confidence, rank_margin, search)
  SELECT embeddings.model_id, embeddings.product_id, products.import_id, suggestions.value,
         coalesce(suggestions.confidence, -1), coalesce(suggestions.margin, -1),
         to_tsvector('simple', left(products.text, 10000))
  FROM embeddings
  JOIN products ON products.id = embeddings.product_id
  JOIN imports ON imports.id = products.import_id AND imports.status = 'imported'
  LEFT JOIN suggestions ON suggestions.product_id = embeddings.product_id
  WHERE embeddings.product_id = ANY(ids)
    AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = embeddings.product_id)
  ON CONFLICT (model_id, product_id) DO NOTHING
$$;

-- Rows that a worker queued before this rule (the start-up sweep queued every product without a vector,
-- a dead import's rows included) leave the queues now.
DELETE FROM review_queue
WHERE NOT EXISTS (
  SELECT 1 FROM products JOIN imports ON imports.id = products.import_id
  WHERE products.id = review_queue.product_id AND imports.status = 'imported');
DELETE FROM embedding_queue
WHERE NOT EXISTS (
  SELECT 1 FROM products JOIN imports ON imports.id = products.import_id
  WHERE products.id = embedding_queue.product_id AND imports.status = 'imported');

-- A model version whose retrain attempt ended without making it ready is failed, whatever ended the
-- attempt: the handler's error, the job failed for good, or a worker killed mid-training (its lease
-- expires; the next attempt's claim raises `attempts`, or the job fails on its last attempt). Without
-- this the killed attempt's version stayed 'training' for good and could never be loaded or cleaned.
CREATE FUNCTION model_versions_fail_abandoned() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  UPDATE model_versions
  SET status = 'failed',
      error = format('Cannot finish model %s: attempt %s of job %s ended before it was ready',
                     model_versions.version, OLD.attempts, NEW.id) ||
        CASE WHEN NEW.status = 'failed' AND NEW.last_error IS NOT NULL THEN ' (' || NEW.last_error || ')'
             ELSE '' END
  WHERE job_id = NEW.id AND status = 'training';
  RETURN NULL;
END
$$;
CREATE TRIGGER model_versions_fail_abandoned
  AFTER UPDATE OF status, attempts ON jobs
  FOR EACH ROW
  WHEN (NEW.status <> 'running' OR NEW.attempts > OLD.attempts)
  EXECUTE FUNCTION model_versions_fail_abandoned();

-- Versions left 'training' by a job that already ended or moved on.
UPDATE model_versions SET status = 'failed',
  error = format('Cannot finish model %s: its retrain ended before it was ready', version)
WHERE status = 'training'
  AND EXISTS (SELECT 1 FROM jobs WHERE jobs.id = model_versions.job_id AND jobs.status <> 'running');

-- Gapless numbers for the names people see (import ids, model versions "vN"). PostgreSQL sequences log
-- 32 values ahead in the WAL and resume after the logged value following a crash, so every kill -9 made
-- both jump by ~32. A counter row is updated in the inserting transaction: it is as durable as the row
-- it numbers, rolls back with it, and never hands out a number twice (max(id) + 1 would reuse the number
-- of a deleted newest import, which audit entries and links still name). Its row lock serialises
-- concurrent inserts of one kind until they commit; both inserts are single short statements.
CREATE TABLE id_counters (
  name text PRIMARY KEY,
  value integer NOT NULL
);
-- Starting past every number handed out so far, deleted rows' included (the sequences remember them).
INSERT INTO id_counters (name, value)
SELECT 'imports', greatest(coalesce(max(id), 0),
  coalesce(pg_sequence_last_value(pg_get_serial_sequence('imports', 'id')::regclass), 0)) FROM imports
UNION ALL
SELECT 'model_versions', greatest(coalesce(max(id), 0),
  coalesce(pg_sequence_last_value(pg_get_serial_sequence('model_versions', 'id')::regclass), 0))
FROM model_versions;

CREATE FUNCTION next_id(counter text) RETURNS integer
  LANGUAGE sql
  AS $$ UPDATE id_counters SET value = value + 1 WHERE name = counter RETURNING value $$;

-- The identity columns become plain columns numbered by the counters (explicit ids stay possible, as
-- before with OVERRIDING SYSTEM VALUE; nothing in the product inserts them).
ALTER TABLE imports ALTER COLUMN id DROP IDENTITY;
ALTER TABLE imports ALTER COLUMN id SET DEFAULT next_id('imports');
ALTER TABLE model_versions ALTER COLUMN id DROP IDENTITY;
ALTER TABLE model_versions ALTER COLUMN id SET DEFAULT next_id('model_versions');
