/**
 * An exclusive lock on a PGlite data dir. PGlite has none of its own, and two processes opening the same
 * dir silently lost committed rows when measured (50 written, 10 survived), so the owner writes its pid
 * into a lock file created with O_EXCL and a second opener is refused while that pid is alive.
 */
import fs from "node:fs";
import path from "node:path";
import process from "node:process";
import { isProcessAlive } from "../runtime/process_alive.ts";

/** Thrown when another live process owns the data dir. */
export class DataDirLockedError extends Error {
  constructor(dataDir: string, pid: number) {
    super(
      `Cannot open database in "${dataDir}": it is in use by process ${pid}. ` +
        `Stop that process, or set DATA_DIR to another folder`,
    );
    this.name = "DataDirLockedError";
  }
}

// Dirs locked by this process: a lock file naming our own pid is ours only if we took it in this life;
// otherwise it was left by an earlier process that had the same pid (pid 1 in every container).
const heldHere = new Set<string>();

/** Takes the lock on `dataDir` (creating the dir) and returns a function that releases it. */
export function lockDataDir(dataDir: string): () => void {
  fs.mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(fs.realpathSync(dataDir), "csv-sorter.lock");
  if (heldHere.has(lockPath)) throw new DataDirLockedError(dataDir, process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, "wx");
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      heldHere.add(lockPath);
      return () => {
        heldHere.delete(lockPath);
        fs.rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(fs.readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isProcessAlive(owner)) {
        throw new DataDirLockedError(dataDir, owner);
      }
      // The owner died without releasing the lock (kill -9, power loss), or is a zombie not yet reaped:
      // take it over.
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`Cannot lock database dir "${dataDir}": lock file keeps reappearing`);
}
