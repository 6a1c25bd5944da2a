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

test("lockDataDir() takes over a lock whose owner is a zombie (killed, not yet reaped)", async (t) => {
  if (!fs.existsSync("/proc/self/stat")) return t.skip("no /proc here");
  const { spawn } = await import("node:child_process");
  // The shell starts a short sleep in the background, then becomes `sleep 30`, which never reaps it:
  // the short sleep ends as a zombie, as a kill -9'd server does until its parent collects it.
  const parent = spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 30"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const dir = tempDir();
  try {
    const pid = Number(
      await new Promise<string>((resolve) => parent.stdout.once("data", (chunk) => resolve(String(chunk)))),
    );
    const deadline = Date.now() + 5000;
    const state = () => fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0];
    while (state() !== "Z" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(state(), "Z", "the background sleep should be a zombie by now");
    fs.writeFileSync(path.join(dir, "csv-sorter.lock"), String(pid));
    const release = lockDataDir(dir);
    assert.equal(fs.readFileSync(path.join(dir, "csv-sorter.lock"), "utf8"), String(process.pid));
    release();
  } finally {
    parent.kill("SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
