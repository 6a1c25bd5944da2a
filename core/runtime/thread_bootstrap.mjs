// A worker_threads thread of a Node process started with `--import tsx`: threads do not inherit the loader,
// so it is registered here before the thread's TypeScript module is imported (thread.ts startThread).
import { register } from "tsx/esm/api";
import { workerData } from "node:worker_threads";

register();
await import(workerData.entry);
