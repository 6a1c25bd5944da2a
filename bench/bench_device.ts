/**
 * `--device auto|cpu|cuda` for the benchmarks that embed or train (bench:embed, bench:train,
 * bench:retrain-latency): the same choice a worker makes (core/runtime/device.ts: probes, then the CUDA
 * session with `auto`'s fallback to the CPU), and one line saying what was really used — the embedding
 * device and ONNX Runtime execution provider, and the TensorFlow.js backend that loaded — so that a
 * figure is never reported for a device it did not run on.
 */
import {
  type DeviceChoice,
  loadOnDevice,
  parseDevicePreference,
  selectDevice,
} from "../core/runtime/device.ts";
import { type Embedder, type EmbedderOptions, loadEmbedder } from "../core/embedding/embedder.ts";
import { loadTf, type Tf } from "../core/runtime/tf_backend.ts";
import process from "node:process";

/** The device a benchmark runs on, and how to say so. */
export interface BenchDevice {
  choice: DeviceChoice;
  /** E.g. "embedding on cpu (ONNX Runtime CPUExecutionProvider), training on wasm (@tensorflow/tfjs-backend-wasm)". */
  describe(tf?: Tf): string;
}

/**
 * Picks the device for `preference` (the --device option). For anything but auto, cpu or cuda, and for cuda
 * on a machine without it, prints the worker's reasons and exits with status 2: call it before any work.
 */
export async function benchDevice(preference: string | undefined): Promise<BenchDevice> {
  // The worker's messages name its setting; here the option stands for it.
  let choice: DeviceChoice;
  try {
    choice = await selectDevice(parseDevicePreference(preference));
  } catch (error) {
    // A refusal, not a crash: the reasons, then exit before any work is done.
    console.error((error as Error).message.replace(/CSV_SORTER_DEVICE=(\w+)/g, "--device $1"));
    process.exit(2);
  }
  const device: BenchDevice = {
    choice,
    describe: (tf) => {
      // Read at the time of asking: loadBenchEmbedder records a fallback to the CPU.
      const choice = device.choice;
      const provider = choice.embedding === "cuda" ? "CUDAExecutionProvider" : "CPUExecutionProvider";
      const training = tf
        ? `${tf.getBackend()} (${choice.training.package ?? "@tensorflow/tfjs"})`
        : choice.training.package ?? "@tensorflow/tfjs";
      return `embedding on ${choice.embedding} (ONNX Runtime ${provider}), training on ${training}; ${
        choice.reasons.join("; ")
      }`;
    },
  };
  return device;
}

/** Loads the embedding model on the chosen device (falling back to the CPU under auto, as a worker does). */
export async function loadBenchEmbedder(
  device: BenchDevice,
  options: Omit<EmbedderOptions, "device">,
): Promise<Embedder> {
  const { value, choice } = await loadOnDevice(
    device.choice,
    (where) => loadEmbedder({ ...options, device: where }),
    (message) => console.error(message),
  );
  device.choice = choice;
  return value;
}

/** TensorFlow.js on the chosen training backend. */
export function loadBenchTf(device: BenchDevice): Promise<Tf> {
  return loadTf(device.choice.training);
}
