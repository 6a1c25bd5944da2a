/**
 * Applies migrations/NNNN_name.sql in order, each in its own transaction, recorded in
 * schema_migrations with a checksum of its text. Several processes may start at once against one server,
 * so each migration takes an advisory lock and re-checks before applying. Migrations are append-only: an
 * applied one whose file changed stops start-up (the database would never get the new text), naming it.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Database } from "./database.ts";
import { sql } from "./sql.ts";
import { fillTextKeys } from "./text_key_fill.ts";

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

/** Thrown when applied migrations' files changed since; the message names each and says what to do. */
export class MigrationChangedError extends Error {
  constructor(readonly names: string[]) {
    super(
      `Cannot start: ${names.length === 1 ? "migration" : "migrations"} ${
        names.map((name) => `"${name}"`).join(", ")
      } changed after the database applied ${names.length === 1 ? "it" : "them"}. ` +
        "Migrations are append-only: restore the file as it was and put the change in a new migration",
    );
    this.name = "MigrationChangedError";
  }
}

/**
 * SHA-256 (hex) of a migration's text with line endings normalised, so a checkout that turns LF into
 * CRLF does not count as an edit.
 */
export function migrationChecksum(script: string): string {
  return crypto.createHash("sha256").update(script.replace(/\r\n?/g, "\n")).digest("hex");
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
  // checksum: added after the first migrations shipped; NULL on rows recorded before it.
  await db.executeScript(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       name text PRIMARY KEY,
       applied_at timestamptz NOT NULL DEFAULT now()
     );
     ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text;`,
  );
  const migrations = listMigrations(dir).map((migration) => ({
    ...migration,
    checksum: migrationChecksum(migration.script),
  }));
  const done = new Map(
    (await db.query<{ name: string; checksum: string | null }>(
      sql`SELECT name, checksum FROM schema_migrations`,
    ))
      .map((row) => [row.name, row.checksum]),
  );
  const changed = migrations.filter((migration) => {
    const recorded = done.get(migration.name);
    return typeof recorded === "string" && recorded !== migration.checksum;
  });
  if (changed.length > 0) throw new MigrationChangedError(changed.map((migration) => migration.name));
  // Rows from before checksums were kept take the text on disk now: what was applied then is unknown.
  for (const migration of migrations) {
    if (done.has(migration.name) && done.get(migration.name) === null) {
      await db.query(sql`UPDATE schema_migrations SET checksum = ${migration.checksum}
        WHERE name = ${migration.name} AND checksum IS NULL`);
    }
  }
  const applied: string[] = [];
  for (const migration of migrations) {
    if (done.has(migration.name)) continue;
    // A script holds several statements, so it runs outside the parameterised path. The record goes
    // first, under the lock: a process that lost the race to another hits the primary key and skips.
    try {
      await db.executeScript(
        `BEGIN;
         SELECT pg_advisory_xact_lock(${MIGRATION_LOCK});
         INSERT INTO schema_migrations (name, checksum) VALUES ('${migration.name}', '${migration.checksum}');
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
  // The part of migration 0019 that SQL cannot do: the text keys of rows stored before it.
  if (await hasTextKeys(db)) await fillTextKeys(db);
  return applied;
}

/** Says whether products has the stored text keys (migration 0019; not in a test's own migrations). */
async function hasTextKeys(db: Database): Promise<boolean> {
  const rows = await db.query<{ present: boolean }>(sql`
    SELECT EXISTS (
      SELECT 1 FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'products' AND column_name = 'text_key'
    ) AS present`);
  return rows[0].present;
}
