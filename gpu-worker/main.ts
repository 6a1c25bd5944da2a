/**
 * `npm run worker`: a separate worker process for the server shape (DATABASE_URL or POSTGRES_*). Start
 * as many as the machines allow; they share the work through the database.
 */
import process from "node:process";
import { loadConfig } from "./lib/config.ts";
import { describeDevice, loadOnDevice, reportedDevice, selectDevice } from "./lib/device.ts";
import { loadEmbedder } from "./lib/embedder.ts";
import { migrate } from "./lib/migrate.ts";
import { openDatabase } from "./lib/open_database.ts";
import { startWorker } from "./lib/worker_loop.ts";
import { ModelRuntime, watchActiveModel } from "./lib/active_model.ts";
import { modelJobHandlers } from "./lib/model_jobs.ts";
import { loadTf } from "./lib/tf_backend.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl) {
    throw new Error(
      "Cannot start a separate worker on the embedded database: set DATABASE_URL (or POSTGRES_HOST …). " +
        "With the embedded default, `npm start` already runs the worker in the web process",
    );
  }
  const db = await openDatabase(config, { applicationName: "csv-sorter-worker", max: 3 });
  await migrate(db);
  const selected = await selectDevice(config.device);
  for (const reason of selected.reasons) console.log(`[worker] ${reason}`);
  const { value: embedder, choice: device } = await loadOnDevice(selected, (device) =>
    loadEmbedder({
      modelId: config.embeddingModelId,
      localModelPath: config.embeddingModelPath,
      allowRemoteModels: config.allowRemoteModels,
      dtype: config.embeddingDtype,
      device,
    }), (message) => console.log(`[worker] ${message}`));
  // Training and the classifier head use the backend device selection chose (tfjs-node-gpu, …, wasm).
  await loadTf(device.training);
  // The model version this worker scores with, following the database's active version.
  const log = (message: string) => console.log(`[worker] ${message}`);
  const models = new ModelRuntime({
    modelsDir: config.modelsDir,
    embeddingModelId: embedder.modelId,
    dimensions: embedder.dimensions,
    log,
  });
  const stopWatchingModels = await watchActiveModel(db, models, { pollMs: config.workerPollMs, log });
  const worker = await startWorker(db, embedder, {
    batchSize: config.embedBatchSize,
    pollMs: config.workerPollMs,
    leaseSeconds: config.workerLeaseSeconds,
    heartbeatMs: config.workerHeartbeatMs,
    device: reportedDevice(device),
    models,
    jobHandlers: modelJobHandlers({ modelsDir: config.modelsDir, models }),
  });
  console.log(
    `[worker ${worker.workerId}] ready: ${embedder.modelId} (${embedder.dimensions} dims) on ${
      describeDevice(device)
    }`,
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[worker ${worker.workerId}] ${signal}: finishing the batch in flight`);
    await worker.stop();
    await stopWatchingModels();
    models.close();
    await db.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
