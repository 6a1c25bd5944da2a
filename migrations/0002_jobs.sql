-- Background jobs other than embedding (retraining, re-scoring, exports): graphile-worker's shape.
-- A job is claimed with a lease; a worker that dies loses it when the lease ends; failures back off
-- exponentially and stop after max_attempts, keeping the last error.
CREATE TABLE jobs (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
  priority integer NOT NULL DEFAULT 0,
  run_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 3,
  locked_by text,
  locked_until timestamptz,
  last_error text,
  progress jsonb,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX jobs_available ON jobs (priority DESC, run_at, id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_kind_created ON jobs (kind, created_at DESC);
