/**
 * The temporary folders model versions are written into before the rename that publishes them
 * (model_store.ts, saveModelVersion). A process killed while writing one leaves it behind in MODELS_DIR:
 * a few MB of half-written weights per crash, never read and never reused. Each folder names its owner
 * (`.tmp-<version>-<pid>-<nonce>-XXXXXX`, like the upload spools), so a process starting up removes the
 * folders of processes that ended and leaves those of live ones — several workers on one host may share
 * MODELS_DIR and train at the same time.
 */
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { localProcessIsGone, processNonce } from "../runtime/process_identity.ts";

const OWNED = /^\.tmp-v\d+-(\d+)-([a-z0-9]+)-[A-Za-z0-9]{6}$/;
// Written before folders named their owner: the owner cannot be told.
const UNOWNED = /^\.tmp-v\d+-[A-Za-z0-9]{6}$/;

/** The prefix for `fs.mkdtempSync` of a folder this process writes `version` into. */
export function modelTempPrefix(modelsDir: string, version: string): string {
  return path.join(modelsDir, `.tmp-${version}-${process.pid}-${processNonce()}-`);
}

/**
 * Removes the temporary version folders under `modelsDir` whose owner process has ended; with
 * `ownerless: true` (the embedded database: this process is the only one that trains) also those that
 * do not name an owner. Returns how many were removed; a missing `modelsDir` removes none.
 */
export function removeDeadModelTempFolders(modelsDir: string, options: { ownerless?: boolean } = {}): number {
  let names: string[];
  try {
    names = fs.readdirSync(modelsDir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const owned = OWNED.exec(name);
    const dead = owned
      ? localProcessIsGone(Number(owned[1]), owned[2])
      : options.ownerless === true && UNOWNED.test(name);
    if (!dead) continue;
    fs.rmSync(path.join(modelsDir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}
