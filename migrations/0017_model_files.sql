-- The files of every model version, in the database: the one store every machine reaches. MODELS_DIR
-- becomes each machine's cache of it, so a worker on another host needs only the database URL. A version
-- is marked ready in the same transaction that stores its files. Versions trained before keep their
-- folder and are stored here the first time a process that has the folder loads them.
CREATE TABLE model_version_files (
  version text NOT NULL REFERENCES model_versions (version) ON DELETE CASCADE,
  name text NOT NULL CHECK (name ~ '^[a-z]+\.(json|bin)$'),
  bytes bytea NOT NULL,
  sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (version, name)
);
