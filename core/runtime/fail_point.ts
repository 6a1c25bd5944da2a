/**
 * Fail points (as in FreeBSD's fail(9) or etcd's gofail): named places inside an operation where a crash
 * test needs the process to be when it is killed — between two statements that must both happen, or
 * after a commit and before the answer. Timing a `kill -9` from outside cannot hit such a place reliably.
 *
 * `FAIL_POINTS` (environment, comma-separated names, read once at start-up) lists the points that are
 * armed. On reaching an armed point the process prints `fail point <name> reached` and that operation
 * waits for ever (the rest of the process keeps running), so the test kills the process group exactly
 * there. Unset, every point is a no-op. Names are `<operation>.<moment>`, e.g. `load-model.activated`.
 */
import process from "node:process";

const ARMED = new Set(
  (process.env.FAIL_POINTS ?? "").split(",").map((name) => name.trim()).filter((name) => name !== ""),
);

/** Resolves at once unless `name` is armed; then logs it and never resolves. */
export function failPoint(name: string): Promise<void> {
  if (!ARMED.has(name)) return Promise.resolve();
  console.log(`fail point ${name} reached`);
  return new Promise<void>(() => {});
}
