-- Imports that grow: a supplier's weekly feed appended beside last week's belongs to the same dataset.
-- dataset_id is the id of the dataset's first import. No foreign key on purpose: deleting that first
-- file must not delete or orphan the files appended after it, and the number stays a stable name for
-- the dataset.
ALTER TABLE imports ADD COLUMN dataset_id integer;
UPDATE imports SET dataset_id = id;
CREATE INDEX imports_dataset ON imports (dataset_id, id);

-- 'reused': a row of an appended file whose text equals that of a row of the same dataset already
-- labelled by a person (or a seed label) gets that label at import. It is out of the review queue like
-- any label, but it is a copy, not new evidence: like 'auto' it never trains (the same text on both
-- sides of the held-out split would inflate accuracy), votes or feeds the exact-match memory — the
-- original decision still does. reused_from names the product whose label was copied.
ALTER TABLE product_labels DROP CONSTRAINT product_labels_source_check;
ALTER TABLE product_labels ADD CONSTRAINT product_labels_source_check
  CHECK (source IN ('seed', 'human', 'auto', 'reused'));
ALTER TABLE product_labels ADD COLUMN reused_from integer REFERENCES products (id) ON DELETE SET NULL;


-- 'importing': a file being read. Its rows are written in committed batches, so a long import never
-- holds the embedded database's single connection (progress polls, cancel and reviewers keep working);
-- nothing sees them — no queue entries, labels or embeddings until the import finishes in one short
-- transaction, and exports skip imports that are not 'imported'. A cancelled or refused file's rows are
-- deleted and the import marked failed; one left by a crashed process is cleaned up by the next upload.
ALTER TABLE imports DROP CONSTRAINT imports_status_check;
ALTER TABLE imports ADD CONSTRAINT imports_status_check CHECK (status IN ('importing', 'imported', 'failed'));
