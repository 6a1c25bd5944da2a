/**
 * Browser test of the export control: the app as production runs it (Deno, embedded PGlite, the real
 * model, worker in process), real products uploaded and embedded, one card approved with the keyboard,
 * then an export from the imports page with live progress, caught as a real download and read back; and a
 * slow export (the network throttled through Chromium's DevTools protocol) cancelled midway, which must
 * download nothing.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { type Browser, chromium, type Page } from "playwright-core";
import type { ImportCreated, ImportProgress } from "../../contract/schemas.ts";
import { datasetRows, REPO_ROOT, toCsv } from "../../testing/testing.ts";
import { pageApi } from "./page_api.ts";
import { type AppProcess, CHROMIUM_ARGS, startApp } from "./app_process.ts";
import { createOpsAndLogin } from "./login.ts";

const ROW_COUNT = 100;
const VALUE_COLUMN = "shop_category";
const SCREENSHOT = path.join(REPO_ROOT, "test-results/export.png");

let app: AppProcess;
let browser: Browser;
let page: Page;
let rows: Record<string, string>[];
let importId: number;

/** Calls the API as the signed-in page (pageApi). */
function api<T>(method: string, url: string, body?: { type: string; text: string }): Promise<T> {
  return pageApi<T>(page, method, url, body);
}

/** Lets Preact run its effects (deferred to the next frame), as any human pause would. */
async function settle(): Promise<void> {
  await page.evaluate(() =>
    new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(), 0)))
  );
}

before(async () => {
  app = await startApp();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  page = await browser.newPage({ acceptDownloads: true });
  await createOpsAndLogin(page, app.baseUrl, app.output());
  // Suggestions stay those of the import: no version trains and activates itself mid-test.
  await api("PUT", "/settings/auto-retrain", {
    type: "application/json",
    text: JSON.stringify({ enabled: false, every_labels: 50, every_minutes: 5, auto_activate: false }),
  });

  // Real products; every third row's category left for the model, so there are cards to review.
  rows = datasetRows(ROW_COUNT).map((row, index) => ({
    title: row.title,
    brand: row.brand,
    category: index % 3 === 0 ? "" : row.category,
    price: row.price,
  }));
  const created = await api<ImportCreated>(
    "POST",
    "/upload-csv?file_name=amazon.csv&label_column=category&text_columns=title,brand",
    { type: "text/csv", text: toCsv(rows) },
  );
  importId = created.import_id;
  const deadline = Date.now() + 120_000;
  while (true) {
    const progress = await api<ImportProgress>("GET", `/imports/${importId}`);
    if (progress.embedded_count === ROW_COUNT && progress.suggested_count > 0) break;
    assert.ok(Date.now() < deadline, `not embedded in time: ${JSON.stringify(progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await app?.stop();
});

test("a reviewer exports an import from the imports page and gets the rows, value column and decision", {
  timeout: 120_000,
}, async () => {
  // Approve one card with the keyboard: the first that has a suggestion.
  await page.goto(`${app.baseUrl}/review?import_id=${importId}`);
  const card = page.locator("[data-testid=review-card]");
  await card.waitFor();
  await settle();
  for (let step = 0; (await card.locator("[data-testid=card-suggestion]").innerText()) === "—"; step++) {
    assert.ok(step < 40, "no card with a suggestion");
    const current = await card.getAttribute("data-product-id");
    await page.keyboard.press("j");
    await page.locator(`[data-testid=review-card]:not([data-product-id="${current}"])`).waitFor();
  }
  const approvedText = (await card.locator("[data-testid=card-text]").innerText()).trim();
  const approvedValue = (await card.locator("[data-testid=card-suggestion]").innerText()).trim();
  const approvedId = await card.getAttribute("data-product-id");
  await page.keyboard.press("a");
  await page.locator(`[data-testid=review-card]:not([data-product-id="${approvedId}"])`).waitFor();
  const deadline = Date.now() + 10_000;
  while ((await api<ImportProgress>("GET", `/imports/${importId}`)).reviewed_count < 1) {
    assert.ok(Date.now() < deadline, "the approval was not saved");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // The page asks before leaving while a decision is still being saved.
  await page.locator('[data-testid=save-status][data-saving="0"]').waitFor();

  // Export from the imports page: open the control, choose a value column, download.
  await page.goto(app.baseUrl);
  const row = page.locator(`[data-testid=import-${importId}]`);
  await row.locator("[data-testid=export-import]").click();
  const form = row.locator("[data-testid=export-import-form]");
  await form.locator('input[name="value_column"]').fill(VALUE_COLUMN);
  await settle();
  const downloading = page.waitForEvent("download");
  await form.locator("[data-testid=export-submit]").click();
  const download = await downloading;
  assert.equal(download.suggestedFilename(), "amazon-normalised.csv");
  await form.locator("[data-testid=export-done]").filter({ hasText: `Downloaded ${ROW_COUNT} rows` })
    .waitFor();

  const file = await download.path();
  const parsed = Papa.parse<Record<string, string>>(fs.readFileSync(file, "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  assert.deepEqual(parsed.meta.fields, [
    "title",
    "brand",
    "category",
    "price",
    VALUE_COLUMN,
    `${VALUE_COLUMN}_source`,
    `${VALUE_COLUMN}_confidence`,
    `${VALUE_COLUMN}_model_version`,
  ]);
  assert.equal(parsed.data.length, ROW_COUNT);
  assert.deepEqual(parsed.data.map((line) => line.title), rows.map((line) => line.title));
  for (const [index, line] of parsed.data.entries()) {
    if (rows[index].category) {
      assert.equal(line[VALUE_COLUMN], rows[index].category, `row ${index + 1}`);
      assert.equal(line[`${VALUE_COLUMN}_source`], "seed");
    }
  }
  const human = parsed.data.filter((line) => line[`${VALUE_COLUMN}_source`] === "human");
  assert.equal(human.length, 1, "exactly the approved row is a person's");
  assert.equal(human[0][VALUE_COLUMN], approvedValue);
  assert.ok(approvedText.includes(human[0].title), `"${approvedText}" is the row "${human[0].title}"`);
  assert.equal(human[0][`${VALUE_COLUMN}_confidence`], "", "a person's value has no model confidence");
  // The rest of the unlabelled rows carry the model's suggestion.
  assert.ok(parsed.data.some((line) => line[`${VALUE_COLUMN}_source`] === "model"));
});

test("Cancel stops a running export: progress shown, then no download", { timeout: 120_000 }, async () => {
  await page.goto(app.baseUrl);
  await settle();
  // Slow the network so that the export is still running when Cancel is pressed.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 20,
    downloadThroughput: 2 * 1024,
    uploadThroughput: -1,
  });
  const downloads: string[] = [];
  const onDownload = (download: { suggestedFilename(): string }) =>
    downloads.push(download.suggestedFilename());
  page.on("download", onDownload);
  try {
    await page.locator("[data-testid=export-all]").click();
    const form = page.locator("[data-testid=export-all-form]");
    await form.locator('select[name="format"]').selectOption("jsonl");
    await form.locator("[data-testid=export-submit]").click();
    const progress = form.locator("[data-testid=export-progress]");
    // Rows arrive and are counted against the server's total before Cancel.
    await progress.filter({ hasText: new RegExp(`^[1-9][\\d,]* of ${ROW_COUNT} rows`) }).waitFor({
      timeout: 60_000,
    });
    const shown = await progress.innerText();
    await page.screenshot({ path: SCREENSHOT });
    await form.locator("[data-testid=export-cancel]").click();
    await form.locator("[data-testid=export-cancelled]").waitFor();
    const counted = Number(/^([\d,]+) of/.exec(shown)![1].replace(/,/g, ""));
    assert.ok(counted < ROW_COUNT, `cancelled after ${shown}`);
    await page.waitForTimeout(1500);
    assert.deepEqual(downloads, [], "a cancelled export downloads nothing");
    assert.equal(await form.locator("[data-testid=export-submit]").isVisible(), true);
  } finally {
    page.off("download", onDownload);
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await cdp.detach();
  }
});

test("without JavaScript the Export link downloads the default export", { timeout: 60_000 }, async () => {
  const context = await browser.newContext({
    javaScriptEnabled: false,
    acceptDownloads: true,
    storageState: await page.context().storageState(),
  });
  try {
    const plain = await context.newPage();
    await plain.goto(app.baseUrl);
    const downloading = plain.waitForEvent("download");
    await plain.locator(`[data-testid=import-${importId}] [data-testid=export-import]`).click();
    const download = await downloading;
    const parsed = Papa.parse<Record<string, string>>(fs.readFileSync(await download.path(), "utf8"), {
      header: true,
      skipEmptyLines: true,
    });
    assert.equal(parsed.data.length, ROW_COUNT);
    assert.equal(parsed.meta.fields?.includes("normalised_value"), true);
  } finally {
    await context.close();
  }
});
