/**
 * Where a worker computes: chosen once at start, in this one module, from CSV_SORTER_DEVICE and what the
 * machine offers, then logged and reported in the heartbeat.
 *
 * - Embeddings (ONNX Runtime through transformers.js): the CUDA execution provider when an NVIDIA GPU,
 *   the CUDA 12 runtime and onnxruntime-node's CUDA provider library are all present, else the CPU.
 *   `auto` falls back to the CPU, saying why; `cuda` refuses to start without them, so a GPU node that
 *   lost its GPU is noticed instead of silently running ten times slower.
 * - Training (TensorFlow.js): tfjs-node-gpu when CUDA is usable and the package loads, else tfjs-node,
 *   else the wasm backend (4.7× faster than tfjs' pure-JS cpu backend here), else that cpu backend.
 *   tfjs-node and tfjs-node-gpu are optional: their install step downloads libtensorflow, which the GPU
 *   image does and an offline `npm ci` cannot.
 *
 * The probes are injected so the fallbacks are tested on machines without a GPU (all of ours).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";

/** The CSV_SORTER_DEVICE setting. */
export type DevicePreference = "auto" | "cpu" | "cuda";

/** The result of one probe: whether the thing is there, and what was seen (for logs). */
export interface ProbeResult {
  ok: boolean;
  detail: string;
}

/** What the machine offers; {@link systemProbes} asks the real one. */
export interface DeviceProbes {
  /** An NVIDIA GPU: /dev/nvidia0, or a GPU listed by `nvidia-smi -L`. */
  nvidiaGpu(): ProbeResult;
  /** The CUDA 12 runtime library (libcudart.so.12) on the library path. */
  cudaRuntime(): ProbeResult;
  /** onnxruntime-node's CUDA execution provider: listed by the binding and its library installed. */
  onnxCudaProvider(): ProbeResult;
  /** Imports a module; resolves to null when it loaded, else the error message. */
  tryImport(specifier: string): Promise<string | null>;
}

/** TensorFlow.js packages in order of preference, with the backend name each registers. */
export const TRAINING_BACKENDS = [
  { package: "@tensorflow/tfjs-node-gpu", backend: "tensorflow", gpu: true },
  { package: "@tensorflow/tfjs-node", backend: "tensorflow", gpu: false },
  { package: "@tensorflow/tfjs-backend-wasm", backend: "wasm", gpu: false },
] as const;

/** A TensorFlow.js backend choice; `package` null means tfjs' built-in pure-JS cpu backend. */
export interface TrainingBackend {
  package: (typeof TRAINING_BACKENDS)[number]["package"] | null;
  /** The name to pass to `tf.setBackend()` once the package is imported. */
  backend: "tensorflow" | "wasm" | "cpu";
  gpu: boolean;
}

/** The device choice of one worker. */
export interface DeviceChoice {
  preference: DevicePreference;
  /** ONNX Runtime execution provider for embeddings (transformers.js `device`). */
  embedding: "cuda" | "cpu";
  training: TrainingBackend;
  /** Why, one short sentence per decision; logged at start and stored in the heartbeat. */
  reasons: string[];
}

/** Parses CSV_SORTER_DEVICE; empty means auto. */
export function parseDevicePreference(value: string | undefined): DevicePreference {
  const normalised = (value ?? "").trim().toLowerCase();
  if (normalised === "" || normalised === "auto") return "auto";
  if (normalised === "cpu" || normalised === "cuda") return normalised;
  throw new Error(`Cannot use CSV_SORTER_DEVICE "${value}": expected auto, cpu or cuda`);
}

/** Picks the embedding device and the training backend; throws when `cuda` is asked for but absent. */
export async function selectDevice(
  preference: DevicePreference,
  probes: DeviceProbes = systemProbes(),
): Promise<DeviceChoice> {
  const reasons: string[] = [];
  let cuda = false;
  if (preference === "cpu") {
    reasons.push("embedding on cpu: CSV_SORTER_DEVICE=cpu");
  } else {
    const checks = [probes.nvidiaGpu(), probes.cudaRuntime(), probes.onnxCudaProvider()];
    const missing = checks.filter((check) => !check.ok).map((check) => check.detail);
    cuda = missing.length === 0;
    if (cuda) {
      reasons.push(`embedding on cuda: ${checks.map((check) => check.detail).join("; ")}`);
    } else if (preference === "cuda") {
      throw new Error(
        `Cannot use device "cuda" (CSV_SORTER_DEVICE=cuda): ${missing.join("; ")}. ` +
          "Set CSV_SORTER_DEVICE=auto to fall back to the CPU",
      );
    } else {
      reasons.push(`embedding on cpu: ${missing.join("; ")}`);
    }
  }

  let training: TrainingBackend = { package: null, backend: "cpu", gpu: false };
  const skipped: string[] = [];
  for (const candidate of TRAINING_BACKENDS) {
    if (candidate.gpu && !cuda) {
      skipped.push(`${candidate.package} needs CUDA`);
      continue;
    }
    const failure = await probes.tryImport(candidate.package);
    if (failure === null) {
      training = { package: candidate.package, backend: candidate.backend, gpu: candidate.gpu };
      break;
    }
    skipped.push(`${candidate.package} did not load (${firstLine(failure)})`);
  }
  const chosen = training.package ?? "tfjs' cpu backend";
  reasons.push(`training on ${chosen}${skipped.length > 0 ? `: ${skipped.join("; ")}` : ""}`);
  return { preference, embedding: cuda ? "cuda" : "cpu", training, reasons };
}

/**
 * Loads the embedding model on the chosen device. Under `auto`, a CUDA session that fails to start
 * (a driver or cuDNN mismatch shows only here) falls back to the CPU, and the choice records why.
 */
export async function loadOnDevice<T>(
  choice: DeviceChoice,
  load: (device: "cuda" | "cpu") => Promise<T>,
  log: (message: string) => void = console.log,
): Promise<{ value: T; choice: DeviceChoice }> {
  if (choice.embedding === "cpu") return { value: await load("cpu"), choice };
  try {
    return { value: await load("cuda"), choice };
  } catch (error) {
    if (choice.preference === "cuda") throw error;
    const reason = `embedding on cpu: the CUDA session failed (${firstLine((error as Error).message)})`;
    log(`${reason}; falling back`);
    return {
      value: await load("cpu"),
      choice: { ...choice, embedding: "cpu", reasons: [reason, ...choice.reasons.slice(1)] },
    };
  }
}

/** One line for logs, e.g. "cuda; training @tensorflow/tfjs-node-gpu". */
export function describeDevice(choice: DeviceChoice): string {
  return `${choice.embedding}; training ${choice.training.package ?? "tfjs cpu"}`;
}

/** The device fields of the heartbeat (WorkerOptions.device). */
export function reportedDevice(
  choice: DeviceChoice,
): { device: string; detail: string; trainingBackend: string } {
  return {
    device: choice.embedding,
    detail: choice.reasons.join("; "),
    trainingBackend: choice.training.package ?? "@tensorflow/tfjs (cpu backend)",
  };
}

function firstLine(text: string): string {
  return text.split("\n")[0].slice(0, 200);
}

const CUDA_LIBRARY_DIRS = [
  "/usr/local/cuda/lib64",
  "/usr/local/cuda/targets/x86_64-linux/lib",
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib64",
];

/** Probes of this machine. */
export function systemProbes(env: Record<string, string | undefined> = process.env): DeviceProbes {
  return {
    nvidiaGpu() {
      if (fs.existsSync("/dev/nvidia0")) return { ok: true, detail: "/dev/nvidia0 present" };
      const smi = spawnSync("nvidia-smi", ["-L"], { encoding: "utf8", timeout: 5000 });
      if (smi.status === 0 && smi.stdout.trim() !== "") {
        return { ok: true, detail: firstLine(smi.stdout.trim()) };
      }
      return { ok: false, detail: "no NVIDIA GPU (no /dev/nvidia0, nvidia-smi lists none)" };
    },
    cudaRuntime() {
      const dirs = [...(env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean), ...CUDA_LIBRARY_DIRS];
      for (const dir of dirs) {
        const file = path.join(dir, "libcudart.so.12");
        if (fs.existsSync(file)) return { ok: true, detail: `CUDA runtime ${file}` };
      }
      const ldconfig = spawnSync("ldconfig", ["-p"], { encoding: "utf8", timeout: 5000 });
      const line = (ldconfig.stdout ?? "").split("\n").find((entry) => entry.includes("libcudart.so.12"));
      if (line) return { ok: true, detail: `CUDA runtime ${line.trim().split(" => ").pop()}` };
      return { ok: false, detail: "no CUDA 12 runtime (libcudart.so.12 not on the library path)" };
    },
    onnxCudaProvider() {
      try {
        const require = createRequire(import.meta.url);
        const ort = require("onnxruntime-node") as {
          listSupportedBackends?: () => { name: string; bundled: boolean }[];
        };
        const listed = ort.listSupportedBackends?.().find((backend) => backend.name === "cuda");
        if (!listed) return { ok: false, detail: "onnxruntime-node was built without the CUDA provider" };
        // Relative to the onnxruntime-node package (check_repo_paths: ignore).
        const binding = path.join(
          path.dirname(require.resolve("onnxruntime-node")),
          `../bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime_providers_cuda.so`,
        );
        if (listed.bundled || fs.existsSync(binding)) {
          return { ok: true, detail: "onnxruntime-node CUDA provider installed" };
        }
        return {
          ok: false,
          detail:
            "onnxruntime-node's CUDA provider is not installed (npm ci ran with ONNXRUNTIME_NODE_INSTALL=skip)",
        };
      } catch (error) {
        return {
          ok: false,
          detail: `onnxruntime-node did not load (${firstLine((error as Error).message)})`,
        };
      }
    },
    async tryImport(specifier) {
      try {
        await import(specifier);
        return null;
      } catch (error) {
        return (error as Error).message || String(error);
      }
    },
  };
}
