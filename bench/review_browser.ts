/**
 * `npm run bench:review-browser`: a reviewer at full speed in a real browser (Debian's Chromium, headless)
 * on the app as `npm start` runs it (embedded PGlite, the worker in process). Reports what a reviewer
 * feels: key to next card painted (ms: from the keydown event's timestamp to the first frame after the
 * card's product id changed), decisions per minute, and how long after the last key every decision was
 * saved.
 *
 * Baseline in the same run and page: key to the next frame with nothing to do (the browser's own frame
 * latency for a key press); the card's figure is printed as a ratio of it.
 *
 * Data: --rows real Walmart-Amazon products (default 300), two in three without a label, so the queue
 * holds ~200 cards with suggestions. The reviewer approves --decisions cards (default 100) with `A`,
 * pressing the next key as soon as the next card is painted.
 */
import { parseArgs } from "node:util";
import { chromium } from "playwright-core";
import { datasetRows, toCsv } from "../testing/testing.ts";
import { CHROMIUM_ARGS, settle, startApp, waitForImport } from "../web/e2e/app_process.ts";
import { createOpsAndLogin } from "../web/e2e/login.ts";
import { percentile } from "./percentile.ts";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "300" },
    decisions: { type: "string", default: "100" },
  },
});
const ROWS = Number(values.rows);
const DECISIONS = Number(values.decisions);

const app = await startApp();
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
try {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(60_000);
  await createOpsAndLogin(page, app.baseUrl, app.output());
  const rows = datasetRows(ROWS).map((row, index) => ({
    ...row,
    category: index % 3 === 0 ? row.category : "",
  }));
  const importId = await page.evaluate(async (csv) => {
    const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
    // No retrain while measuring: a new version would re-rank the queue under the reviewer.
    await fetch("/settings/auto-retrain", {
      method: "PUT",
      headers: { "x-csrf-token": csrf, "content-type": "application/json" },
      body: JSON.stringify({ enabled: false, every_labels: 50, every_minutes: 5, auto_activate: false }),
    });
    const response = await fetch("/upload-csv?label_column=category&file_name=bench.csv", {
      method: "POST",
      headers: { "x-csrf-token": csrf, "content-type": "text/csv" },
      body: csv,
    });
    return (await response.json()).import_id as number;
  }, toCsv(rows));
  console.error(`embedding ${rows.length} rows…`);
  await waitForImport(page, importId, { suggested: true, timeoutMs: 600_000 });
  await page.goto(`${app.baseUrl}/review?import_id=${importId}`);
  await page.locator("[data-testid=review-card]").waitFor();
  await settle(page);

  // The page records, per key press, the keydown timestamp and the first frame after the card changed.
  await page.evaluate(() => {
    const state = { keyAt: 0, painted: [] as number[], frames: [] as number[], baseline: false };
    (globalThis as unknown as { benchState: typeof state }).benchState = state;
    document.addEventListener("keydown", (event) => {
      state.keyAt = event.timeStamp;
      if (state.baseline) {
        requestAnimationFrame(() => requestAnimationFrame((at) => state.frames.push(at - state.keyAt)));
      }
    }, { capture: true });
    const observer = new MutationObserver(() => {
      const keyAt = state.keyAt;
      if (!keyAt) return;
      state.keyAt = 0;
      // The frame that shows the change: its callback runs before paint, the next one's after it.
      requestAnimationFrame(() => requestAnimationFrame((at) => state.painted.push(at - keyAt)));
    });
    observer.observe(document.querySelector("[data-testid=review-card]")!.parentElement!, {
      subtree: true,
      attributes: true,
      attributeFilter: ["data-product-id"],
    });
  });
  const card = page.locator("[data-testid=review-card]");
  const started = Date.now();
  let decided = 0;
  for (; decided < DECISIONS; decided++) {
    const before = await card.getAttribute("data-product-id");
    await page.keyboard.press("a");
    await page.locator(`[data-testid=review-card]:not([data-product-id="${before}"])`).waitFor();
  }
  const lastKey = Date.now();
  await page.locator('[data-testid=save-status][data-saving="0"][data-unsaved="0"]').waitFor({
    timeout: 300_000,
  });
  const allSaved = Date.now();

  // Baseline: the same key press on a page where it changes nothing (Shift: no shortcut).
  await page.evaluate(() => {
    (globalThis as unknown as { benchState: { baseline: boolean } }).benchState.baseline = true;
  });
  for (let i = 0; i < 50; i++) {
    await page.keyboard.press("Shift");
    await page.waitForTimeout(20);
  }
  const { painted, frames } = await page.evaluate(() =>
    (globalThis as unknown as { benchState: { painted: number[]; frames: number[] } }).benchState
  );
  const cards = [...painted].sort((a, b) => a - b);
  const idle = [...frames].sort((a, b) => a - b);
  const minutes = (lastKey - started) / 60_000;
  console.log(
    `bench:review-browser: ${decided} approvals with A, ${ROWS} products, Chromium headless, PGlite`,
  );
  console.log("measure                         p50 ms   p95 ms   max ms");
  const line = (name: string, sorted: number[]) =>
    console.log(
      `${name.padEnd(30)} ${percentile(sorted, 50).toFixed(1).padStart(7)} ${
        percentile(sorted, 95).toFixed(1).padStart(8)
      } ${(sorted.at(-1) ?? NaN).toFixed(1).padStart(8)}`,
    );
  line("key to next card painted", cards);
  line("key to next frame (baseline)", idle);
  console.log(
    `key to next card / baseline (p50): ${(percentile(cards, 50) / percentile(idle, 50)).toFixed(2)}×; ` +
      `${(decided / minutes).toFixed(0)} decisions per minute; every decision saved ` +
      `${((allSaved - lastKey) / 1000).toFixed(2)} s after the last key`,
  );
} finally {
  await browser.close();
  await app.stop();
}
