-- Runs once, when the db service initialises an empty data volume (docker-entrypoint-initdb.d), as the
-- superuser in POSTGRES_DB: the app's own role then never needs superuser rights for CREATE EXTENSION.
CREATE EXTENSION IF NOT EXISTS vector;
