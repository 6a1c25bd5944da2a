import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { listMigrations, migrate } from "./migrate.ts";
import { createModelVersion } from "../models/model_versions.ts";
import { sql } from "./sql.ts";
import { openEmptyTestDatabase } from "../../testing/testing.ts";

test("migration 0010 numbers imports and versions on from every number handed out, deleted ones too", async () => {
  const db = await openEmptyTestDatabase();
  const before = fs.mkdtempSync(path.join(os.tmpdir(), "migrations-"));
  try {
    for (const migration of listMigrations().filter((m) => m.name < "0010")) {
      fs.writeFileSync(path.join(before, migration.name), migration.script);
    }
    await migrate(db, before);
    for (const name of ["a.csv", "b.csv", "c.csv"]) {
      await db.query(sql`INSERT INTO imports (file_name, status) VALUES (${name}, 'imported')`);
    }
    // The newest import deleted: its number must not come back (audit entries and links name it).
    await db.query(sql`DELETE FROM imports WHERE file_name = 'c.csv'`);
    await createModelVersion(db, { embeddingModelId: "m", dimensions: 3, jobId: null });
    await migrate(db);
    const [next] = await db.query<{ id: number }>(sql`
      INSERT INTO imports (file_name, status) VALUES ('d.csv', 'imported') RETURNING id`);
    assert.equal(next.id, 4);
    assert.equal(await createModelVersion(db, { embeddingModelId: "m", dimensions: 3, jobId: null }), "v2");
    // A rolled-back insert gives its number back: no gaps.
    await assert.rejects(db.transaction(async (tx) => {
      await tx.query(sql`INSERT INTO imports (file_name, status) VALUES ('e.csv', 'imported')`);
      throw new Error("rolled back");
    }));
    const [after] = await db.query<{ id: number }>(sql`
      INSERT INTO imports (file_name, status) VALUES ('f.csv', 'imported') RETURNING id`);
    assert.equal(after.id, 5);
  } finally {
    fs.rmSync(before, { recursive: true, force: true });
    await db.close();
  }
});
