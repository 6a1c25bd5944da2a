/**
 * Sentence embeddings with @huggingface/transformers (ONNX Runtime): mean pooling, L2-normalised, so
 * cosine similarity is a dot product and pgvector's `<=>` ranks neighbours correctly.
 */
import { env, type FeatureExtractionPipeline, pipeline } from "@huggingface/transformers";

/** Something that turns texts into unit vectors. */
export interface Embedder {
  /** The model id stored beside every vector, so vectors of different models never mix. */
  readonly modelId: string;
  /** Vector length; 384 for all-MiniLM-L6-v2. */
  readonly dimensions: number;
  /** Embeds `texts` in order. */
  embed(texts: string[]): Promise<number[][]>;
  /**
   * Whether the model runs off the caller's thread (embedder_thread.ts), so that a call overlaps the
   * caller's own work: the worker loop then embeds the next batch while it writes and scores this one.
   */
  readonly offThread?: boolean;
}

/** Options for {@link loadEmbedder}. */
export interface EmbedderOptions {
  modelId: string;
  /** Folder that holds `<modelId>/config.json`, `<modelId>/onnx/model.onnx`, … */
  localModelPath: string;
  /** Whether a model missing locally may be fetched from the Hugging Face hub. */
  allowRemoteModels: boolean;
  dtype?: "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4";
  /** ONNX Runtime execution provider, e.g. "cpu" or "cuda". */
  device?: "cpu" | "cuda" | "auto";
  /** Threads ONNX Runtime runs one call on (its intra-op pool); default: its own choice, every core. */
  intraOpThreads?: number;
}

/**
 * Texts per ONNX Runtime call. onnxruntime-node runs a session synchronously on the calling thread, so in
 * the embedded shape (worker and web server in one process) every call freezes the server: a batch of 32
 * froze it for up to 2.4 s on a loaded 2-core machine. Calls of 8 with a macrotask between them let
 * requests through between calls (worst freeze 1.0 s, the rest being PGlite's own synchronous queries),
 * and cost no throughput: a smaller batch pads less.
 */
const RUN_CHUNK = 8;

/** Loads the model (from the local folder first) and returns an {@link Embedder}. */
export async function loadEmbedder(options: EmbedderOptions): Promise<Embedder> {
  env.localModelPath = options.localModelPath.endsWith("/")
    ? options.localModelPath
    : `${options.localModelPath}/`;
  env.allowLocalModels = true;
  env.allowRemoteModels = options.allowRemoteModels;
  let extractor: FeatureExtractionPipeline;
  try {
    extractor = await pipeline("feature-extraction", options.modelId, {
      dtype: options.dtype ?? "fp32",
      device: options.device ?? "cpu",
      ...(options.intraOpThreads ? { session_options: { intraOpNumThreads: options.intraOpThreads } } : {}),
    });
  } catch (error) {
    throw new Error(
      `Cannot load embedding model "${options.modelId}" from "${env.localModelPath}"` +
        (options.allowRemoteModels ? " or the hub" : " (remote models disabled)") +
        `: ${(error as Error).message}. Run scripts/ensure_model.sh to build it offline`,
      { cause: error },
    );
  }
  const probe = await extractor(["probe"], { pooling: "mean", normalize: true });
  const dimensions = probe.dims[1];
  return {
    modelId: options.modelId,
    dimensions,
    async embed(texts) {
      // Longest first, as sentence-transformers orders its batches: texts of similar length share a call,
      // so a call pads little (the model's cost grows with the longest text of the call).
      const order = texts.map((_, index) => index).sort((a, b) => texts[b].length - texts[a].length);
      const vectors: number[][] = new Array(texts.length);
      for (let start = 0; start < order.length; start += RUN_CHUNK) {
        if (start > 0) await new Promise((resolve) => setTimeout(resolve, 0));
        const chunk = order.slice(start, start + RUN_CHUNK);
        const output = await extractor(chunk.map((index) => texts[index]), {
          pooling: "mean",
          normalize: true,
        });
        (output.tolist() as number[][]).forEach((vector, i) => (vectors[chunk[i]] = vector));
      }
      return vectors;
    },
  };
}
