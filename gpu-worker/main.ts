/**
 * `npm run worker`: a separate worker process for the server shape (DATABASE_URL or POSTGRES_*). Start
 * as many as the machines allow; they share the work through the database.
 */
import process from "node:process";
import { loadConfig } from "../core/runtime/config.ts";
import { stopOnSignal } from "../core/runtime/shutdown.ts";
import { describeDevice } from "../core/runtime/device.ts";
import { launchWorker } from "../core/worker/launch_worker.ts";
import { migrate } from "../core/db/migrate.ts";
import { openDatabase } from "../core/db/open_database.ts";
import { ModelRuntime, watchActiveModel } from "../core/models/active_model.ts";
import { storedVectorDimensions } from "../core/models/model_versions.ts";
import { releaseLeasesOfGoneHolders } from "../core/jobs/lease_recovery.ts";
import { removeDeadModelTempFolders } from "../core/models/model_temp_folders.ts";

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
  const log = (message: string) => console.log(`[worker] ${message}`);
  // Workers on this host killed earlier (kill -9, OOM): their batches and jobs are taken up now rather
  // than when their leases run out.
  const released = await releaseLeasesOfGoneHolders(db);
  if (released.jobs + released.products > 0) {
    log(`released the leases of stopped workers: ${released.jobs} jobs, ${released.products} products`);
  }
  // And the model versions they were writing: folders of live workers sharing MODELS_DIR are kept.
  const temps = removeDeadModelTempFolders(config.modelsDir);
  if (temps > 0) log(`removed ${temps} half-written model folders left by stopped processes`);
  // The model version this worker scores with, following the database's active version.
  const models = new ModelRuntime({
    db,
    modelsDir: config.modelsDir,
    embeddingModelId: config.embeddingModelId,
    dimensions: await storedVectorDimensions(db),
    log,
  });
  const { worker, embedder, device } = await launchWorker(db, config, { models, log });
  // After launchWorker: loading a version's classifier needs the TF.js backend it chose.
  const stopWatchingModels = await watchActiveModel(db, models, { pollMs: config.workerPollMs, log });
  console.log(
    `[worker ${worker.workerId}] ready: ${embedder.modelId} (${embedder.dimensions} dims) on ${
      describeDevice(device)
    }`,
  );
  stopOnSignal(async (signal) => {
    console.log(`[worker ${worker.workerId}] ${signal}: finishing the batch in flight`);
    await worker.stop();
    await stopWatchingModels();
    models.close();
    await db.close();
  });
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
