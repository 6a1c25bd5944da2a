/**
 * `npm start`: the web server. On the embedded default it owns the PGlite database and runs the worker
 * loop in this same process; with DATABASE_URL it serves only, and `npm run worker` processes embed.
 */
import process from "node:process";
import { loadConfig } from "../core/runtime/config.ts";
import { stopOnSignal } from "../core/runtime/shutdown.ts";
import { migrate } from "../core/db/migrate.ts";
import { openDatabase } from "../core/db/open_database.ts";
import type { WorkerHandle } from "../core/worker/worker_loop.ts";
import { type LaunchedWorker, launchWorker } from "../core/worker/launch_worker.ts";
import { ModelRuntime, watchActiveModel } from "../core/models/active_model.ts";
import { storedVectorDimensions } from "../core/models/model_versions.ts";
import { releaseLeasesOfGoneHolders } from "../core/jobs/lease_recovery.ts";
import { createSecureApp } from "./secure_app.ts";
import { startImportRecovery } from "../core/imports/import_recovery.ts";
import { removeDeadSpools } from "../core/imports/upload_spool.ts";
import { removeDeadModelTempFolders } from "../core/models/model_temp_folders.ts";
import { NeighbourRefresher } from "../core/review/neighbour_refresh.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config, { applicationName: "csv-sorter-web", max: 10 });
  let worker: WorkerHandle | undefined;
  let embedder: LaunchedWorker["embedder"] | undefined;
  const applied = await migrate(db);
  if (applied.length > 0) console.log(`Applied migrations: ${applied.join(", ")}`);
  const where = config.databaseUrl ? "PostgreSQL server" : `embedded database in ${config.dataDir}`;
  // What a killed process left behind, before serving: imports it was reading are failed at once (their
  // rows are deleted in the background), the leases of its batches and jobs end, its spools go.
  const imports = await startImportRecovery(db, { log: (message) => console.log(`[imports] ${message}`) });
  const released = await releaseLeasesOfGoneHolders(db);
  if (released.jobs + released.products > 0) {
    console.log(
      `[worker] released the leases of stopped workers: ${released.jobs} jobs, ${released.products} products`,
    );
  }
  const spools = removeDeadSpools();
  if (spools > 0) console.log(`Removed ${spools} upload files left by stopped processes`);
  // The embedded database has one process, this one: it alone trains into MODELS_DIR.
  const temps = removeDeadModelTempFolders(config.modelsDir, { ownerless: db.kind === "pglite" });
  if (temps > 0) {
    console.log(`[models] removed ${temps} half-written model folders left by stopped processes`);
  }
  // The model version this process serves (and its embedded worker scores with); it follows the
  // database's active version. Dimensions come from the vector column: a server-only web process has
  // no embedder to ask.
  const models = new ModelRuntime({
    db,
    modelsDir: config.modelsDir,
    embeddingModelId: config.embeddingModelId,
    dimensions: await storedVectorDimensions(db),
    log: (message) => console.log(`[models] ${message}`),
  });

  if (config.embeddedWorker) {
    ({ worker, embedder } = await launchWorker(db, config, {
      models,
      log: (message) => console.log(`[worker] ${message}`),
    }));
  }
  const stopWatchingModels = await watchActiveModel(db, models, {
    pollMs: config.workerPollMs,
    log: (message) => console.log(`[models] ${message}`),
  });
  // Decisions answer once stored; their neighbours are re-scored right after, in batches.
  const neighbours = new NeighbourRefresher(db, {
    modelId: config.embeddingModelId,
    models,
    log: (message) => console.log(`[review] ${message}`),
  });
  // What a process killed mid-batch left recorded is re-scored now.
  neighbours.nudge();
  const app = await createSecureApp({
    db,
    modelId: config.embeddingModelId,
    maxUploadBytes: config.maxUploadBytes,
    models,
    modelsDir: config.modelsDir,
    neighbours,
  }, { host: config.host, port: config.port, trustProxy: config.trustProxy, publicUrl: config.publicUrl });
  const server = Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: ({ hostname, port }) => {
      console.log(
        `CSV-Sorter on http://${hostname}:${port} (${where}; ${
          worker ? "worker in this process" : "no worker here: run `npm run worker`"
        })`,
      );
    },
  }, app.fetch);
  stopOnSignal(async (signal) => {
    console.log(`${signal}: finishing requests and the batch in flight`);
    await server.shutdown();
    await neighbours.close();
    await worker?.stop();
    embedder?.close?.();
    await imports.stop();
    await stopWatchingModels();
    models.close();
    await db.close();
    console.log("Stopped");
  });
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
