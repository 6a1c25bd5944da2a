/**
 * An {@link Embedder} whose model runs on a thread of its own (embedder_thread_worker.ts), for the embedded
 * shape where one Deno process serves requests, owns PGlite and embeds: ONNX Runtime's calls held that one
 * thread for up to a second each (embedder.ts RUN_CHUNK), and every request waited behind them.
 * bench/embed_responsiveness.ts measures request latency while rows embed, with the model on the main
 * thread and on this one, in one run.
 */
import type { Embedder, EmbedderOptions } from "./embedder.ts";

/** An embedder on a thread; `close()` ends the thread (pending calls fail). */
export interface ThreadEmbedder extends Embedder {
  close(): void;
}

type Reply = { loaded: number } | { error: string; id?: number } | { id: number; vectors: Float32Array };

/**
 * Starts the thread and loads the model there with `options` (as loadEmbedder does). Rejects with
 * loadEmbedder's message when the model cannot be loaded, or when the runtime has no Web Worker (Node:
 * its workers are processes of their own and need none).
 */
export function loadEmbedderOnThread(options: EmbedderOptions): Promise<ThreadEmbedder> {
  if (typeof Worker === "undefined") {
    return Promise.reject(new Error("This runtime has no Web Worker to embed on"));
  }
  const thread = new Worker(new URL("./embedder_thread_worker.ts", import.meta.url), { type: "module" });
  const pending = new Map<number, { resolve(vectors: number[][]): void; reject(error: Error): void }>();
  let nextId = 0;
  let dimensions = 0;
  let failed: Error | undefined;
  const failAll = (error: Error) => {
    failed = error;
    for (const call of pending.values()) call.reject(error);
    pending.clear();
  };
  return new Promise((resolve, reject) => {
    const embedder: ThreadEmbedder = {
      modelId: options.modelId,
      get dimensions() {
        return dimensions;
      },
      embed(texts) {
        if (failed) return Promise.reject(failed);
        if (texts.length === 0) return Promise.resolve([]);
        const id = ++nextId;
        return new Promise((resolveCall, rejectCall) => {
          pending.set(id, { resolve: resolveCall, reject: rejectCall });
          thread.postMessage({ id, texts });
        });
      },
      close() {
        thread.terminate();
        failAll(new Error("The embedding thread was closed"));
      },
    };
    thread.onmessage = (event: MessageEvent<Reply>) => {
      const reply = event.data;
      if ("loaded" in reply) {
        dimensions = reply.loaded;
        resolve(embedder);
        return;
      }
      if (reply.id === undefined) {
        thread.terminate();
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
      const count = reply.vectors.length / dimensions;
      call.resolve(
        Array.from(
          { length: count },
          (_, i) => Array.from(reply.vectors.subarray(i * dimensions, (i + 1) * dimensions)),
        ),
      );
    };
    thread.onerror = (event) => {
      event.preventDefault();
      const error = new Error(`The embedding thread stopped: ${event.message}`);
      thread.terminate();
      failAll(error);
      reject(error);
    };
    thread.postMessage({ load: options });
  });
}
