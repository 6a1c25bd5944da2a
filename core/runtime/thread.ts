/**
 * A thread for CPU-bound work under both runtimes: a Web Worker under Deno, a worker_threads Worker under
 * Node (whose modules are TypeScript: thread_bootstrap.mjs registers tsx there first, as `node --import
 * tsx` does for the process). One message shape both ways: structured clones, with ArrayBuffers
 * transferred.
 */
import { Worker as NodeWorker } from "node:worker_threads";

/** The caller's side of a thread. */
export interface Thread {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  /** Every message the thread posts. */
  onMessage(listener: (message: any) => void): void;
  /** The thread died (an uncaught error, out of memory): called once, with what the runtime reported. */
  onError(listener: (error: Error) => void): void;
  terminate(): void;
}

/** Starts the module at `url` (a .ts file next to the caller) on a new thread. */
export function startThread(url: URL): Thread {
  if (typeof Worker !== "undefined") {
    const worker = new Worker(url, { type: "module" });
    return {
      postMessage: (message, transfer = []) => worker.postMessage(message, transfer),
      onMessage: (listener) => {
        worker.onmessage = (event: MessageEvent) => listener(event.data);
      },
      onError: (listener) => {
        worker.onerror = (event) => {
          event.preventDefault();
          listener(new Error(event.message));
        };
      },
      terminate: () => worker.terminate(),
    };
  }
  const worker = new NodeWorker(new URL("./thread_bootstrap.mjs", import.meta.url), {
    workerData: { entry: url.href },
  });
  return {
    postMessage: (message, transfer = []) => worker.postMessage(message, transfer),
    onMessage: (listener) => {
      worker.on("message", listener);
    },
    onError: (listener) => {
      worker.on("error", listener);
    },
    terminate: () => void worker.terminate(),
  };
}

/** The thread's side: what it receives and how it answers. Call once, in the thread's module. */
export async function threadPort(): Promise<{
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: any) => void): void;
}> {
  const { parentPort } = await import("node:worker_threads");
  // Deno's node:worker_threads has a parentPort only in threads it started itself.
  if (parentPort && !("Deno" in globalThis)) {
    return {
      postMessage: (message, transfer = []) => parentPort.postMessage(message, transfer),
      onMessage: (listener) => {
        parentPort.on("message", listener);
      },
    };
  }
  const scope = self as unknown as {
    postMessage(message: unknown, transfer?: Transferable[]): void;
    onmessage: ((event: MessageEvent) => void) | null;
  };
  return {
    postMessage: (message, transfer = []) => scope.postMessage(message, transfer),
    onMessage: (listener) => {
      scope.onmessage = (event) => listener(event.data);
    },
  };
}

/**
 * Vectors of `width` numbers each, in one Float32Array of vectors × width: one buffer to transfer instead
 * of a structured clone per vector. Values are rounded to 32 bits (the database stores real[] anyway).
 */
export function packVectors(vectors: ArrayLike<number>[], width: number): Float32Array<ArrayBuffer> {
  const flat = new Float32Array(vectors.length * width);
  vectors.forEach((vector, i) => flat.set(vector, i * width));
  return flat;
}

/** The vectors of a {@link packVectors} buffer, as views into it (no copy). */
export function unpackVectors(flat: Float32Array, width: number): Float32Array[] {
  return Array.from(
    { length: width === 0 ? 0 : flat.length / width },
    (_, i) => flat.subarray(i * width, (i + 1) * width),
  );
}
