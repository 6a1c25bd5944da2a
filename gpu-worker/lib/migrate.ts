/**
 * Applies migrations/NNNN_name.sql in order, each in its own transaction, recorded in
 * schema_migrations. Several processes may start at once against one server, so each migration takes
 * an advisory lock and re-checks before applying.
 */
import fs from "node:fs";
import path from "node:path";
import type { Database } from "./database.ts";
import { sql } from "./sql.ts";

/** Where the SQL files live, relative to this module. */
export const MIGRATIONS_DIR = path.resolve(import.meta.dirname ?? ".", "../../migrations");

const MIGRATION_LOCK = 7_340_001;

/** Thrown when the server lacks pgvector; the message says how to fix it. */
export class MissingPgvectorError extends Error {
  constructor() {
    super(
      "Cannot use this PostgreSQL server: the pgvector extension is not installed. " +
        "Install pgvector (for example the pgvector/pgvector:pg17 image, or your distribution's " +
        "postgresql-NN-pgvector package) and run CREATE EXTENSION vector as a superuser",
    );
    this.name = "MissingPgvectorError";
  }
}

/** Fails with {@link MissingPgvectorError} when pgvector cannot be enabled on this server. */
export async function assertPgvectorAvailable(db: Database): Promise<void> {
  const rows = await db.query<{ available: boolean }>(
    sql`SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available`,
  );
  if (!rows[0]?.available) throw new MissingPgvectorError();
}

/** Lists the migration files in apply order. */
export function listMigrations(dir = MIGRATIONS_DIR): { name: string; script: string }[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({ name: file, script: fs.readFileSync(path.join(dir, file), "utf8") }));
}

/** Applies every pending migration; returns the names applied now. */
export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  await assertPgvectorAvailable(db);
  await db.executeScript(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       name text PRIMARY KEY,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const applied: string[] = [];
  const done = new Set(
    (await db.query<{ name: string }>(sql`SELECT name FROM schema_migrations`)).map((row) => row.name),
  );
  for (const migration of listMigrations(dir)) {
    if (done.has(migration.name)) continue;
    // A script holds several statements, so it runs outside the parameterised path. The record goes
    // first, under the lock: a process that lost the race to another hits the primary key and skips.
    try {
      await db.executeScript(
        `BEGIN;
         SELECT pg_advisory_xact_lock(${MIGRATION_LOCK});
         INSERT INTO schema_migrations (name) VALUES ('${migration.name}');
         ${migration.script}
         ;
         COMMIT;`,
      );
      applied.push(migration.name);
    } catch (error) {
      await db.executeScript("ROLLBACK");
      if ((error as { code?: string }).code === "23505") continue;
      throw new Error(`Cannot apply migration "${migration.name}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return applied;
}
