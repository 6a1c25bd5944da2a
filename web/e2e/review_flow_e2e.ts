/**
 * Browser end-to-end test: starts the app exactly as production does (Deno, embedded PGlite, worker in
 * process) on a temp data dir and a free port, uploads a CSV of real products through the import page,
 * reviews cards with the keyboard alone (one while the server is held back: the next card shows at once),
 * uses the filters (similar rows, confidence range, search), then stops the app and checks what it stored.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import type { Database } from "../../core/db/database.ts";
import { openPgliteDatabase } from "../../core/db/database_pglite.ts";
import { sql } from "../../core/db/sql.ts";
import { DATASET_DIR, datasetRows, REPO_ROOT, toCsv } from "../../testing/testing.ts";
import { type AppProcess, CHROMIUM_ARGS, collectPageErrors, settle, startApp } from "./app_process.ts";
import { createOpsAndLogin } from "./login.ts";

// 90 rows, a third without a label: 30 to review, more than one page of 20.
const ROW_COUNT = 90;
const CORRECTION = "hand tools";
const SCREENSHOT = path.join(REPO_ROOT, "test-results/review.png");

let app: AppProcess | undefined;
let csvPath: string;
let browser: Browser | undefined;
let db: Database | undefined;

/** The sample file: real products, `category` blanked on every third row so those rows need review. */
function writeSampleCsv(file: string): { labelled: number; unlabelled: number } {
  const rows = datasetRows(ROW_COUNT).map((row, index) => ({
    ...row,
    category: index % 3 === 1 ? "" : row.category,
  }));
  assert.equal(rows.length, ROW_COUNT, `expected ${ROW_COUNT} rows in ${DATASET_DIR}/tableB.csv`);
  fs.writeFileSync(file, toCsv(rows as unknown as Record<string, string>[]));
  const labelled = rows.filter((row) => row.category.trim() !== "").length;
  return { labelled, unlabelled: rows.length - labelled };
}

let sample: { labelled: number; unlabelled: number };

before(async () => {
  app = await startApp();
  csvPath = path.join(app.tempDir, "amazon_products.csv");
  sample = writeSampleCsv(csvPath);
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}, { timeout: 180_000 });

after(async () => {
  await db?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await app?.stop();
});

test("a reviewer uploads a CSV and approves and corrects cards with the keyboard", {
  timeout: 300_000,
}, async () => {
  assert.ok(browser && app);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const pageErrors = collectPageErrors(page);
  const cursorRequests: string[] = [];
  page.on("request", (request) => {
    if (request.url().includes("/products-for-review") && request.url().includes("cursor=")) {
      cursorRequests.push(request.url());
    }
  });
  const decided: { id: number; value: string }[] = [];

  // No default account: make the first ops account through the setup link in the log, and log in.
  const baseUrl = app.baseUrl;
  await createOpsAndLogin(page, baseUrl, app.output());
  // What is tested is the keyboard flow: a retrain by itself meanwhile (auto_retrain_test.ts covers that)
  // would only compete with it for the two cores and re-rank the queue under the reviewer.
  await page.goto(`${baseUrl}/`);
  const policy = await page.evaluate(async () => {
    const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
    const response = await fetch("/settings/auto-retrain", {
      method: "PUT",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ enabled: false, every_labels: 50, every_minutes: 5, auto_activate: false }),
    });
    return response.status;
  });
  assert.equal(policy, 200);

  // Import: choose the file, check the preview, pick the label column, upload, wait for the embedding.
  await page.goto(`${baseUrl}/`);
  await page.locator('[data-island="UploadForm"][data-hydrated="true"]').waitFor();
  await page.locator("#csv-file").setInputFiles(csvPath);
  const labelSelect = page.locator("#label-column");
  await labelSelect.waitFor();
  const offered = await labelSelect.locator("option").evaluateAll((options) =>
    options.map((option) => (option as HTMLOptionElement).value)
  );
  assert.deepEqual(offered, ["", "id", "title", "category", "brand", "modelno", "price"]);
  const textColumns = await page.locator('input[name="text_columns"]').evaluateAll((boxes) =>
    boxes.map((box) => (box as HTMLInputElement).value)
  );
  assert.deepEqual(textColumns, ["id", "title", "category", "brand", "modelno", "price"]);
  await labelSelect.selectOption("category");
  assert.equal(await page.locator('input[name="text_columns"][value="title"]').isChecked(), true);
  await page.locator("[data-testid=upload-button]").click();
  const status = page.locator("[data-testid=upload-status]");
  await status.filter({ hasText: "Done" }).waitFor({ timeout: 120_000 });
  assert.match(await status.innerText(), new RegExp(`Done: ${ROW_COUNT} rows embedded`));

  // Review: approve the first card with A, then correct the next one with C, typing, Enter.
  await page.goto(`${baseUrl}/review`);
  const card = page.locator("[data-testid=review-card]");
  await card.waitFor();
  await settle(page);
  assert.match(
    await page.locator("[data-testid=queue-position]").innerText(),
    new RegExp(`${sample.unlabelled} waiting`),
  );
  for (let step = 0; (await card.locator("[data-testid=card-suggestion]").innerText()) === "—"; step++) {
    assert.ok(step < ROW_COUNT, "no card in the queue has a suggestion");
    const before = await card.getAttribute("data-product-id");
    await page.keyboard.press("j");
    await page.locator(`[data-testid=review-card]:not([data-product-id="${before}"])`).waitFor();
    await settle(page);
  }
  const approvedId = Number(await card.getAttribute("data-product-id"));
  const approvedValue = (await card.locator("[data-testid=card-suggestion]").innerText()).trim();
  assert.notEqual(approvedValue, "");

  await page.keyboard.press("a");
  await page.locator(`[data-testid=review-card]:not([data-product-id="${approvedId}"])`).waitFor();
  await page.locator("ol li button", { hasText: `✓ ${approvedValue}` }).waitFor();
  await settle(page);

  const correctedId = Number(await card.getAttribute("data-product-id"));
  await page.keyboard.press("c");
  const correction = card.locator("[data-testid=correction]");
  assert.equal(await correction.evaluate((input) => input === document.activeElement), true);
  await page.keyboard.type(CORRECTION);
  await page.keyboard.press("Enter");
  await page.locator("ol li button", { hasText: `✓ ${CORRECTION}` }).waitFor();
  await page.locator('[data-testid=save-status][data-saving="0"]').waitFor();
  await settle(page);

  // The next page was fetched by cursor in the background as soon as the first one was shown.
  assert.ok(cursorRequests.length >= 1, "the next page is prefetched");
  assert.ok(cursorRequests.every((url) => new URL(url).searchParams.get("limit") === "20"));

  // A decision shows the next card at once, before the server has answered.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route("**/submit-feedback", async (route) => {
    await held;
    await route.continue();
  });
  for (let step = 0; (await card.locator("[data-testid=card-suggestion]").innerText()) === "—"; step++) {
    assert.ok(step < ROW_COUNT, "no card left with a suggestion");
    const before = await card.getAttribute("data-product-id");
    await page.keyboard.press("j");
    await page.locator(`[data-testid=review-card]:not([data-product-id="${before}"])`).waitFor();
  }
  const slowId = await card.getAttribute("data-product-id");
  const slowValue = (await card.locator("[data-testid=card-suggestion]").innerText()).trim();
  await page.keyboard.press("a");
  await page.locator(`[data-testid=review-card]:not([data-product-id="${slowId}"])`).waitFor({
    timeout: 2_000,
  });
  assert.match(await page.locator("[data-testid=save-status]").innerText(), /Saving 1 decision/);
  release();
  await page.locator('[data-testid=save-status][data-saving="0"]').waitFor();
  await page.unroute("**/submit-feedback");
  // Approving stores the value the card showed, even if an earlier decision re-scored the row since the
  // page loaded (the database check at the end holds it to that).
  const stored = /✓ (.*)$/.exec(await page.locator(`ol li[data-product-id="${slowId}"]`).innerText())![1];
  assert.equal(stored, slowValue);
  decided.push({ id: Number(slowId), value: slowValue });

  // S: the rows most similar to this card, nearest first; X clears the filter.
  const similarTo = await card.getAttribute("data-product-id");
  await page.keyboard.press("s");
  await page.locator("[data-testid=filter-similar]").waitFor();
  await card.locator("[data-testid=card-similarity]").waitFor();
  const similarities = (await page.locator("ol li button").allInnerTexts())
    .map((text) => Number(/(\d+)% alike/.exec(text)?.[1]));
  assert.ok(similarities.length > 1 && similarities.every((value) => value >= 0 && value <= 100));
  assert.deepEqual(similarities, [...similarities].sort((a, b) => b - a), "nearest first");
  assert.notEqual(await card.getAttribute("data-product-id"), similarTo, "not the row itself");
  await page.keyboard.press("x");
  await page.locator("[data-testid=filter-similar]").waitFor({ state: "detached" });

  // The confidence range and the search box, combined; Clear filters brings every row back.
  await page.locator("[data-testid=filter-min-confidence]").fill("0");
  await page.locator("[data-testid=filter-max-confidence]").fill("100");
  const word =
    ((await card.locator("[data-testid=card-text]").innerText()).match(/[A-Za-z]{4,}/) ?? ["a"])[0];
  await page.keyboard.press("Escape");
  await page.keyboard.press("/");
  assert.equal(
    await page.locator("[data-testid=filter-search]").evaluate((input) => input === document.activeElement),
    true,
  );
  await page.keyboard.type(word);
  await page.keyboard.press("Enter");
  await page.locator("[data-testid=clear-filters]").waitFor();
  await page.waitForFunction(
    (w) =>
      [...document.querySelectorAll("ol li button span:first-child")].every((span) =>
        span.textContent!.toLowerCase().includes(w.toLowerCase())
      ),
    word,
  );
  await page.locator("[data-testid=clear-filters]").click();
  await page.locator("[data-testid=clear-filters]").waitFor({ state: "detached" });
  // The button goes with the filters at once; the unfiltered page arrives a moment later.
  await page.locator("[data-testid=queue-position]", { hasText: ` ${sample.unlabelled - 3} waiting` })
    .waitFor();
  await settle(page);

  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  await context.close();
  assert.deepEqual(pageErrors, [], "the pages reported errors");

  // Stop the app as Ctrl-C would: it finishes, releases the data-dir lock, exits 0.
  const code = await app.stop({ keepFiles: true });
  assert.equal(code, 0, `the app did not stop cleanly on SIGINT (${code}):\n${app.output()}`);

  db = await openPgliteDatabase(app.dataDir);
  const feedback = await db.query<{
    product_id: number;
    approved: boolean;
    corrected_text: string | null;
    value: string;
  }>(sql`SELECT product_id, approved, corrected_text, value FROM feedback ORDER BY id`);
  assert.equal(feedback.length, 3, JSON.stringify(feedback));
  assert.deepEqual(feedback[2], {
    product_id: decided[0].id,
    approved: true,
    corrected_text: null,
    value: decided[0].value,
  });
  assert.deepEqual(feedback[0], {
    product_id: approvedId,
    approved: true,
    corrected_text: null,
    value: approvedValue,
  });
  assert.deepEqual(feedback[1], {
    product_id: correctedId,
    approved: false,
    corrected_text: CORRECTION,
    value: CORRECTION,
  });

  const labels = await db.query<{ product_id: number; value: string; source: string }>(sql`
    SELECT product_id, value, source FROM product_labels
    WHERE product_id = ANY(${[approvedId, correctedId, decided[0].id]}::int[]) ORDER BY product_id`);
  assert.deepEqual(
    labels,
    [
      { product_id: approvedId, value: approvedValue, source: "human" },
      { product_id: correctedId, value: CORRECTION, source: "human" },
      { product_id: decided[0].id, value: decided[0].value, source: "human" },
    ].sort((a, b) => a.product_id - b.product_id),
  );

  const [counts] = await db.query<{ products: number; embeddings: number; seeds: number }>(sql`
    SELECT (SELECT count(*)::int FROM products) AS products,
           (SELECT count(*)::int FROM embeddings) AS embeddings,
           (SELECT count(*)::int FROM product_labels WHERE source = 'seed') AS seeds`);
  assert.deepEqual(counts, { products: ROW_COUNT, embeddings: ROW_COUNT, seeds: sample.labelled });
  await db.close();
  db = undefined;
  app.removeFiles();
});
