import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type DeviceProbes,
  loadOnDevice,
  parseDevicePreference,
  selectDevice,
  systemProbes,
} from "./device.ts";

/** A machine described by what it has; every probe call is recorded. */
function machine(has: {
  gpu?: boolean;
  cudart?: boolean;
  ortCuda?: boolean;
  packages?: string[];
}): DeviceProbes & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    nvidiaGpu() {
      calls.push("gpu");
      return has.gpu ? { ok: true, detail: "GPU 0: NVIDIA L4" } : { ok: false, detail: "no NVIDIA GPU" };
    },
    cudaRuntime() {
      calls.push("cudart");
      return has.cudart
        ? { ok: true, detail: "libcudart.so.12" }
        : { ok: false, detail: "no CUDA 12 runtime" };
    },
    onnxCudaProvider() {
      calls.push("ort");
      return has.ortCuda ? { ok: true, detail: "ort cuda" } : { ok: false, detail: "no ort CUDA provider" };
    },
    tryImport(specifier) {
      calls.push(`import ${specifier}`);
      return Promise.resolve(has.packages?.includes(specifier) ? null : `Cannot find package '${specifier}'`);
    },
  };
}

const ALL_PACKAGES = [
  "@tensorflow/tfjs-node-gpu",
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-backend-wasm",
];

test("selectDevice() picks CUDA and tfjs-node-gpu on a GPU node with everything installed", async () => {
  const probes = machine({ gpu: true, cudart: true, ortCuda: true, packages: ALL_PACKAGES });
  const choice = await selectDevice("auto", probes);
  assert.equal(choice.embedding, "cuda");
  assert.deepEqual(choice.training, {
    package: "@tensorflow/tfjs-node-gpu",
    backend: "tensorflow",
    gpu: true,
  });
  assert.match(choice.reasons[0], /^embedding on cuda: GPU 0: NVIDIA L4/);
  assert.deepEqual(probes.calls.filter((call) => call.startsWith("import")), [
    "import @tensorflow/tfjs-node-gpu",
  ]);
});

test("selectDevice() under auto falls back to the CPU and names each missing piece", async () => {
  const cases: [Parameters<typeof machine>[0], RegExp][] = [
    [{ gpu: false, cudart: true, ortCuda: true }, /no NVIDIA GPU/],
    [{ gpu: true, cudart: false, ortCuda: true }, /no CUDA 12 runtime/],
    [{ gpu: true, cudart: true, ortCuda: false }, /no ort CUDA provider/],
  ];
  for (const [has, missing] of cases) {
    const choice = await selectDevice("auto", machine({ ...has, packages: ALL_PACKAGES }));
    assert.equal(choice.embedding, "cpu", JSON.stringify(has));
    assert.match(choice.reasons[0], /^embedding on cpu: /);
    assert.match(choice.reasons[0], missing);
    // Without CUDA, tfjs-node-gpu is not even imported: it would load libtensorflow and fail.
    assert.deepEqual(choice.training, {
      package: "@tensorflow/tfjs-node",
      backend: "tensorflow",
      gpu: false,
    });
    assert.match(choice.reasons[1], /tfjs-node-gpu needs CUDA/);
  }
});

test("selectDevice() refuses CSV_SORTER_DEVICE=cuda on a machine without CUDA, naming what is missing", async () => {
  await assert.rejects(
    () => selectDevice("cuda", machine({ gpu: true, cudart: false, ortCuda: false })),
    (error: Error) => {
      assert.match(error.message, /^Cannot use device "cuda" \(CSV_SORTER_DEVICE=cuda\): /);
      assert.match(error.message, /no CUDA 12 runtime; no ort CUDA provider/);
      assert.doesNotMatch(error.message, /no NVIDIA GPU/);
      return true;
    },
  );
  const forced = await selectDevice(
    "cuda",
    machine({ gpu: true, cudart: true, ortCuda: true, packages: [] }),
  );
  assert.equal(forced.embedding, "cuda");
});

test("selectDevice() with cpu probes no GPU and never loads tfjs-node-gpu", async () => {
  const probes = machine({ gpu: true, cudart: true, ortCuda: true, packages: ALL_PACKAGES });
  const choice = await selectDevice("cpu", probes);
  assert.equal(choice.embedding, "cpu");
  assert.equal(choice.training.package, "@tensorflow/tfjs-node");
  assert.deepEqual(probes.calls, ["import @tensorflow/tfjs-node"]);
  assert.equal(choice.reasons[0], "embedding on cpu: CSV_SORTER_DEVICE=cpu");
});

test("the training backend falls back from tfjs-node-gpu to tfjs-node to wasm to tfjs' cpu backend", async () => {
  const gpu = { gpu: true, cudart: true, ortCuda: true };
  const steps: [string[], string | null, string][] = [
    [ALL_PACKAGES, "@tensorflow/tfjs-node-gpu", "tensorflow"],
    [ALL_PACKAGES.slice(1), "@tensorflow/tfjs-node", "tensorflow"],
    [ALL_PACKAGES.slice(2), "@tensorflow/tfjs-backend-wasm", "wasm"],
    [[], null, "cpu"],
  ];
  for (const [packages, expected, backend] of steps) {
    const choice = await selectDevice("auto", machine({ ...gpu, packages }));
    assert.equal(choice.training.package, expected);
    assert.equal(choice.training.backend, backend);
    assert.equal(choice.embedding, "cuda", "the embedding device does not depend on TensorFlow.js");
  }
  const last = await selectDevice("auto", machine({ ...gpu, packages: [] }));
  assert.match(last.reasons[1], /^training on tfjs' cpu backend: /);
  assert.match(last.reasons[1], /@tensorflow\/tfjs-node-gpu did not load \(Cannot find package/);
});

test("loadOnDevice() falls back to the CPU when the CUDA session fails under auto, not when cuda is forced", async () => {
  const probes = machine({ gpu: true, cudart: true, ortCuda: true, packages: ALL_PACKAGES });
  const tried: string[] = [];
  const load = (device: "cuda" | "cpu") => {
    tried.push(device);
    return device === "cuda"
      ? Promise.reject(new Error("CUDA failure 35: driver version is insufficient\nstack"))
      : Promise.resolve(`model on ${device}`);
  };
  const logged: string[] = [];
  const auto = await loadOnDevice(await selectDevice("auto", probes), load, (line) => logged.push(line));
  assert.equal(auto.value, "model on cpu");
  assert.equal(auto.choice.embedding, "cpu");
  assert.equal(
    auto.choice.reasons[0],
    "embedding on cpu: the CUDA session failed (CUDA failure 35: driver version is insufficient)",
  );
  assert.deepEqual(tried, ["cuda", "cpu"]);
  assert.equal(logged.length, 1);

  tried.length = 0;
  const forced = await selectDevice("cuda", probes);
  await assert.rejects(() => loadOnDevice(forced, load, () => {}), /driver version is insufficient/);
  assert.deepEqual(tried, ["cuda"]);
});

test("parseDevicePreference() accepts auto, cpu and cuda and refuses anything else", () => {
  assert.equal(parseDevicePreference(undefined), "auto");
  assert.equal(parseDevicePreference(""), "auto");
  assert.equal(parseDevicePreference(" CUDA "), "cuda");
  assert.equal(parseDevicePreference("cpu"), "cpu");
  assert.throws(
    () => parseDevicePreference("gpu"),
    /^Error: Cannot use CSV_SORTER_DEVICE "gpu": expected auto, cpu or cuda$/,
  );
});

test("on this machine the choice follows the real probes and the training package really loads", async () => {
  const probes = systemProbes();
  const cudaReady = [probes.nvidiaGpu(), probes.cudaRuntime(), probes.onnxCudaProvider()].every((p) => p.ok);
  const choice = await selectDevice("auto", probes);
  assert.equal(choice.embedding, cudaReady ? "cuda" : "cpu");
  if (choice.training.package) await import(choice.training.package);
  assert.equal(await probes.tryImport("@tensorflow/tfjs-backend-wasm"), null, "wasm is a regular dependency");
  assert.match(await probes.tryImport("no-such-package-csv-sorter") ?? "", /no-such-package-csv-sorter/);
});
