/**
 * Settings read from the environment, shared by the web server and the worker so both shapes agree on
 * the database, the embedding model and the limits.
 */
import process from "node:process";
import path from "node:path";
import { z } from "zod";
import { type DevicePreference, parseDevicePreference } from "./device.ts";

const booleanFlag = z
  .enum(["1", "0", "true", "false", "yes", "no", ""])
  .transform((value) => ["1", "true", "yes"].includes(value));

const Environment = z.object({
  DATABASE_URL: z.string().optional(),
  POSTGRES_HOST: z.string().optional(),
  POSTGRES_PORT: z.coerce.number().int().default(5432),
  POSTGRES_USER: z.string().default("postgres"),
  POSTGRES_PASSWORD: z.string().default(""),
  POSTGRES_DB: z.string().default("csv_sorter"),
  DATA_DIR: z.string().default("./data"),
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  EMBEDDING_MODEL_ID: z.string().default("sentence-transformers/all-MiniLM-L6-v2"),
  EMBEDDING_MODEL_PATH: z.string().default("./models/embedding/"),
  EMBEDDING_DTYPE: z.enum(["fp32", "fp16", "q8", "int8", "uint8", "q4"]).default("fp32"),
  ALLOW_REMOTE_MODELS: booleanFlag.default(true),
  EMBED_BATCH_SIZE: z.coerce.number().int().min(1).max(1024).default(32),
  WORKER_POLL_MS: z.coerce.number().int().min(50).default(2000),
  WORKER_LEASE_SECONDS: z.coerce.number().int().min(5).default(120),
  WORKER_HEARTBEAT_SECONDS: z.coerce.number().min(0.1).max(3600).default(10),
  MAX_UPLOAD_BYTES: z.coerce.number().int().min(1).default(200 * 1024 * 1024),
  MODELS_DIR: z.string().default("./models/versions"),
  EMBEDDED_WORKER: booleanFlag.optional(),
  CSV_SORTER_DEVICE: z.string().optional(),
  TRUST_PROXY: booleanFlag.default(false),
  PUBLIC_URL: z.string().url().refine((value) => /^https?:\/\//i.test(value), "use http:// or https://")
    .optional(),
});

/** The product's settings, resolved. */
export interface Config {
  /** postgres:// URL of an external server, or undefined for the embedded PGlite database. */
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  embeddingModelId: string;
  embeddingModelPath: string;
  embeddingDtype: "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4";
  allowRemoteModels: boolean;
  embedBatchSize: number;
  workerPollMs: number;
  workerLeaseSeconds: number;
  /** How often a worker records its heartbeat (table `workers`). */
  workerHeartbeatMs: number;
  maxUploadBytes: number;
  /** Where trained model versions live (`<dir>/v3/…`); shared by every process that serves them. */
  modelsDir: string;
  /** Whether the web process runs the worker loop itself (always for PGlite). */
  embeddedWorker: boolean;
  /** Where workers compute: auto (CUDA when present), cpu, or cuda (refuse to start without it). */
  device: DevicePreference;
  /** Trust a reverse proxy's X-Forwarded-* headers (scheme, host, client address). */
  trustProxy: boolean;
  /** The address users open when it is not http://HOST:PORT (behind a proxy or tunnel). */
  publicUrl: string | undefined;
}

function postgresUrl(env: z.infer<typeof Environment>): string | undefined {
  if (env.DATABASE_URL) return env.DATABASE_URL;
  if (!env.POSTGRES_HOST) return undefined;
  const user = encodeURIComponent(env.POSTGRES_USER);
  const password = env.POSTGRES_PASSWORD ? `:${encodeURIComponent(env.POSTGRES_PASSWORD)}` : "";
  return `postgres://${user}${password}@${env.POSTGRES_HOST}:${env.POSTGRES_PORT}/${
    encodeURIComponent(env.POSTGRES_DB)
  }`;
}

/** Reads the settings from `source` (the process environment by default); throws on invalid values. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = Environment.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Cannot start: invalid settings: ${problems.join("; ")}`);
  }
  const env = parsed.data;
  const databaseUrl = postgresUrl(env);
  return {
    databaseUrl,
    dataDir: path.resolve(env.DATA_DIR),
    host: env.HOST,
    port: env.PORT,
    embeddingModelId: env.EMBEDDING_MODEL_ID,
    embeddingModelPath: path.resolve(env.EMBEDDING_MODEL_PATH),
    embeddingDtype: env.EMBEDDING_DTYPE,
    allowRemoteModels: env.ALLOW_REMOTE_MODELS,
    embedBatchSize: env.EMBED_BATCH_SIZE,
    workerPollMs: env.WORKER_POLL_MS,
    workerLeaseSeconds: env.WORKER_LEASE_SECONDS,
    workerHeartbeatMs: Math.round(env.WORKER_HEARTBEAT_SECONDS * 1000),
    maxUploadBytes: env.MAX_UPLOAD_BYTES,
    modelsDir: path.resolve(env.MODELS_DIR),
    embeddedWorker: databaseUrl === undefined ? true : (env.EMBEDDED_WORKER ?? false),
    device: parseDevicePreference(env.CSV_SORTER_DEVICE),
    trustProxy: env.TRUST_PROXY,
    publicUrl: env.PUBLIC_URL,
  };
}
