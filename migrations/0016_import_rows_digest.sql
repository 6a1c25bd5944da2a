-- The same file uploaded twice: rows_sha256 is a SHA-256 over an import's header and cells as read (JSON
-- text of each record, one a line), so the same rows match whatever the encoding, byte order mark,
-- delimiter or line endings of the file they came in. NULL for imports made before and for failed ones.
ALTER TABLE imports ADD COLUMN rows_sha256 text;
CREATE INDEX imports_rows_sha256 ON imports (rows_sha256) WHERE status = 'imported';
