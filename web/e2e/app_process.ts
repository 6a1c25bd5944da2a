/**
 * Starts the app for a browser test exactly as production does (`deno run -A web/main.ts`, embedded
 * PGlite, worker in process) on a temp data dir and a free port, and stops it with SIGINT.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import process from "node:process";
import type { Page } from "playwright-core";
import { freePort, REPO_ROOT } from "../../testing/testing.ts";

/** Debian's Chromium, headless, with nothing that reaches the network. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];

/** A running app. */
export interface AppProcess {
  baseUrl: string;
  tempDir: string;
  /** The app's DATA_DIR (embedded PGlite), inside `tempDir`. */
  dataDir: string;
  /** Everything it printed so far. */
  output(): string;
  /**
   * SIGINT, then waits; resolves to the exit code (SIGKILL after 30 s). Removes `tempDir` unless
   * `keepFiles` (to reopen the data dir afterwards; call `removeFiles()` when done).
   */
  stop(options?: { keepFiles?: boolean }): Promise<number | null>;
  /** Removes `tempDir`. */
  removeFiles(): void;
}

/** How to start the app beyond its environment. */
export interface StartOptions {
  /**
   * Runs before the app opens its data dir (e.g. the account CLI, which needs the dir unlocked);
   * may return more environment variables for the app.
   */
  prepare?: (dirs: { tempDir: string; dataDir: string }) => Record<string, string> | void;
}

/** Lets Preact run its effects (it defers them to the next frame), as any human pause would. */
export async function settle(page: Page): Promise<void> {
  await page.evaluate(() =>
    new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(), 0)))
  );
}

/**
 * Waits until import `importId` is embedded (and, with `suggested`, has suggestions), asking the app from
 * `page` every 500 ms; throws after `timeoutMs`. Polled from here because Playwright's waitForFunction does
 * not await a predicate's promise: an async predicate passed at once.
 */
export async function waitForImport(
  page: Page,
  importId: number,
  options: { suggested?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  let progress = { embedded_count: -1, row_count: 0, suggested_count: 0 };
  while (Date.now() < deadline) {
    progress = await page.evaluate(async (id) => (await fetch(`/imports/${id}`)).json(), importId);
    if (
      progress.embedded_count === progress.row_count && (!options.suggested || progress.suggested_count > 0)
    ) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`Import ${importId} not ready in time: ${JSON.stringify(progress)}`);
}

/** Collects the page's uncaught errors and console errors, to assert none at the end of a test. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") {
      errors.push(`console: ${message.text()} (${message.location().url || "no url"})`);
    }
  });
  return errors;
}

/** Runs `deno run -A web/account_cli.ts …` on a data dir no app holds; returns what it printed. */
export function accountCli(args: string[], input: string, dataDir: string): string {
  const run = spawnSync(path.join(REPO_ROOT, "node_modules/.bin/deno"), [
    "run",
    "-A",
    "web/account_cli.ts",
    ...args,
  ], {
    cwd: REPO_ROOT,
    env: { ...process.env, DATA_DIR: dataDir, NO_COLOR: "1" },
    input,
    encoding: "utf8",
  });
  assert.equal(run.status, 0, `account_cli ${args.join(" ")} failed:\n${run.stdout}\n${run.stderr}`);
  return `${run.stdout}\n${run.stderr}`;
}

/** Builds the browser assets if missing, starts the app, resolves once it listens. */
export async function startApp(
  env: Record<string, string> = {},
  options: StartOptions = {},
): Promise<AppProcess> {
  if (!fs.existsSync(path.join(REPO_ROOT, "web/static/build/islands.js"))) {
    const build = spawnSync(process.execPath, ["--import", "tsx", "web/build.ts"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    assert.equal(build.status, 0, `web/build.ts failed:\n${build.stdout}\n${build.stderr}`);
  }
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "csv-sorter-e2e-"));
  const dataDir = path.join(tempDir, "data");
  const prepared = options.prepare?.({ tempDir, dataDir }) ?? {};
  const port = await freePort();
  const child = spawn(path.join(REPO_ROOT, "node_modules/.bin/deno"), ["run", "-A", "web/main.ts"], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: "127.0.0.1",
      ALLOW_REMOTE_MODELS: "0",
      WORKER_POLL_MS: "200",
      NO_COLOR: "1",
      ...prepared,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const started = Date.now();
  while (!output.includes("CSV-Sorter on http://")) {
    if (child.exitCode !== null) throw new Error(`The app exited before listening:\n${output}`);
    if (Date.now() - started > 60_000) {
      child.kill("SIGKILL");
      throw new Error(`The app did not start within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    tempDir,
    dataDir,
    output: () => output,
    async stop({ keepFiles = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const code = await exit;
      clearTimeout(timer);
      if (!keepFiles) fs.rmSync(tempDir, { recursive: true, force: true });
      return code;
    },
    removeFiles() {
      fs.rmSync(tempDir, { recursive: true, force: true });
    },
  };
}
