/**
 * A {@link VersionTrainer} that trains on a thread of its own (training_thread_worker.ts), for the
 * embedded shape where one Deno process serves requests, owns PGlite and runs the worker loop: training's
 * wasm kernels held that thread for up to a second at a time, and reviewers' requests waited behind them
 * (bench/retrain_latency.ts measures both ways in one run). One thread per run, ended when the run is
 * disposed, so its memory goes with it.
 */
import type { LabelledRow } from "../learning/evidence.ts";
import type { LearningCurvePoint } from "../learning/training.ts";
import { TrainingError } from "../learning/training.ts";
import type { PackedInput } from "./training_thread_worker.ts";
import type { BackendChoice } from "../runtime/tf_backend.ts";
import { packVectors, startThread } from "../runtime/thread.ts";
import type {
  TrainedVersion,
  TrainingProgress,
  VersionTrainer,
  VersionTrainingInput,
} from "./version_training.ts";

type Reply =
  | { progress: [number, number, string] }
  | {
    trained: Omit<TrainedVersion, "split" | "dispose" | "drawLearningCurve"> & {
      split: { train: number[]; holdout: number[] };
      curve: boolean;
    };
  }
  | { curve: LearningCurvePoint[] }
  | { error: string; name: string };

/**
 * A trainer that trains, saves and checks each version on a new thread (as trainVersion does here), with
 * TF.js on `backend` there (tf_backend.ts' automatic choice when absent). Progress is
 * relayed to `onProgress`; when it rejects (a lost lease) the thread is ended and the run rejects with
 * that error. A TrainingError on the thread arrives as a TrainingError; a thread that dies (out of
 * memory) rejects with what the runtime reported. Works under both runtimes (core/runtime/thread.ts); the
 * product uses it where the caller's thread also answers requests: the embedded Deno process.
 */
export function trainerOnThread(backend?: BackendChoice): VersionTrainer {
  return (input, onProgress) => trainOnThread(input, onProgress, backend);
}

function trainOnThread(
  input: VersionTrainingInput,
  onProgress: TrainingProgress,
  backend: BackendChoice | undefined,
): Promise<TrainedVersion> {
  const thread = startThread(new URL("./training_thread_worker.ts", import.meta.url));
  // The one request in flight and what its reply resolves.
  let waiting:
    | { resolve(reply: Reply): void; reject(error: Error): void; onProgress?: TrainingProgress }
    | undefined;
  let ended = false;
  // Ending the thread (dispose, a lost lease) settles the request in flight: nothing else would.
  const end = () => {
    if (ended) return;
    ended = true;
    thread.terminate();
    waiting?.reject(new Error("The training thread has ended"));
  };
  const ask = (message: unknown, onProgress?: TrainingProgress, transfer: ArrayBuffer[] = []) =>
    new Promise<Reply>((resolve, reject) => {
      if (ended) return reject(new Error("The training thread has ended"));
      waiting = { resolve, reject, onProgress };
      thread.postMessage(message, transfer);
    });
  thread.onMessage((reply: Reply) => {
    if ("progress" in reply) {
      const asked = waiting;
      asked?.onProgress?.(...reply.progress).catch((error) => {
        asked.reject(error);
        end();
      });
      return;
    }
    if ("error" in reply) {
      waiting?.reject(
        reply.name === "TrainingError" ? new TrainingError(reply.error) : new Error(reply.error),
      );
      return;
    }
    waiting?.resolve(reply);
  });
  thread.onError((error) => {
    waiting?.reject(new Error(`The training thread stopped: ${error.message}`));
    end();
  });
  const packed = pack(input);
  return ask({ train: packed, backend }, onProgress, [packed.vectors.buffer]).then((reply) => {
    if (!("trained" in reply)) throw new Error("The training thread answered out of turn");
    const { split, curve, ...trained } = reply.trained;
    return {
      ...trained,
      split: {
        train: split.train.map((i) => input.rows[i]),
        holdout: split.holdout.map((i) => input.rows[i]),
      },
      drawLearningCurve: curve
        ? async (onCurveProgress?: TrainingProgress) => {
          const answer = await ask({ curve: true }, onCurveProgress);
          if (!("curve" in answer)) throw new Error("The training thread answered out of turn");
          return answer.curve;
        }
        : undefined,
      dispose: end,
    };
  }, (error) => {
    end();
    throw error;
  });
}

/** The rows' vectors in one buffer (transferred, not copied per row). */
function pack(input: VersionTrainingInput): PackedInput {
  const vectors = packVectors(input.rows.map((row) => row.vector), input.dimensions);
  const rows: Omit<LabelledRow, "vector">[] = input.rows.map(({ vector: _, ...row }) => row);
  return { ...input, rows, vectors };
}
