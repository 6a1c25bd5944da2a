/**
 * Starts the worker loop the way both entry points need it: picks the device (CUDA when present),
 * loads the embedding model on it, loads the TF.js backend that device selection chose for training,
 * and starts embedding and job handling. `npm start` (embedded) and `npm run worker` (server) share it.
 */
import type { ModelRuntime } from "../models/active_model.ts";
import type { Config } from "../runtime/config.ts";
import type { Database } from "../db/database.ts";
import { type DeviceChoice, loadOnDevice, reportedDevice, selectDevice } from "../runtime/device.ts";
import { type Embedder, type EmbedderOptions, loadEmbedder } from "../embedding/embedder.ts";
import { loadEmbedderOnThread } from "../embedding/embedder_thread.ts";
import { modelJobHandlers } from "./model_jobs.ts";
import { trainerOnThread } from "../model_lifecycle/training_thread.ts";
import { loadTf } from "../runtime/tf_backend.ts";
import { startWorker, type WorkerHandle } from "./worker_loop.ts";

/** A started worker, with the model and device it runs on. */
export interface LaunchedWorker {
  worker: WorkerHandle;
  /** `close`, when present, ends the model's thread: after `worker.stop()`. */
  embedder: Embedder & { close?: () => void };
  device: DeviceChoice;
}

/** Loads the model on the best device and starts the worker loop on `db`. */
export async function launchWorker(
  db: Database,
  config: Config,
  options: { models: ModelRuntime; log: (message: string) => void },
): Promise<LaunchedWorker> {
  const selected = await selectDevice(config.device);
  for (const reason of selected.reasons) options.log(reason);
  const { value: embedder, choice: device } = await loadOnDevice(selected, (device) =>
    loadEmbedderHere({
      modelId: config.embeddingModelId,
      localModelPath: config.embeddingModelPath,
      allowRemoteModels: config.allowRemoteModels,
      dtype: config.embeddingDtype,
      device,
    }, options.log), options.log);
  await loadTf(device.training);
  const worker = await startWorker(db, embedder, {
    batchSize: config.embedBatchSize,
    pollMs: config.workerPollMs,
    leaseSeconds: config.workerLeaseSeconds,
    heartbeatMs: config.workerHeartbeatMs,
    device: reportedDevice(device),
    models: options.models,
    jobHandlers: modelJobHandlers({
      modelsDir: config.modelsDir,
      models: options.models,
      // Under Deno this process also answers requests (the embedded shape): training goes to a thread
      // of its own, as the model does. A Node worker process serves none and trains on its own thread,
      // where a native TF.js backend (device.training) can load.
      trainer: "Deno" in globalThis ? trainerOnThread(device.training) : undefined,
    }),
  });
  return { worker, embedder, device };
}

/**
 * The model on a thread of its own under Deno (the embedded shape: this process also answers requests
 * and runs PGlite), else on this thread (a Node worker process serves no requests). Should the thread
 * fail to start, the model runs here and the log says why.
 */
async function loadEmbedderHere(options: EmbedderOptions, log: (message: string) => void): Promise<Embedder> {
  if (!("Deno" in globalThis)) return await loadEmbedder(options);
  try {
    return await loadEmbedderOnThread(options);
  } catch (error) {
    log(`embedding on the server's own thread (requests wait while it embeds): ${(error as Error).message}`);
    return await loadEmbedder(options);
  }
}
