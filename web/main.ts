/**
 * `npm start`: the web server. On the embedded default it owns the PGlite database and runs the worker
 * loop in this same process; with DATABASE_URL it serves only, and `npm run worker` processes embed.
 */
import process from "node:process";
import { loadConfig } from "../gpu-worker/lib/config.ts";
import { loadEmbedder } from "../gpu-worker/lib/embedder.ts";
import { migrate } from "../gpu-worker/lib/migrate.ts";
import { openDatabase } from "../gpu-worker/lib/open_database.ts";
import { startWorker, type WorkerHandle } from "../gpu-worker/lib/worker_loop.ts";
import { createApp } from "./app.ts";

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase(config, { applicationName: "csv-sorter-web", max: 10 });
  let worker: WorkerHandle | undefined;
  const applied = await migrate(db);
  if (applied.length > 0) console.log(`Applied migrations: ${applied.join(", ")}`);
  const where = config.databaseUrl ? "PostgreSQL server" : `embedded database in ${config.dataDir}`;

  if (config.embeddedWorker) {
    const embedder = await loadEmbedder({
      modelId: config.embeddingModelId,
      localModelPath: config.embeddingModelPath,
      allowRemoteModels: config.allowRemoteModels,
      dtype: config.embeddingDtype,
    });
    worker = await startWorker(db, embedder, {
      batchSize: config.embedBatchSize,
      pollMs: config.workerPollMs,
      leaseSeconds: config.workerLeaseSeconds,
    });
  }
  const app = createApp({
    db,
    modelId: config.embeddingModelId,
    maxUploadBytes: config.maxUploadBytes,
  });
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
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: finishing requests and the batch in flight`);
    await server.shutdown();
    await worker?.stop();
    await db.close();
    process.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => void shutdown("SIGINT"));
  Deno.addSignalListener("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((error) => {
  console.error((error as Error).message);
  process.exit(1);
});
