/**
 * A retrain's training on a thread of its own (see training_thread.ts). Messages in: `{ train: input }`
 * (rows' vectors packed in `vectors`, one Float32Array of rows × dimensions), then `{ curve: true }` to
 * draw the deferred learning curve.
 * Messages out: `{ progress: [done, total, message] }` while it works, then `{ trained }` (the split as
 * row indices) or `{ curve }`, or `{ error, name }`.
 */
import { type BackendChoice, loadTf } from "../runtime/tf_backend.ts";
import type { LabelledRow } from "../learning/evidence.ts";
import { trainLexicalOnThread } from "../learning/lexical_thread.ts";
import { threadPort, unpackVectors } from "../runtime/thread.ts";
import { type TrainedVersion, trainVersion, type VersionTrainingInput } from "./version_training.ts";

/** The input as it crosses: rows without their vectors, and the vectors in one buffer. */
export type PackedInput = Omit<VersionTrainingInput, "rows"> & {
  rows: Omit<LabelledRow, "vector">[];
  vectors: Float32Array<ArrayBuffer>;
};

type Request = { train: PackedInput; backend?: BackendChoice } | { curve: true };
const port = await threadPort();

let trained: TrainedVersion | undefined;
const progress = (done: number, total: number, message: string) => {
  port.postMessage({ progress: [done, total, message] });
  return Promise.resolve();
};
const fail = (error: unknown) =>
  port.postMessage({ error: (error as Error).message ?? String(error), name: (error as Error).name });

port.onMessage(async (request: Request) => {
  try {
    if ("train" in request) {
      const { vectors, ...input } = request.train;
      const views = unpackVectors(vectors, input.dimensions);
      const rows: LabelledRow[] = input.rows.map((row, i) => ({ ...row, vector: views[i] }));
      const index = new Map(rows.map((row, i) => [row, i]));
      // The lexical channel trains on a thread of its own beside the classifier (lexical_thread.ts).
      trained = await trainVersion(await loadTf(request.backend), { ...input, rows }, progress, {
        lexicalTrainer: trainLexicalOnThread,
      });
      port.postMessage({
        trained: {
          labels: trained.labels,
          ensemble: trained.ensemble,
          metrics: trained.metrics,
          split: {
            train: trained.split.train.map((row) => index.get(row)!),
            holdout: trained.split.holdout.map((row) => index.get(row)!),
          },
          curve: trained.drawLearningCurve !== undefined,
        },
      });
      return;
    }
    if (!trained?.drawLearningCurve) throw new Error("No deferred learning curve to draw");
    port.postMessage({ curve: await trained.drawLearningCurve(progress) });
  } catch (error) {
    fail(error);
  }
});
