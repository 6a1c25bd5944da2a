/**
 * The embedding model on a thread of its own (a Web Worker of the embedded Deno process): ONNX Runtime's
 * calls no longer run on the thread that answers requests and runs PGlite. Messages: `{ load: options }`
 * answered by `{ loaded: dimensions }` or `{ error }`; `{ id, texts }` answered by `{ id, vectors }` (one
 * Float32Array of texts × dimensions, transferred, not copied) or `{ id, error }`.
 */
import type { EmbedderOptions } from "./embedder.ts";
import { packVectors, threadPort } from "../runtime/thread.ts";

// transformers.js decides where it runs when it is imported: in a worker it sees a browser's worker
// (self.constructor.name "DedicatedWorkerGlobalScope") and loads onnxruntime-web, whose start-up then
// fails on Deno's `location.origin` "null". Hiding both before the import makes it take onnxruntime-node
// as on the main thread.
Object.defineProperty(self, "location", { value: undefined, configurable: true });
Object.defineProperty(self, "constructor", { value: { name: "EmbedderThread" }, configurable: true });
const { loadEmbedder } = await import("./embedder.ts");

type Request = { load: EmbedderOptions } | { id: number; texts: string[] };
const port = await threadPort();

let embedder: Awaited<ReturnType<typeof loadEmbedder>> | undefined;
// One call at a time, in the order asked: the model is not re-entrant and the caller awaits each batch.
let queue: Promise<void> = Promise.resolve();

port.onMessage((request: Request) => {
  queue = queue.then(async () => {
    if ("load" in request) {
      try {
        embedder = await loadEmbedder(request.load);
        port.postMessage({ loaded: embedder.dimensions });
      } catch (error) {
        port.postMessage({ error: (error as Error).message });
      }
      return;
    }
    try {
      if (!embedder) throw new Error("The embedding model is not loaded");
      const vectors = await embedder.embed(request.texts);
      const flat = packVectors(vectors, embedder.dimensions);
      port.postMessage({ id: request.id, vectors: flat }, [flat.buffer]);
    } catch (error) {
      port.postMessage({ id: request.id, error: (error as Error).message });
    }
  });
});
