-- Accounts: people with a role, their browser sessions, API tokens for scripts, and the audit trail.
-- Secrets never sit here in the clear: passwords are PBKDF2 hashes, session ids and API tokens are stored
-- as SHA-256 digests of 32 random bytes (a digest is enough: they are not guessable like a password).

CREATE TABLE users (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  role text NOT NULL CHECK (role IN ('reviewer', 'ops')),
  -- "pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>": the format carries its own cost.
  password_hash text NOT NULL,
  disabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
  id_hash text PRIMARY KEY,
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Synchroniser token for CSRF: rendered into pages, compared with the X-CSRF-Token header or _csrf field.
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  token_hash text NOT NULL UNIQUE,
  -- The token acts as this user, with at most this role (the lower of it and the user's role counts).
  user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('reviewer', 'ops')),
  created_by integer REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- Append-only: who did what, when. The trigger below refuses UPDATE, DELETE and TRUNCATE, so not even a
-- bug in the product can rewrite history; only a superuser who drops the trigger could.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- The acting user's name as it was then (names are unique; kept as text so history survives renames).
  actor text,
  actor_id integer,
  -- session, token, cli or system
  via text NOT NULL,
  kind text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, at DESC);
CREATE INDEX audit_log_kind ON audit_log (kind, at DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
END
$$;
CREATE TRIGGER audit_log_no_update_delete
  BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate
  BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Found by the hostile-input corpus (web/routes/hostile_input_test.ts): products_text_key (0003) was a
-- btree, whose entries cannot exceed about 2.7 kB, so a row whose joined text columns were longer (a
-- wordy description, a 1,000-column file) failed its whole import with a 500. A hash index serves the
-- same equality lookups (the exact-match memory joins on it) with no size limit.
DROP INDEX IF EXISTS products_text_key;
CREATE INDEX products_text_key ON products USING hash (product_text_key(text));
