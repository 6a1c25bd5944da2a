/**
 * Browser test of the upload form's Cancel button in its three phases, on the app started as in
 * production (Deno, embedded PGlite, worker in process): while the file is uploading (the browser's
 * upload throttled), while the server reads its rows (a 150,000-row file, with live "Reading rows"
 * progress), and while it embeds (the import is deleted after a confirm). Nothing is left at the end.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import type { ImportProgress } from "../../contract/schemas.ts";
import { openPgliteDatabase } from "../../core/db/database_pglite.ts";
import { sql } from "../../core/db/sql.ts";
import { datasetRows, toCsv } from "../../testing/testing.ts";
import { type AppProcess, CHROMIUM_ARGS, collectPageErrors, settle, startApp } from "./app_process.ts";
import { createOpsAndLogin } from "./login.ts";

let app: AppProcess | undefined;
let browser: Browser | undefined;
let bigCsv: string;
let smallCsv: string;

before(async () => {
  app = await startApp();
  const rows = datasetRows(1000).map((row) => ({ ...row }) as Record<string, string>);
  // 150 copies of 1,000 real rows: about 15 MB, many seconds of reading on the embedded database.
  bigCsv = path.join(app.tempDir, "big.csv");
  const header = Object.keys(rows[0]);
  const body = toCsv(rows).slice(toCsv(rows).indexOf("\n") + 1);
  fs.writeFileSync(bigCsv, `${header.join(",")}\n${body.replace(/\s*$/, "\r\n").repeat(150)}`);
  smallCsv = path.join(app.tempDir, "small.csv");
  fs.writeFileSync(smallCsv, toCsv(rows.slice(0, 1000)));
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}, { timeout: 180_000 });

after(async () => {
  await browser?.close().catch(() => {});
  await app?.stop();
});

test("Cancel stops an upload while uploading, while reading rows and while embedding", {
  timeout: 600_000,
}, async () => {
  assert.ok(browser && app);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const pageErrors = collectPageErrors(page);
  await createOpsAndLogin(page, app.baseUrl, app.output());
  const imports = () =>
    page.evaluate(() => fetch("/imports").then((r) => r.json())) as Promise<ImportProgress[]>;

  await page.goto(`${app.baseUrl}/`);
  await page.locator('[data-island="UploadForm"][data-hydrated="true"]').waitFor();
  const cancel = page.locator("[data-testid=upload-cancel]");
  const failure = page.locator("[data-testid=upload-error]");

  // 1. While uploading: the browser sends at 200 kB/s, so 15 MB takes over a minute.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 200 * 1024,
  });
  await page.locator("#csv-file").setInputFiles(bigCsv);
  await page.locator("[data-testid=upload-button]").click();
  await page.getByRole("status").filter({ hasText: /Uploading… [1-9]/ }).waitFor();
  await cancel.click();
  await failure.filter({ hasText: 'Upload of "big.csv" cancelled' }).waitFor();
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });

  // 2. While the server reads the rows: live progress, then Cancel.
  await page.locator("[data-testid=upload-button]").click();
  const reading = page.locator("[data-testid=reading-status]");
  await reading.filter({ hasText: /Reading rows: [1-9][\d,]* \([\d.]+ MB of [\d.]+ MB\)/ }).waitFor();
  assert.match(await reading.innerText(), /about \d+ (s|min) left/);
  await cancel.click();
  await failure.filter({ hasText: 'Import of "big.csv" cancelled' }).waitFor();
  const cancelled = (await imports()).find((item) => item.error === 'Import of "big.csv" cancelled');
  assert.ok(cancelled, "the cancelled import is listed as failed");
  assert.deepEqual([cancelled.status, cancelled.row_count], ["failed", 0]);

  // 3. While embedding: the import is deleted once confirmed.
  await page.locator("#csv-file").setInputFiles(smallCsv);
  await settle(page);
  await page.locator("[data-testid=upload-button]").click();
  const status = page.locator("[data-testid=upload-status]");
  // Cancel as soon as the rows are in: the worker embeds in this process too, so the delete may wait
  // for its current batch.
  await status.filter({ hasText: /Imported 1000 rows; (embedding…|[\d,]+ \/ 1,000 embedded)/ }).waitFor();
  const question = new Promise<string>((resolve) =>
    page.once("dialog", (dialog) => {
      resolve(dialog.message());
      dialog.accept();
    })
  );
  await cancel.click();
  assert.match(await question, /Stop embedding "small\.csv" and delete its 1000 rows\?/);
  await failure.filter({ hasText: 'Import of "small.csv" deleted' }).waitFor({ timeout: 240_000 });
  assert.equal((await imports()).some((item) => item.file_name === "small.csv"), false);
  assert.deepEqual(pageErrors.filter((line) => !/40[49]/.test(line)), []);

  const code = await app.stop({ keepFiles: true });
  assert.equal(code, 0, app.output());
  const db = await openPgliteDatabase(app.dataDir);
  try {
    const [left] = await db.query<{ products: number; queued: number }>(sql`
      SELECT (SELECT count(*)::int FROM products) AS products,
             (SELECT count(*)::int FROM embedding_queue) AS queued`);
    assert.deepEqual(left, { products: 0, queued: 0 });
  } finally {
    await db.close();
    app.removeFiles();
    app = undefined;
  }
});
