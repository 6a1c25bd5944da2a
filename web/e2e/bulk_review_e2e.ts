/**
 * Browser end-to-end test of bulk decisions: the app as production runs it (Deno, embedded PGlite, worker
 * in process), a CSV of real products in which one product comes from six suppliers with small title
 * variations, the review card's group of similar rows opened with G, one row left out, the preview count
 * read, the group approved with A; then the app is stopped and the data dir reopened to check that every
 * row of the group has its own feedback row and audit entry, and the row left out has neither.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium } from "playwright-core";
import type { Database } from "../../core/db/database.ts";
import { openPgliteDatabase } from "../../core/db/database_pglite.ts";
import { sql } from "../../core/db/sql.ts";
import { datasetRows, REPO_ROOT, toCsv } from "../../testing/testing.ts";
import { type AppProcess, CHROMIUM_ARGS, collectPageErrors, settle, startApp } from "./app_process.ts";
import { createOpsAndLogin, E2E_OPS } from "./login.ts";

const SCREENSHOT = path.join(REPO_ROOT, "test-results/bulk_review.png");

let app: AppProcess | undefined;
let browser: Browser | undefined;
let db: Database | undefined;
let csvPath: string;

const pool = datasetRows(400);
const product = pool.slice(60).find((row) => row.category === "mice" && row.title.length > 30)!;
const variations = [
  (title: string) => title,
  (title: string) => `${title} - refurbished`,
  (title: string) => `new ${title} bundle`,
  (title: string) => `${title} (2 pack)`,
  (title: string) => `${title} black`,
  (title: string) => `${title.toUpperCase()} retail box`,
];
const cluster = variations.map((vary, index) => ({
  ...product,
  id: `supplier-${index}`,
  title: vary(product.title),
  category: "",
}));
/** Labelled products (the first 60 with a category), a few unlabelled others, and the cluster. */
const rows = [
  ...pool.slice(0, 60).filter((row) => row.category.trim() !== ""),
  ...pool.slice(60).filter((row) => row.category.trim() === "").slice(0, 8),
  ...cluster,
];

before(async () => {
  app = await startApp();
  csvPath = path.join(app.tempDir, "suppliers.csv");
  fs.writeFileSync(csvPath, toCsv(rows as unknown as Record<string, string>[]));
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}, { timeout: 180_000 });

after(async () => {
  await db?.close().catch(() => {});
  await browser?.close().catch(() => {});
  await app?.stop();
});

test("a reviewer opens a card's similar rows with G, leaves one out and approves the group with A", {
  timeout: 300_000,
}, async () => {
  assert.ok(browser && app);
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const pageErrors = collectPageErrors(page);
  const baseUrl = app.baseUrl;
  await createOpsAndLogin(page, baseUrl, app.output());

  await page.goto(`${baseUrl}/`);
  await page.locator('[data-island="UploadForm"][data-hydrated="true"]').waitFor();
  await page.locator("#csv-file").setInputFiles(csvPath);
  await page.locator("#label-column").selectOption("category");
  await page.locator("[data-testid=upload-button]").click();
  const status = page.locator("[data-testid=upload-status]");
  await status.filter({ hasText: "Done" }).waitFor({ timeout: 120_000 });

  // Find a card of the cluster: the queue spreads near-duplicates apart, so at most one is on screen.
  await page.goto(`${baseUrl}/review`);
  const card = page.locator("[data-testid=review-card]");
  await card.waitFor();
  await settle(page);
  const isClusterCard = async () =>
    (await card.locator("[data-testid=card-text]").innerText()).toLowerCase().includes(
      product.title.toLowerCase(),
    ) &&
    (await card.locator("[data-testid=card-suggestion]").innerText()) !== "—";
  for (let step = 0; !(await isClusterCard()); step++) {
    assert.ok(step < rows.length, "no card of the cluster has a suggestion");
    const before = await card.getAttribute("data-product-id");
    await page.keyboard.press("j");
    await page.locator(`[data-testid=review-card]:not([data-product-id="${before}"])`).waitFor();
    await settle(page);
  }
  const anchorId = Number(await card.getAttribute("data-product-id"));
  const suggestion = (await card.locator("[data-testid=card-suggestion]").innerText()).trim();

  // G opens the group; every row starts included, and the preview counts them all.
  await page.keyboard.press("g");
  const group = page.locator("[data-testid=similar-group]");
  await group.waitFor();
  await group.locator("[data-testid=similar-row]").first().waitFor();
  const checks = group.locator("[data-testid=similar-row-check]");
  const listed = await checks.evaluateAll((boxes) =>
    boxes.map((box) => Number(box.getAttribute("data-product-id")))
  );
  assert.equal(listed[0], anchorId, "the card itself heads its group");
  assert.ok(listed.length >= 3, `the group lists at least two similar rows: ${listed}`);
  const preview = group.locator("[data-testid=group-preview]");
  await group.locator(`[data-testid=group-preview][data-count="${listed.length}"]`).waitFor();
  const similarities = await group.locator("[data-testid=similar-row-similarity]").allInnerTexts();
  const percents = similarities.slice(1).map((text) => Number.parseFloat(text));
  percents.forEach((value, index) => {
    assert.ok(value >= 80, `similarity ${value} is over the default threshold`);
    if (index > 0) assert.ok(percents[index - 1] >= value, "nearest first");
  });

  // Leave the last row out (click its checkbox); the preview follows.
  const leftOut = listed[listed.length - 1];
  await checks.last().click();
  await group.locator(`[data-testid=group-preview][data-count="${listed.length - 1}"]`).waitFor();
  const decidedIds = listed.slice(0, -1);
  assert.match(await preview.innerText(), new RegExp(`^${decidedIds.length} of ${decidedIds.length} rows`));
  assert.equal(
    (await group.locator("[data-testid=group-approve]").innerText()).replace(/\s+/g, " ").trim(),
    `Approve ${decidedIds.length} ${decidedIds.length === 1 ? "row" : "rows"} as “${suggestion}” A`,
  );
  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // A approves the group; the queue moves on and the card's group is gone.
  await page.keyboard.press("a");
  await page.locator(`[data-testid=review-card]:not([data-product-id="${anchorId}"])`).waitFor();
  await group.waitFor({ state: "detached" });
  await settle(page);
  await context.close();
  assert.deepEqual(pageErrors, [], "the pages reported errors");

  const code = await app.stop({ keepFiles: true });
  assert.equal(code, 0, `the app did not stop cleanly on SIGINT (${code}):\n${app.output()}`);
  db = await openPgliteDatabase(app.dataDir);
  const feedback = await db.query<
    { id: number; product_id: number; approved: boolean; value: string; reviewer: string }
  >(sql`
    SELECT id, product_id, approved, value, reviewer FROM feedback ORDER BY id`);
  assert.deepEqual(
    feedback.map((row) => [row.product_id, row.approved, row.value, row.reviewer]),
    decidedIds.map((id) => [id, true, suggestion, E2E_OPS.name]),
  );
  const audit = await db.query<{ actor: string; details: Record<string, unknown> }>(sql`
    SELECT actor, details FROM audit_log WHERE kind = 'feedback.bulk' ORDER BY id`);
  assert.deepEqual(
    audit.map((entry) => [entry.actor, entry.details.product_id, entry.details.feedback_id]),
    feedback.map((row) => [E2E_OPS.name, row.product_id, row.id]),
  );
  assert.equal(new Set(audit.map((entry) => entry.details.group_id)).size, 1, "one group id");
  assert.ok(audit.every((entry) => entry.details.group_size === decidedIds.length));
  const labels = await db.query<{ product_id: number }>(sql`
    SELECT product_id FROM product_labels WHERE product_id = ANY(${listed}::int[]) ORDER BY product_id`);
  assert.deepEqual(labels.map((row) => row.product_id), [...decidedIds].sort((a, b) => a - b));
  assert.ok(!decidedIds.includes(leftOut));
  await db.close();
  db = undefined;
  app.removeFiles();
});
