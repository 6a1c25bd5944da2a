-- Retraining by itself while people review, and activating a new version by itself when it is at least
-- as good as the active one.

-- The ops setting (PUT /settings/auto-retrain), on by default so a file with a label column gets a
-- trained, active version without anyone pressing Retrain. The contract's schema validates it on read.
INSERT INTO settings (key, value)
VALUES ('auto_retrain', '{"enabled": true, "every_labels": 50, "every_minutes": 5, "auto_activate": true}')
ON CONFLICT (key) DO NOTHING;

-- At most one retrain queued or running, whoever asks (a person, or the scheduler in any number of
-- workers): a second INSERT conflicts here and the caller gets the existing job instead. Until now a
-- retrain could be queued while another ran; the older one is kept and the newer one closed.
UPDATE jobs SET status = 'failed', finished_at = now(), updated_at = now(),
  last_error = 'Closed by migration 0011: another retrain was already queued or running'
WHERE kind = 'retrain' AND status IN ('queued', 'running')
  AND id > (SELECT min(id) FROM jobs WHERE kind = 'retrain' AND status IN ('queued', 'running'));
CREATE UNIQUE INDEX jobs_one_retrain ON jobs (kind) WHERE kind = 'retrain' AND status IN ('queued', 'running');

-- The scheduler counts labels newer than the last retrain on every poll tick: these keep that cheap.
CREATE INDEX feedback_created ON feedback (created_at);
CREATE INDEX product_labels_seed_updated ON product_labels (updated_at) WHERE source = 'seed';

-- Why a ready version was or was not made active by the auto-activation policy:
-- 'activated' (at least as good as the active one on its held-out rows, or none was active), 'kept'
-- (worse: the active one stays), 'off' (the policy was switched off), 'failed' (the comparison or the
-- activation could not run). NULL for versions made before this migration or never ready.
ALTER TABLE model_versions ADD COLUMN activation_decision text
  CHECK (activation_decision IN ('activated', 'kept', 'off', 'failed'));
ALTER TABLE model_versions ADD COLUMN activation_reason text;
