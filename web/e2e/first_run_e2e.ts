/**
 * Browser test of a newcomer's first minutes, as the README promises them: the app started as `npm start`
 * starts it on an empty data dir; the setup link makes the first account; the empty Imports page offers the
 * bundled sample catalogue; one click imports it; its rows are embedded and get suggestions with
 * confidences; the review queue shows them; a version is trained from the sample's seed labels and
 * activated by itself (the Models page says so); the sample is then deleted like any import. Prints how
 * long each step took.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { type Browser, chromium } from "playwright-core";
import { type AppProcess, CHROMIUM_ARGS, collectPageErrors, settle, startApp } from "./app_process.ts";
import { createOpsAndLogin } from "./login.ts";

let app: AppProcess | undefined;
let browser: Browser | undefined;

before(async () => {
  app = await startApp();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}, { timeout: 120_000 });

after(async () => {
  await browser?.close().catch(() => {});
  await app?.stop();
});

test("a new user loads the sample and sees suggestions, the review queue and a version trained by itself", async () => {
  const page = await browser!.newPage();
  const errors = collectPageErrors(page);
  const baseUrl = app!.baseUrl;
  const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);
  await createOpsAndLogin(page, baseUrl, app!.output());

  await page.goto(`${baseUrl}/`);
  await page.locator('[data-island="ImportList"][data-hydrated="true"]').waitFor();
  await page.locator("[data-testid=no-imports]").waitFor();
  const clicked = Date.now();
  await page.locator("[data-testid=load-sample]").click();
  const row = page.locator("tr", { has: page.locator("[data-testid=sample-badge]") });
  await row.waitFor({ timeout: 30_000 });
  assert.match(await row.innerText(), /sample_catalogue\.csv/);
  const rowCount = Number((await row.locator("td").nth(1).innerText()).trim());
  assert.ok(rowCount >= 1000, `the sample has ${rowCount} rows`);

  // Embedding progress in the list until every row has its vector.
  const embedded = row.locator("[data-testid=embedded-count]");
  for (;;) {
    if (Number(await embedded.innerText()) === rowCount) break;
    assert.ok(Date.now() - clicked < 600_000, `embedding stalled at ${await embedded.innerText()}`);
    await page.waitForTimeout(500);
  }
  console.log(`sample: ${rowCount} rows embedded ${seconds(clicked)} s after the click`);

  // The review queue: the least certain rows first, each with a suggestion and its confidence.
  await page.goto(`${baseUrl}/review`);
  const card = page.locator("[data-testid=review-card]");
  await card.waitFor({ timeout: 60_000 });
  await settle(page);
  assert.match(await card.locator("[data-testid=card-confidence]").innerText(), /^\d{1,3}%$/);
  console.log(`review queue shown ${seconds(clicked)} s after the click`);

  // A version trained from the sample's seed labels by itself (auto-retrain) and activated, saying why.
  await page.goto(`${baseUrl}/models`);
  await page.locator('[data-island="ModelsPanel"][data-hydrated="true"]').waitFor();
  await page.locator("[data-testid=active-version]", { hasText: "Active version: v1" })
    .waitFor({ timeout: 600_000 });
  const version = page.locator("[data-testid=version-v1]");
  assert.equal(await version.locator("[data-testid=version-status]").innerText(), "active");
  assert.notEqual((await version.locator("[data-testid=version-activation]").innerText()).trim(), "");
  console.log(`version v1 trained and active ${seconds(clicked)} s after the click, nobody pressing Retrain`);

  // The sample goes like any import.
  await page.goto(`${baseUrl}/`);
  await page.locator('[data-island="ImportList"][data-hydrated="true"]').waitFor();
  page.once("dialog", (dialog) => dialog.accept());
  await row.locator("[data-testid=delete-import]").click();
  await page.locator("[data-testid=no-imports]").waitFor({ timeout: 60_000 });
  assert.deepEqual(errors, []);
});
