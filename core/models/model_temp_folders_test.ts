import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { modelTempPrefix, removeDeadModelTempFolders } from "./model_temp_folders.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-model-temps-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has ended (and been reaped). */
function endedPid(): number {
  const child = spawnSync(process.execPath, ["--version"]);
  assert.ok(child.pid);
  return child.pid;
}

test("the half-written folders of ended processes go; live ones, versions and other files stay", () => {
  const mine = fs.mkdtempSync(modelTempPrefix(dir, "v7"));
  const dead = path.join(dir, `.tmp-v8-${endedPid()}-k3j9xa-AbC123`);
  const unowned = path.join(dir, ".tmp-v9-Zx81Qp");
  for (const folder of [dead, unowned, path.join(dir, "v6"), path.join(dir, "v5.stale-1700000000000")]) {
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, "weights.bin"), "half");
  }
  assert.equal(removeDeadModelTempFolders(dir), 1);
  assert.deepEqual(
    fs.readdirSync(dir).sort(),
    [path.basename(mine), ".tmp-v9-Zx81Qp", "v5.stale-1700000000000", "v6"].sort(),
  );
  // The embedded database's process is the only one that trains: a folder naming no owner is dead too.
  assert.equal(removeDeadModelTempFolders(dir, { ownerless: true }), 1);
  assert.deepEqual(fs.readdirSync(dir).sort(), [path.basename(mine), "v5.stale-1700000000000", "v6"].sort());
  assert.equal(removeDeadModelTempFolders(path.join(dir, "missing")), 0);
});
