/**
 * Browser test of a group decision on a catalogue field: the app as production runs it (Deno, embedded
 * PGlite, the real model, worker in process). Several shops' offers of the same few products are matched
 * to a reference list; on a card whose suggestion other waiting rows share, G opens the group with every
 * row ticked, one row is unticked with the keyboard, Enter decides the card and the ticked rows in one
 * request; the rows leave the queue (the unticked one stays), one U undoes the whole group (its cards come
 * back, the group's own card first). The open group passes axe in both themes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import type { CatalogueReviewPage, ImportProgress } from "../../contract/schemas.ts";
import { toCsv } from "../../testing/testing.ts";
import { pageApi } from "./page_api.ts";
import { type AppProcess, CHROMIUM_ARGS, collectPageErrors, settle, startApp } from "./app_process.ts";
import { auditThemes, axePage } from "./axe.ts";
import { createOpsAndLogin } from "./login.ts";

const FIELD = "product";

const CANONICAL = [
  "Apple iPhone 8 Plus 64GB Space Grey",
  "Sony WH-1000XM4 Wireless Headphones",
  "Logitech MX Master 3 Wireless Mouse",
  "Nintendo Switch OLED Console",
];

/** Five shops' wording of the same iPhone, and a few other offers. */
const OFFERS = [
  { title: "apple iphone 8 plus 64 gb spacegrau" },
  { title: "Apple iPhone 8 Plus 64GB Space Grey SIM Free Smartphone" },
  { title: "iPhone 8 Plus 64 GB space grey, unlocked (renewed)" },
  { title: "APPLE IPHONE 8 PLUS 64GB SPACE GREY" },
  { title: "Apple iPhone 8 Plus - 64 GB - Space Gray - Unlocked" },
  { title: "Sony WH1000XM4 noise cancelling wireless headphones" },
  { title: "Logitech MX Master 3 advanced wireless mouse graphite" },
  { title: "Nintendo Switch OLED model white joy-con console" },
];

let app: AppProcess;
let browser: Browser;
let page: Page;

/** Calls the API as the signed-in page (pageApi). */
function api<T>(method: string, url: string, body?: { type: string; text: string }): Promise<T> {
  return pageApi<T>(page, method, url, body);
}

before(async () => {
  app = await startApp();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  await createOpsAndLogin(page, app.baseUrl, app.output());
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await app?.stop();
});

test("G decides a card and the rows suggested the same entry at once; U undoes them one by one", {
  timeout: 420_000,
}, async () => {
  const pageErrors = collectPageErrors(page);
  const base = app.baseUrl;
  await page.goto(`${base}/fields`);
  await api("POST", "/fields", {
    type: "application/json",
    text: JSON.stringify({ name: FIELD, kind: "catalogue" }),
  });
  await api("POST", `/fields/${FIELD}/entries`, {
    type: "text/csv",
    text: toCsv(CANONICAL.map((name) => ({ name }))),
  });

  const csvPath = path.join(app.tempDir, "offers.csv");
  fs.writeFileSync(csvPath, toCsv(OFFERS));
  await page.goto(`${base}/`);
  await page.locator('[data-island="UploadForm"][data-hydrated="true"]').waitFor();
  await page.locator("#csv-file").setInputFiles(csvPath);
  await page.locator("[data-testid=upload-button]").click();
  await page.locator("[data-testid=upload-status]").filter({ hasText: "Done" }).waitFor({ timeout: 120_000 });
  const [created] = await api<ImportProgress[]>("GET", "/imports");
  assert.equal(created.row_count, OFFERS.length);

  // The queue fills once the worker has matched every row.
  await page.goto(`${base}/review/${FIELD}`);
  await page.locator('[data-island="CatalogueReview"][data-hydrated="true"]').waitFor();
  const card = page.locator("[data-testid=catalogue-card]");
  await card.waitFor({ timeout: 180_000 });
  await page.locator("[data-testid=catalogue-position]").filter({ hasText: `${OFFERS.length} waiting` })
    .waitFor({ timeout: 120_000 });
  await page.reload();
  await page.locator('[data-island="CatalogueReview"][data-hydrated="true"]').waitFor();
  await card.waitFor();
  await settle(page);

  // Skip to the first card whose suggestion other rows share (the iPhone's offers).
  const offer = page.locator("[data-testid=group-offer]");
  for (let skipped = 0; skipped < OFFERS.length && !await offer.isVisible(); skipped++) {
    const id = await card.getAttribute("data-product-id");
    await page.keyboard.press("s");
    await page.locator(`[data-testid=catalogue-card]:not([data-product-id="${id}"])`).waitFor();
    await page.waitForTimeout(300);
  }
  await offer.waitFor();
  const entryId = Number(await card.locator("[data-testid=choice-suggestion]").getAttribute("data-entry-id"));
  const cardId = Number(await card.getAttribute("data-product-id"));
  const others = Number(await offer.getAttribute("data-count"));
  assert.ok(others >= 2, `the card's group has ${others} other rows`);
  const before = await api<CatalogueReviewPage>("GET", `/fields/${FIELD}/review?entry_id=${entryId}`);
  assert.equal(before.waiting, others + 1);

  // The open group passes axe in both themes.
  const checked = await axePage(browser, page.context());
  try {
    const violations = await auditThemes(checked, `${base}/review/${FIELD}`, async (review) => {
      await review.locator("[data-testid=catalogue-card]").waitFor({ timeout: 30_000 });
      const shown = review.locator("[data-testid=group-offer]");
      for (let n = 0; n < OFFERS.length && !await shown.isVisible(); n++) {
        await review.keyboard.press("s");
        await review.waitForTimeout(500);
      }
      await review.keyboard.press("g");
      await review.locator("[data-testid=catalogue-group]").waitFor();
    });
    assert.deepEqual(violations, [], violations.join("\n"));
  } finally {
    await checked.context().close();
  }

  // G: every row ticked; untick the first with the keyboard (Tab to it, Space); Enter decides.
  await page.keyboard.press("g");
  const rows = page.locator("[data-testid=group-row]");
  await page.locator("[data-testid=catalogue-group]").waitFor();
  assert.equal(await rows.count(), others);
  for (let n = 0; n < others; n++) assert.equal(await rows.nth(n).isChecked(), true);
  const left = Number(await rows.first().getAttribute("data-product-id"));
  await rows.first().focus();
  await page.keyboard.press(" ");
  assert.equal(await rows.first().isChecked(), false);
  await page.keyboard.press("Enter");
  await page.locator("[data-testid=catalogue-hint]").filter({ hasText: `Decided ${others} rows` }).waitFor();
  // The card on screen is another one; of the group only the unticked row still waits.
  await page.locator(`[data-testid=catalogue-card]:not([data-product-id="${cardId}"])`).waitFor();
  const after = await api<CatalogueReviewPage>("GET", `/fields/${FIELD}/review?entry_id=${entryId}`);
  assert.deepEqual(after.items.map((item) => item.product_id), [left]);

  // U undoes the group as one action: its card is back on screen first, every decided row waits again.
  const groupIds = before.items.map((item) => item.product_id).filter((id) => id !== left);
  await page.keyboard.press("u");
  await page.locator("[data-testid=catalogue-hint]").filter({ hasText: `Undone: ${others} decisions` })
    .waitFor();
  assert.equal(Number(await card.getAttribute("data-product-id")), cardId);
  const shown: number[] = [];
  for (let n = 0; n < others; n++) {
    const id = Number(await card.getAttribute("data-product-id"));
    shown.push(id);
    await page.keyboard.press("s");
    if (n + 1 < others) {
      await page.locator(`[data-testid=catalogue-card]:not([data-product-id="${id}"])`).waitFor();
    }
  }
  assert.deepEqual(shown.sort(), [...groupIds].sort(), "the group's cards come back one after the other");
  assert.deepEqual(pageErrors, [], "the page reported errors");
});
