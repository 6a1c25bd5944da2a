import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DataDirLockedError, lockDataDir } from "./data_dir_lock.ts";
import { openPgliteDatabase } from "./database_pglite.ts";
import { sql } from "./sql.ts";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-lock-"));
}

test("a second opener of a PGlite data dir is refused while the first holds it", async () => {
  const dir = tempDir();
  const first = await openPgliteDatabase(dir);
  try {
    await first.query(sql`CREATE TABLE kept (value int)`);
    await first.query(sql`INSERT INTO kept VALUES (${42})`);
    await assert.rejects(() => openPgliteDatabase(dir), (error: unknown) => {
      assert.ok(error instanceof DataDirLockedError);
      assert.match((error as Error).message, new RegExp(`in use by process ${process.pid}`));
      return true;
    });
  } finally {
    await first.close();
  }
  const second = await openPgliteDatabase(dir);
  try {
    const rows = await second.query<{ value: number }>(sql`SELECT value FROM kept`);
    assert.deepEqual(rows, [{ value: 42 }]);
  } finally {
    await second.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("lockDataDir() takes over a lock left by a dead process", () => {
  const dir = tempDir();
  // A pid far above pid_max: no live process can own it.
  fs.writeFileSync(path.join(dir, "csv-sorter.lock"), "4194999");
  const release = lockDataDir(dir);
  assert.equal(fs.readFileSync(path.join(dir, "csv-sorter.lock"), "utf8"), String(process.pid));
  release();
  assert.equal(fs.existsSync(path.join(dir, "csv-sorter.lock")), false);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("another process opening a locked data dir is refused with the owner's pid", async () => {
  const dir = tempDir();
  const release = lockDataDir(dir);
  try {
    const { spawnSync } = await import("node:child_process");
    const script = `import { lockDataDir } from ${
      JSON.stringify(path.join(import.meta.dirname!, "data_dir_lock.ts"))
    };
      try { lockDataDir(${JSON.stringify(dir)}); console.log("locked"); }
      catch (error) { console.log(error.message); process.exit(3); }`;
    const child = spawnSync("node", ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      cwd: path.resolve(import.meta.dirname!, "../.."),
    });
    assert.equal(child.status, 3, child.stderr);
    assert.match(child.stdout, new RegExp(`in use by process ${process.pid}`));
  } finally {
    release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
