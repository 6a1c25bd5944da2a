/**
 * Live progress of uploads being read, by the key the client chose, and their cancel switch. Kept in
 * memory in the web process that reads the file: the import runs in that process, so that is where
 * progress is known and where cancelling can stop it. Behind a load balancer with several web processes,
 * polls and cancels must reach the same process (sticky sessions); the database keeps no trace of it.
 */
import type { UploadProgress } from "../../contract/schemas.ts";

/** How long a finished upload stays readable, so the last poll still sees how it ended. */
const KEEP_FINISHED_MS = 10 * 60 * 1000;
/** Uploads followed at once; a key beyond it is simply not followed (the import still runs). */
const MAX_ENTRIES = 1000;

interface Entry {
  progress: UploadProgress;
  owner: string | undefined;
  startedAt: number;
  finishedAt?: number;
  controller: AbortController;
}

/** What the import reports and reads while it runs. */
export interface UploadTracker {
  /** Aborted when someone cancels the upload. */
  signal: AbortSignal;
  /** Rows and bytes read so far; awaited, so a test can hold the import at a batch boundary. */
  report(progress: { rowsRead: number; bytesRead: number; importId: number }): Promise<void>;
  /** The import is past reading: labels and the embedding queue are being written. */
  finishing(): void;
  /** The import ended: done, failed (with the reason) or cancelled. */
  end(phase: "done" | "failed" | "cancelled", options?: { importId?: number; error?: string }): void;
}

/** Options of {@link UploadRegistry}. */
export interface UploadRegistryOptions {
  /** Called after each batch is reported, before the import goes on (tests pause imports here). */
  onReport?: (key: string, progress: UploadProgress) => Promise<void> | void;
  now?: () => number;
}

/** The uploads of this web process, by key. */
export class UploadRegistry {
  #entries = new Map<string, Entry>();
  #onReport: UploadRegistryOptions["onReport"];
  #now: () => number;

  constructor(options: UploadRegistryOptions = {}) {
    this.#onReport = options.onReport;
    this.#now = options.now ?? Date.now;
  }

  /** Starts following an upload of `bytesTotal` bytes; the key may be reused once the last one ended. */
  start(key: string, options: { fileName: string; bytesTotal: number; owner?: string }): UploadTracker {
    this.#prune();
    const existing = this.#entries.get(key);
    if (existing && existing.finishedAt === undefined) {
      throw new UploadKeyInUse(key);
    }
    const entry: Entry = {
      progress: {
        key,
        file_name: options.fileName,
        phase: "reading",
        import_id: null,
        bytes_total: options.bytesTotal,
        bytes_read: 0,
        rows_read: 0,
        rows_per_second: 0,
        eta_seconds: null,
        error: null,
      },
      owner: options.owner,
      startedAt: this.#now(),
      controller: new AbortController(),
    };
    if (this.#entries.size < MAX_ENTRIES) this.#entries.set(key, entry);
    return {
      signal: entry.controller.signal,
      report: async ({ rowsRead, bytesRead, importId }) => {
        const seconds = Math.max((this.#now() - entry.startedAt) / 1000, 0.001);
        const rate = bytesRead / seconds;
        const left = Math.max(entry.progress.bytes_total - bytesRead, 0);
        Object.assign(entry.progress, {
          import_id: importId,
          bytes_read: bytesRead,
          rows_read: rowsRead,
          rows_per_second: Math.round((rowsRead / seconds) * 10) / 10,
          eta_seconds: rate > 0 ? Math.ceil(left / rate) : null,
        });
        await this.#onReport?.(key, { ...entry.progress });
      },
      finishing: () => {
        entry.progress.phase = "finishing";
        entry.progress.bytes_read = entry.progress.bytes_total;
        entry.progress.eta_seconds = 0;
      },
      end: (phase, endOptions = {}) => {
        entry.progress.phase = phase;
        entry.progress.import_id = endOptions.importId ?? entry.progress.import_id;
        entry.progress.error = endOptions.error ?? null;
        entry.progress.eta_seconds = phase === "done" ? 0 : null;
        entry.finishedAt = this.#now();
      },
    };
  }

  /** The progress of `key`, or undefined for an unknown (or long finished) upload. */
  get(key: string): UploadProgress | undefined {
    this.#prune();
    const entry = this.#entries.get(key);
    return entry ? { ...entry.progress } : undefined;
  }

  /**
   * Asks the import of `key` to stop at its next batch. An upload another account started counts as
   * unknown: the key alone is not trusted to let anyone stop someone else's import.
   */
  cancel(key: string, requester?: string): "cancelling" | "finished" | "unknown" {
    const entry = this.#entries.get(key);
    if (!entry) return "unknown";
    if (entry.owner !== undefined && requester !== undefined && entry.owner !== requester) {
      return "unknown";
    }
    if (entry.finishedAt !== undefined) return "finished";
    entry.controller.abort();
    return "cancelling";
  }

  #prune(): void {
    const cutoff = this.#now() - KEEP_FINISHED_MS;
    for (const [key, entry] of this.#entries) {
      if (entry.finishedAt !== undefined && entry.finishedAt < cutoff) this.#entries.delete(key);
    }
  }
}

/** A key that names an upload still running. */
export class UploadKeyInUse extends Error {
  constructor(readonly key: string) {
    super(`Upload key "${key}" is already in use by an upload that is still running`);
    this.name = "UploadKeyInUse";
  }
}
