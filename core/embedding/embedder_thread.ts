/**
 * An {@link Embedder} whose model runs on a thread of its own (embedder_thread_worker.ts), for the embedded
 * shape where one Deno process serves requests, owns PGlite and embeds: ONNX Runtime's calls held that one
 * thread for up to a second each (embedder.ts RUN_CHUNK), and every request waited behind them.
 * bench/embed_responsiveness.ts measures request latency while rows embed, with the model on the main
 * thread and on this one, in one run.
 */
import os from "node:os";
import type { Embedder, EmbedderOptions } from "./embedder.ts";
import { startThread, type Thread, unpackVectors } from "../runtime/thread.ts";

/** An embedder on a thread; `close()` ends the thread (pending and later calls fail). */
export interface ThreadEmbedder extends Embedder {
  close(): void;
}

type Reply = { loaded: number } | { error: string; id?: number } | { id: number; vectors: Float32Array };

interface Call {
  resolve(vectors: number[][]): void;
  reject(error: Error): void;
}

/**
 * Starts the thread and loads the model there with `options` (as loadEmbedder does). Rejects with
 * loadEmbedder's message when the model cannot be loaded, or when the runtime has no Web Worker (Node:
 * its workers are processes of their own and need none). A thread that dies later (out of memory, a
 * crash in ONNX Runtime) fails the calls in flight and is started again by the next call.
 */
export async function loadEmbedderOnThread(given: EmbedderOptions): Promise<ThreadEmbedder> {
  if (typeof Worker === "undefined") throw new Error("This runtime has no Web Worker to embed on");
  // One core left to the caller's thread unless told otherwise: on 2 cores ONNX Runtime's pool on both
  // made the server's requests wait for the CPU while the model was never the bottleneck
  // (bench/embed_responsiveness.ts).
  const options = { intraOpThreads: Math.max(1, os.availableParallelism() - 1), ...given };
  const pending = new Map<number, Call>();
  let nextId = 0;
  let dimensions = 0;
  let closed = false;
  let current: Promise<Thread> | undefined;

  const failPending = (error: Error) => {
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };
  const start = () =>
    new Promise<Thread>((resolve, reject) => {
      const thread = startThread(new URL("./embedder_thread_worker.ts", import.meta.url));
      let loaded = false;
      thread.onMessage((reply: Reply) => {
        if ("loaded" in reply) {
          loaded = true;
          dimensions = reply.loaded;
          resolve(thread);
          return;
        }
        if (reply.id === undefined) {
          thread.terminate();
          current = undefined;
          reject(new Error((reply as { error: string }).error));
          return;
        }
        const call = pending.get(reply.id);
        pending.delete(reply.id);
        if (!call) return;
        if ("error" in reply) {
          call.reject(new Error(reply.error));
          return;
        }
        call.resolve(unpackVectors(reply.vectors, dimensions).map((vector) => Array.from(vector)));
      });
      thread.onError((stopped) => {
        thread.terminate();
        current = undefined;
        const error = new Error(`The embedding thread stopped: ${stopped.message}`);
        failPending(error);
        if (!loaded) reject(error);
      });
      thread.postMessage({ load: options });
    });

  current = start();
  await current;
  return {
    modelId: options.modelId,
    offThread: true,
    get dimensions() {
      return dimensions;
    },
    async embed(texts) {
      if (closed) throw new Error("The embedding thread was closed");
      if (texts.length === 0) return [];
      const thread = await (current ??= start());
      const id = ++nextId;
      return await new Promise<number[][]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        thread.postMessage({ id, texts });
      });
    },
    close() {
      closed = true;
      void current?.then((thread) => thread.terminate(), () => {});
      current = undefined;
      failPending(new Error("The embedding thread was closed"));
    },
  };
}
