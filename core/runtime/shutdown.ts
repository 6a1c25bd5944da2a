import process from "node:process";

/**
 * Calls `stop(signal)` once on the first SIGINT or SIGTERM, then exits 0 (1 when `stop` throws). Node and
 * Deno both deliver these signals through node:process, so the web server and the worker process stop the
 * same way: finish what is in flight, release what they hold, close the database last.
 */
export function stopOnSignal(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const handle = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    try {
      await stop(signal);
      process.exit(0);
    } catch (error) {
      console.error(`${signal}: could not stop cleanly: ${(error as Error).message}`);
      process.exit(1);
    }
  };
  process.on("SIGINT", () => void handle("SIGINT"));
  process.on("SIGTERM", () => void handle("SIGTERM"));
}
