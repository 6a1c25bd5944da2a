-- Worker heartbeats: every worker (separate processes and the one inside the embedded web process)
-- upserts its row about every 10 s, so ops can see nodes join and leave. A row whose last_seen_at is
-- older than three intervals belongs to a worker that died; stopped_at is set on a clean shutdown.
-- The row is only a report: no work is assigned through it (leases on the queues do that).
CREATE TABLE workers (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  runtime text NOT NULL,
  device text NOT NULL,
  device_detail text,
  training_backend text,
  embedding_model text NOT NULL,
  model_version text,
  products_embedded integer NOT NULL DEFAULT 0,
  jobs_done integer NOT NULL DEFAULT 0,
  jobs_failed integer NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  stopped_at timestamptz
);
CREATE INDEX workers_last_seen ON workers (last_seen_at DESC);
