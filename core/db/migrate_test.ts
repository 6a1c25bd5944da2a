import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { listMigrations, migrate, MigrationChangedError, migrationChecksum } from "./migrate.ts";
import { sql } from "./sql.ts";
import { openEmptyTestDatabase } from "../../testing/testing.ts";

test("migrate() applies every migration once and records it", async () => {
  const db = await openEmptyTestDatabase();
  try {
    const first = await migrate(db);
    assert.deepEqual(first, listMigrations().map((m) => m.name));
    assert.deepEqual(await migrate(db), []);
    const tables = await db.query<{ name: string }>(sql`
      SELECT table_name AS name FROM information_schema.tables
      WHERE table_schema = 'public' ORDER BY table_name`);
    for (
      const name of [
        "embedding_queue",
        "embeddings",
        "feedback",
        "imports",
        "product_labels",
        "products",
        "suggestions",
      ]
    ) {
      assert.ok(tables.some((table) => table.name === name), `missing table ${name}`);
    }
    const [hnsw] = await db.query<{ indexdef: string }>(sql`
      SELECT indexdef FROM pg_indexes WHERE indexname = 'embeddings_embedding_hnsw'`);
    assert.match(hnsw.indexdef, /hnsw \(embedding vector_cosine_ops\)/);
  } finally {
    await db.close();
  }
});

test("a failing migration is rolled back whole and named in the error", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-migrations-"));
  fs.writeFileSync(path.join(dir, "0001_good.sql"), "CREATE TABLE good (id int);");
  fs.writeFileSync(path.join(dir, "0002_bad.sql"), "CREATE TABLE half (id int);\nSELECT no_such_function();");
  const db = await openEmptyTestDatabase();
  try {
    await assert.rejects(() => migrate(db, dir), /Cannot apply migration "0002_bad.sql"/);
    const tables = await db.query<{ name: string }>(sql`
      SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'`);
    const names = tables.map((table) => table.name);
    assert.ok(names.includes("good"));
    assert.ok(!names.includes("half"), "the failed migration's first statement must be rolled back");
    const applied = await db.query<{ name: string }>(sql`SELECT name FROM schema_migrations ORDER BY name`);
    assert.deepEqual(applied.map((row) => row.name), ["0001_good.sql"]);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("migrate() on a server without pgvector stops before any change, saying how to install it", async () => {
  const scripts: string[] = [];
  const withoutPgvector = {
    kind: "postgres" as const,
    query: <T>() => Promise.resolve([{ available: false }] as T[]),
    transaction: () => Promise.reject(new Error("not used")),
    executeScript: (script: string) => {
      scripts.push(script);
      return Promise.resolve();
    },
    listen: () => Promise.reject(new Error("not used")),
    close: () => Promise.resolve(),
  };
  await assert.rejects(() => migrate(withoutPgvector), (error: Error) => {
    assert.equal(error.name, "MissingPgvectorError");
    assert.match(
      error.message,
      /^Cannot use this PostgreSQL server: the pgvector extension is not installed/,
    );
    assert.match(error.message, /pgvector\/pgvector:pg17/);
    assert.match(error.message, /CREATE EXTENSION vector/);
    return true;
  });
  assert.deepEqual(scripts, [], "nothing was run against the server");
});

test("an applied migration whose file changed stops migrate() with its name; line endings do not count", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-migrations-"));
  fs.writeFileSync(path.join(dir, "0001_first.sql"), "CREATE TABLE first (id int);\n");
  fs.writeFileSync(path.join(dir, "0002_second.sql"), "CREATE TABLE second (id int);\n");
  const db = await openEmptyTestDatabase();
  try {
    assert.deepEqual(await migrate(db, dir), ["0001_first.sql", "0002_second.sql"]);
    const recorded = await db.query<{ name: string; checksum: string }>(sql`
      SELECT name, checksum FROM schema_migrations ORDER BY name`);
    assert.deepEqual(recorded.map((row) => row.checksum), [
      migrationChecksum("CREATE TABLE first (id int);\n"),
      migrationChecksum("CREATE TABLE second (id int);\n"),
    ]);

    fs.writeFileSync(path.join(dir, "0001_first.sql"), "CREATE TABLE first (id int);\r\n");
    assert.deepEqual(await migrate(db, dir), [], "CRLF is the same text");

    fs.writeFileSync(path.join(dir, "0002_second.sql"), "CREATE TABLE second (id bigint);\n");
    fs.writeFileSync(path.join(dir, "0003_third.sql"), "CREATE TABLE third (id int);\n");
    await assert.rejects(() => migrate(db, dir), (error: Error) => {
      assert.ok(error instanceof MigrationChangedError);
      assert.match(
        error.message,
        /^Cannot start: migration "0002_second.sql" changed after the database applied it/,
      );
      assert.match(error.message, /append-only/);
      return true;
    });
    const tables = await db.query<{ name: string }>(sql`
      SELECT table_name AS name FROM information_schema.tables WHERE table_name = 'third'`);
    assert.equal(tables.length, 0, "nothing after the check runs");
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("migrations recorded before checksums existed take the checksum of their file, then are checked", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-migrations-"));
  fs.writeFileSync(path.join(dir, "0001_first.sql"), "CREATE TABLE first (id int);\n");
  const db = await openEmptyTestDatabase();
  try {
    // The table as it was before checksums, with the migration applied.
    await db.executeScript(`CREATE TABLE schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
      INSERT INTO schema_migrations (name) VALUES ('0001_first.sql');
      CREATE TABLE first (id int);`);
    assert.deepEqual(await migrate(db, dir), []);
    const [row] = await db.query<{ checksum: string }>(sql`SELECT checksum FROM schema_migrations`);
    assert.equal(row.checksum, migrationChecksum("CREATE TABLE first (id int);\n"));
    fs.writeFileSync(path.join(dir, "0001_first.sql"), "CREATE TABLE first (id int, name text);\n");
    await assert.rejects(() => migrate(db, dir), MigrationChangedError);
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
