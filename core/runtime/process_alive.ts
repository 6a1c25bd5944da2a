/**
 * Whether a process id names a running process. A process killed with SIGKILL stays a zombie (state `Z`
 * in /proc/<pid>/stat) until its parent reaps it — for `npm start` killed as a process group, npm is
 * gone too and init reaps it a second or two later — and signal 0 still reaches a zombie, so a lock or
 * spool file whose owner was just killed looked owned by a live process and a restart was refused.
 */
import fs from "node:fs";
import process from "node:process";

/** Process states of /proc/<pid>/stat that mean the process has ended (proc(5): Z zombie, X dead). */
const ENDED_STATES = new Set(["Z", "X", "x"]);

/** The state letter of `pid` from /proc, or undefined where /proc is not readable (not Linux). */
function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S …": comm may hold spaces and parentheses, so read after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) || undefined;
  } catch {
    return undefined;
  }
}

/** True while `pid` runs (or exists under another user); false once it exited or is a zombie. */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means the process exists but belongs to someone else: alive unless /proc says it ended.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const state = procState(pid);
  return state === undefined || !ENDED_STATES.has(state);
}
