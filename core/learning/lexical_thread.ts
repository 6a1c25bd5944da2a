/**
 * A {@link LexicalTrainer} that trains the lexical channel on a thread of its own
 * (lexical_thread_worker.ts; a Web Worker under Deno, worker_threads under Node), so that a retrain's two
 * heads train at once: the classifier (TF.js) where
 * the retrain runs, the lexical channel (per-row SGD in JavaScript) beside it. At 10,000 labels each took
 * 12–15 s of a retrain (bench:retrain-latency --trace); one after the other they were most of it.
 */
import type { LexicalModel, LexicalTrainer, LexicalTrainingOptions } from "./lexical.ts";
import { IdfTable } from "./text_features.ts";
import { packVectors, startThread } from "../runtime/thread.ts";

/** The request as it crosses: texts, and every vector in one buffer. */
export interface PackedLexicalRequest {
  texts: string[];
  vectors: Float32Array<ArrayBuffer>;
  width: number;
  values: string[];
  labels: string[];
  options: Pick<LexicalTrainingOptions, "epochs" | "seed">;
  watch?: { texts: string[]; vectors: Float32Array; values: string[] };
}

type Reply = { epoch: [number, number] } | { model: LexicalModel } | { error: string };

/**
 * Trains as trainLexical does, on a new thread that ends with the run. `options.onEpoch` is called after
 * each epoch; when it rejects the thread is ended and the run rejects with that error. The model that
 * comes back is the one trainLexical returns here for the same input (same seed: same weights).
 */
export const trainLexicalOnThread: LexicalTrainer = (rows, values, labels, options = {}) => {
  const width = rows[0]?.vector.length ?? 0;
  const vectors = packVectors(rows.map((row) => row.vector), width);
  const watchVectors = options.watch
    ? packVectors(options.watch.rows.map((row) => row.vector), width)
    : undefined;
  const request: PackedLexicalRequest = {
    texts: rows.map((row) => row.text),
    vectors,
    width,
    values,
    labels,
    options: { epochs: options.epochs, seed: options.seed },
    watch: options.watch && {
      texts: options.watch.rows.map((row) => row.text),
      vectors: watchVectors!,
      values: options.watch.values,
    },
  };
  const thread = startThread(new URL("./lexical_thread_worker.ts", import.meta.url));
  return new Promise<LexicalModel>((resolve, reject) => {
    const fail = (error: Error) => {
      thread.terminate();
      reject(error);
    };
    thread.onMessage((data: Reply) => {
      if ("epoch" in data) {
        options.onEpoch?.(...data.epoch).catch(fail);
        return;
      }
      thread.terminate();
      if ("error" in data) return reject(new Error(data.error));
      // Structured cloning keeps the Maps and typed arrays but not IdfTable's class.
      const { idf } = data.model;
      resolve({ ...data.model, idf: new IdfTable(idf.documents, idf.slots, idf.frequencies) });
    });
    thread.onError((error) => fail(new Error(`The lexical channel's thread stopped: ${error.message}`)));
    thread.postMessage(request, [vectors.buffer, ...(watchVectors ? [watchVectors.buffer] : [])]);
  });
};
