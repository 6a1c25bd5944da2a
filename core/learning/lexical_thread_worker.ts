/**
 * The lexical channel trained on a thread of its own (lexical_thread.ts). One message in: `{ rows, vectors,
 * values, labels, options, watch? }` (every vector in one Float32Array of rows × dimensions; `watch` the
 * same for the watched rows); messages out: `{ epoch: [epoch, epochs] }` after each epoch, then
 * `{ model }` or `{ error }`.
 */
import { trainLexical } from "./lexical.ts";
import type { PackedLexicalRequest } from "./lexical_thread.ts";
import { threadPort, unpackVectors } from "../runtime/thread.ts";

const port = await threadPort();

const unpack = (texts: string[], vectors: Float32Array, width: number) => {
  const views = unpackVectors(vectors, width);
  return texts.map((text, i) => ({ text, vector: views[i] }));
};

port.onMessage(async (data: PackedLexicalRequest) => {
  try {
    const model = await trainLexical(unpack(data.texts, data.vectors, data.width), data.values, data.labels, {
      ...data.options,
      onEpoch: (epoch, epochs) => {
        port.postMessage({ epoch: [epoch, epochs] });
        return Promise.resolve();
      },
      watch: data.watch &&
        { rows: unpack(data.watch.texts, data.watch.vectors, data.width), values: data.watch.values },
    });
    port.postMessage({ model });
  } catch (error) {
    port.postMessage({ error: (error as Error).message ?? String(error) });
  }
});
