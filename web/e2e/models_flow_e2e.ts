/**
 * Browser end-to-end test of the learning loop: starts the app exactly as production does (Deno,
 * embedded PGlite, worker in process, the security layer) on a temp data dir, models dir and free port,
 * as an ops account with an API token made by `npm run user` / `npm run token`; imports real products with
 * seed labels; then in the browser presses Retrain, watches the progress, sees the new version, loads it,
 * and sees the review queue's suggestions change to the new version's.
 *
 * The browser sends the token on every request (an API token, not a session: the session's form
 * login is the security layer's own test's business).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { datasetRows, REPO_ROOT, toCsv } from "../../testing/testing.ts";
import {
  accountCli,
  type AppProcess,
  CHROMIUM_ARGS,
  collectPageErrors,
  settle,
  startApp,
} from "./app_process.ts";
import { auditThemes, axePage } from "./axe.ts";
import { pageApi } from "./page_api.ts";

const ROW_COUNT = 400;
const SCREENSHOT = path.join(REPO_ROOT, "test-results/models.png");

let app: AppProcess | undefined;
let baseUrl: string;
let browser: Browser | undefined;
let token: string;

/** Calls the API as the signed-in `page` (pageApi). */
function api<T>(page: Page, method: string, url: string, body?: { type: string; text: string }): Promise<T> {
  return pageApi<T>(page, method, url, body);
}

/** Real products of the 16 most common categories; every fourth row's category left for the model. */
function sampleCsv(): string {
  const all = datasetRows(3000).filter((row) => row.category.trim() !== "");
  const counts = new Map<string, number>();
  for (const row of all) counts.set(row.category, (counts.get(row.category) ?? 0) + 1);
  const rows = all.filter((row) => counts.get(row.category)! >= 30).slice(0, ROW_COUNT);
  assert.equal(rows.length, ROW_COUNT);
  return toCsv(rows.map((row, index) => ({
    title: row.title,
    brand: row.brand,
    category: index % 4 === 3 ? "" : row.category,
  })));
}

before(async () => {
  app = await startApp({}, {
    prepare({ tempDir, dataDir }) {
      accountCli(["user", "create", "--name", "ops", "--role", "ops"], "a long enough password\n", dataDir);
      const printed = accountCli(
        ["token", "create", "--name", "e2e", "--user", "ops", "--role", "ops"],
        "",
        dataDir,
      );
      token = printed.match(/csvs_[A-Za-z0-9_-]+/)?.[0] ?? "";
      assert.ok(token, `no token in: ${printed}`);
      return { MODELS_DIR: path.join(tempDir, "models") };
    },
  });
  baseUrl = app.baseUrl;
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}, { timeout: 180_000 });

after(async () => {
  await browser?.close().catch(() => {});
  await app?.stop();
});

test("ops press Retrain, watch its progress, load the new version and see the suggestions change", {
  timeout: 300_000,
}, async () => {
  assert.ok(browser && app);
  const context = await browser.newContext({
    viewport: { width: 1280, height: 1000 },
    extraHTTPHeaders: { authorization: `Bearer ${token}` },
  });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const pageErrors = collectPageErrors(page);

  await page.goto(`${baseUrl}/`);
  // This flow retrains and loads by hand; with the defaults the workers would do both by themselves.
  await api(page, "PUT", "/settings/auto-retrain", {
    type: "application/json",
    text: JSON.stringify({ enabled: false, every_labels: 50, every_minutes: 5, auto_activate: false }),
  });
  const created = await api<{ import_id: number; row_count: number }>(
    page,
    "POST",
    "/upload-csv?file_name=amazon.csv&label_column=category&text_columns=title,brand",
    { type: "text/csv", text: sampleCsv() },
  );
  assert.equal(created.row_count, ROW_COUNT);
  const started = Date.now();
  for (;;) {
    const progress = await api<{ embedded_count: number; suggested_count: number }>(
      page,
      "GET",
      `/imports/${created.import_id}`,
    );
    if (progress.embedded_count === ROW_COUNT && progress.suggested_count >= ROW_COUNT / 4) break;
    assert.ok(Date.now() - started < 120_000, `embedding did not finish: ${JSON.stringify(progress)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }

  // Before any version: kNN suggestions, no model named on the card.
  await page.goto(`${baseUrl}/review`);
  const card = page.locator("[data-testid=review-card]");
  await card.waitFor();
  await settle(page);
  assert.match(await card.locator("[data-testid=card-source]").innerText(), /· no trained model$/);
  const listed = () => page.locator("ol li button").allInnerTexts();
  const before = await listed();

  // Retrain in the models page, watching the job's progress live.
  await page.goto(`${baseUrl}/models`);
  await page.locator('[data-island="ModelsPanel"][data-hydrated="true"]').waitFor();
  assert.equal(await page.locator("[data-testid=active-version]").innerText(), "Active version: none");
  // Every state the status line shows, recorded as it changes (a retrain of 300 labels takes seconds).
  // A string, not a function: tsx would wrap a function's inner closures in a helper the page lacks.
  await page.evaluate(`(() => {
    const seen = (globalThis.seen = []);
    const panel = document.querySelector('[data-island="ModelsPanel"]');
    new MutationObserver(() => {
      const status = panel.querySelector("[data-testid=retrain-status]");
      const line = status ? status.dataset.status + ": " + status.innerText : "";
      if (line && seen.at(-1) !== line) seen.push(line);
    }).observe(panel, { subtree: true, childList: true, characterData: true, attributes: true });
  })()`);
  await page.locator("[data-testid=retrain]").click();
  const status = page.locator("[data-testid=retrain-status]");
  await page.locator("[data-testid=retrain-status][data-status=done]").waitFor({ timeout: 180_000 });
  assert.match(await status.innerText(), /v1: ready, held-out accuracy \d+\.\d%/);
  const seen = await page.evaluate(() => (globalThis as unknown as { seen: string[] }).seen);
  console.log(`retrain status lines shown: ${seen.length}, e.g. ${JSON.stringify(seen.slice(0, 3))}`);
  assert.ok(
    seen.some((line) => /^running: .*v1: (Training: epoch \d+ of \d+|Learning curve|Evaluating)/s.test(line)),
    `live progress was shown: ${JSON.stringify(seen)}`,
  );
  assert.ok(seen.some((line) => line.startsWith("queued") || line.startsWith("running")));
  const row = page.locator("[data-testid=version-v1]");
  assert.equal(await row.locator("[data-testid=version-status]").innerText(), "ready");
  // The policy is off here: the page says why v1 waits for Load, and shows the policy itself.
  assert.match(
    await row.locator("[data-testid=version-activation]").innerText(),
    /^not activated: policy off\s+Auto-activation is off: load it by hand after checking its metrics$/,
  );
  assert.match(
    await page.locator("[data-testid=auto-retrain-state]").innerText(),
    /^Auto-retrain is off · auto-activation is off$/,
  );
  await page.locator("[data-testid=accuracy-chart] [data-version=v1]").waitFor();
  // The scheduler's line follows the retrain without a reload (it read "no retrain yet" when the page
  // opened), with the retrain's time in UTC rather than a raw ISO timestamp.
  await page.locator("[data-testid=auto-retrain-status]", {
    hasText: /\(job \d+, \d{4}-\d\d-\d\d \d\d:\d\d UTC\)/,
  }).waitFor({ timeout: 25_000 });

  // Load it: the page says it is active, and the waiting rows are re-scored with it.
  await page.locator("[data-testid=load-v1]").click();
  await page.locator("[data-testid=active-version]", { hasText: "Active version: v1" }).waitFor();
  await page.locator("[data-testid=rescore-status][data-status=done]").waitFor({ timeout: 120_000 });
  assert.equal(await row.locator("[data-testid=version-status]").innerText(), "active");
  // v1's learning curve follows its retrain job and shows without a reload.
  await page.locator("[data-testid=learning-curve] polyline").waitFor({ timeout: 120_000 });
  assert.equal(await page.locator("[data-testid=curve-pending]").count(), 0);
  await page.locator("[data-testid=reliability]").waitFor();
  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  // The models page with an active version, its chart and its reliability diagram passes axe.
  const checked = await axePage(browser, context, { authorization: `Bearer ${token}` });
  const violations = await auditThemes(checked, `${baseUrl}/models`, async (models) => {
    await models.locator("[data-testid=reliability]").waitFor();
  });
  await checked.context().close();
  assert.deepEqual(violations, []);

  // The review queue now shows v1's suggestions and calibrated confidences.
  await page.goto(`${baseUrl}/review`);
  await card.waitFor();
  await settle(page);
  assert.match(await card.locator("[data-testid=card-source]").innerText(), /· v1$/);
  const after = await listed();
  assert.equal(after.length, before.length);
  assert.notDeepEqual(after, before, "the suggestions or their confidences changed");
  await context.close();
  assert.deepEqual(pageErrors, [], "the pages reported errors");

  const code = await app.stop({ keepFiles: true });
  assert.equal(code, 0, `the app did not stop cleanly on SIGINT (${code}):\n${app.output()}`);
  assert.ok(fs.existsSync(path.join(app.tempDir, "models/v1/manifest.json")), "v1 was written to MODELS_DIR");
  app.removeFiles();
});
