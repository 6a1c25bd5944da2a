/**
 * The model version this process serves, swapped in memory without a restart. Every process (the web
 * server, each worker) holds one ModelRuntime; it follows the database's active version, woken by NOTIFY
 * on MODEL_CHANNEL and polling as the safety net.
 *
 * Swapping is one reference assignment. A scorer takes a lease on the model it starts with and keeps it
 * until it is done, so requests in flight finish on the old model; the old head's tensors are freed when
 * its last lease ends. A version that fails its checks (checksums, manifest against this process'
 * embedding model) is never swapped in: the current one stays.
 */
import { MODEL_CHANNEL } from "../../contract/schemas.ts";
import type { Database, Queryable } from "../db/database.ts";
import { loadModelVersion, type StoredModel } from "./model_store.ts";
import { cacheModelFiles } from "./model_files.ts";
import { activeModelVersion } from "./model_versions.ts";
import { loadTf, type Tf } from "../runtime/tf_backend.ts";

/** Options of {@link ModelRuntime}. */
export interface ModelRuntimeOptions {
  modelsDir: string;
  /** The embedding model this process' vectors come from; a version trained on another is refused. */
  embeddingModelId: string;
  dimensions: number;
  log?: (message: string) => void;
  /**
   * The database whose model_version_files this process loads versions from, with modelsDir as this
   * machine's cache of them; without it (tests of one process) versions are read from modelsDir alone.
   */
  db?: Queryable;
}

/** A model held for the duration of one scoring call. */
export interface ModelLease {
  /** The model, or undefined when no version is active here. */
  readonly model: StoredModel | undefined;
  readonly tf: Tf | undefined;
  release(): void;
}

/** The model version served by this process. */
export class ModelRuntime {
  #model: StoredModel | undefined;
  #tf: Tf | undefined;
  #leases = new Map<StoredModel, number>();
  #retired = new Set<StoredModel>();
  #switching: string | undefined;
  #failed: string | undefined;
  #syncing: Promise<void> | undefined;
  #again = false;
  /** Switches run one after another, so the model served last is the one the database activated last. */
  #switches: Promise<unknown> = Promise.resolve();

  constructor(readonly options: ModelRuntimeOptions) {}

  /** The version served now, or null. */
  get version(): string | null {
    return this.#model?.version ?? null;
  }

  /** The model served now (for reading its metrics; score through {@link acquire}). */
  current(): StoredModel | undefined {
    return this.#model;
  }

  /** Holds the current model until `release()`; a swap meanwhile does not free it. */
  acquire(): ModelLease {
    const model = this.#model;
    if (model) this.#leases.set(model, (this.#leases.get(model) ?? 0) + 1);
    let released = false;
    return {
      model,
      tf: this.#tf,
      release: () => {
        if (released || !model) return;
        released = true;
        const left = (this.#leases.get(model) ?? 1) - 1;
        if (left > 0) this.#leases.set(model, left);
        else {
          this.#leases.delete(model);
          if (this.#retired.delete(model)) model.classifier.dispose();
        }
      },
    };
  }

  /** Loads and checks `version` from disk without serving it; throws ModelLoadError when unusable. */
  async load(version: string): Promise<StoredModel> {
    this.#tf ??= await loadTf();
    if (this.options.db) {
      const outcome = await cacheModelFiles(this.options.db, this.options.modelsDir, version);
      if (outcome === "fetched") this.options.log?.(`${version}: files fetched from the database`);
    }
    return await loadModelVersion(this.#tf, this.options.modelsDir, version, {
      embeddingModelId: this.options.embeddingModelId,
      dimensions: this.options.dimensions,
    });
  }

  /** Serves `model` from now on (undefined: none); the previous one is freed once its leases end. */
  install(model: StoredModel | undefined): void {
    const previous = this.#model;
    this.#model = model;
    if (model) this.#failed = undefined;
    if (previous && previous !== model) {
      if (this.#leases.has(previous)) this.#retired.add(previous);
      else previous.classifier.dispose();
    }
  }

  /**
   * Loads and checks `version`, then runs `commit` (which marks it active in the database) and serves
   * it. When the checks fail, `commit` never runs and the current model stays.
   */
  switchTo(version: string, commit: () => Promise<void>): Promise<void> {
    const run = this.#switches.catch(() => {}).then(async () => {
      this.#switching = version;
      try {
        const model = await this.load(version);
        try {
          await commit();
        } catch (error) {
          model.classifier.dispose();
          throw error;
        }
        this.install(model);
      } finally {
        this.#switching = undefined;
      }
    });
    this.#switches = run;
    return run;
  }

  /**
   * Serves the database's active version if it is not served yet; concurrent calls share one run. A
   * version that failed its checks here is tried again only with `retry` (an activation was announced).
   */
  sync(db: Queryable, options: { retry?: boolean } = {}): Promise<void> {
    if (options.retry) this.#failed = undefined;
    if (this.#syncing) {
      this.#again = true;
      return this.#syncing;
    }
    this.#syncing = (async () => {
      do {
        this.#again = false;
        await this.#syncOnce(db);
      } while (this.#again);
    })().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #syncOnce(db: Queryable): Promise<void> {
    const active = await activeModelVersion(db);
    if (active === this.version || active === this.#switching) return;
    if (active === null) {
      this.install(undefined);
      return;
    }
    // A version that failed here is not retried on every poll, only when an activation is announced.
    if (active === this.#failed) return;
    try {
      this.install(await this.load(active));
      this.#log(`serving model ${active}`);
    } catch (error) {
      this.#failed = active;
      this.#log(`${(error as Error).message}; still serving ${this.version ?? "no model"}`);
    }
  }

  /** Frees the current model (at shutdown). */
  close(): void {
    this.install(undefined);
  }

  #log(message: string): void {
    (this.options.log ?? console.log)(message);
  }
}

/**
 * Keeps `runtime` on the database's active version: syncs now, on every NOTIFY on MODEL_CHANNEL (and on
 * every re-subscription, since notifications sent meanwhile are lost), and every `pollMs`. Resolves to a
 * function that stops watching.
 */
export async function watchActiveModel(
  db: Database,
  runtime: ModelRuntime,
  options: { pollMs: number; log?: (message: string) => void },
): Promise<() => Promise<void>> {
  const log = options.log ?? console.log;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  const sync = (retry: boolean) => {
    if (stopped) return;
    inFlight = runtime.sync(db, { retry }).catch((error) => {
      if (!stopped) log(`Cannot check the active model: ${(error as Error).message}`);
    });
  };
  await runtime.sync(db).catch((error) => log(`Cannot check the active model: ${(error as Error).message}`));
  const unlisten = await db.listen(MODEL_CHANNEL, () => sync(true), () => sync(false));
  const timer = setInterval(() => sync(false), options.pollMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await unlisten();
    await inFlight;
  };
}
