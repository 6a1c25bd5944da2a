/**
 * `npm run worker`: a separate worker process for the server shape (DATABASE_URL or POSTGRES_*). Start
 * as many as the machines allow; they share the work through the database.
 */
import process from "node:process";
import { loadConfig } from "./lib/config.ts";
import { loadEmbedder } from "./lib/embedder.ts";
import { migrate } from "./lib/migrate.ts";
import { openDatabase } from "./lib/open_database.ts";
import { startWorker } from "./lib/worker_loop.ts";

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
  const embedder = await loadEmbedder({
    modelId: config.embeddingModelId,
    localModelPath: config.embeddingModelPath,
    allowRemoteModels: config.allowRemoteModels,
    dtype: config.embeddingDtype,
  });
  const worker = await startWorker(db, embedder, {
    batchSize: config.embedBatchSize,
    pollMs: config.workerPollMs,
    leaseSeconds: config.workerLeaseSeconds,
  });
  console.log(`[worker ${worker.workerId}] ready: ${embedder.modelId} (${embedder.dimensions} dims) on cpu`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[worker ${worker.workerId}] ${signal}: finishing the batch in flight`);
    await worker.stop();
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
