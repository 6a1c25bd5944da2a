/**
 * Browser test of the upload form's preview with supplier files (web/routes/testdata/files/): the
 * header row below a title is detected and can be changed, the encoding is shown, Excel's empty padding
 * columns are named as left out, no value keeps a stray CR; the upload then imports what the preview showed.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { type AppProcess, CHROMIUM_ARGS, collectPageErrors, startApp } from "./app_process.ts";
import { createOpsAndLogin } from "./login.ts";
import { auditThemes, axePage } from "./axe.ts";

let app: AppProcess | undefined;
let browser: Browser | undefined;
const corpus = (name: string) => fileURLToPath(new URL(`../routes/testdata/files/${name}`, import.meta.url));

before(async () => {
  app = await startApp();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}, { timeout: 180_000 });

after(async () => {
  await browser?.close().catch(() => {});
  await app?.stop();
});

test("the preview reads supplier files as the import does, and the header row can be chosen", {
  timeout: 300_000,
}, async () => {
  assert.ok(browser && app);
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.setDefaultTimeout(60_000);
  const pageErrors = collectPageErrors(page);
  await createOpsAndLogin(page, app.baseUrl, app.output());
  await page.goto(`${app.baseUrl}/`);
  await page.locator('[data-island="UploadForm"][data-hydrated="true"]').waitFor();
  const file = page.locator("#csv-file");
  const headerLine = page.locator("[data-testid=preview-header-line]");
  // The imports list below is a table too: only the form's preview table counts.
  const preview = page.locator("[data-testid=upload-form] table");
  const columns = () => preview.locator("thead th").allTextContents();
  const cells = () => preview.locator("tbody tr").first().locator("td").allTextContents();

  // A title and a blank line above the header: line 3 is detected; choosing line 1 changes the preview.
  await file.setInputFiles(corpus("price_list.csv"));
  await preview.locator("thead th", { hasText: "sku" }).waitFor();
  assert.equal(await headerLine.inputValue(), "3");
  assert.deepEqual(await columns(), ["sku", "title", "brand", "price"]);
  assert.deepEqual(await cells(), ["1", "Kettle 1.7 l", "Acme", "19.99"]);
  await headerLine.selectOption("1");
  await preview.locator("thead th", { hasText: "Price list Acme" }).waitFor();
  await headerLine.selectOption("3");
  await preview.locator("thead th", { hasText: "sku" }).waitFor();

  // The upload reads the header the preview showed.
  await page.locator("[data-testid=upload-button]").click();
  const outcome = page.locator("[data-testid=upload-status], [data-testid=upload-error]");
  await outcome.first().waitFor();
  // Embedding 3 rows may finish before this reads it: "Imported 3 rows; …" or "Done: 3 rows embedded".
  assert.match(await outcome.first().innerText(), /Imported 3 rows|Done: 3 rows embedded/);

  // LF header, CRLF rows: no value keeps a CR.
  await file.setInputFiles(corpus("lf_header_crlf_rows.csv"));
  await preview.locator("thead th", { hasText: "sku" }).waitFor();
  assert.deepEqual(await cells(), ["1", "Acme", "Kettle 1.7 l"]);

  // Windows-1252 is detected and decoded; UTF-8 can be chosen instead.
  await file.setInputFiles(corpus("windows1252.csv"));
  const encoding = page.locator("[data-testid=preview-encoding]");
  await encoding.locator("option", { hasText: "Windows-1252 (detected: not valid UTF-8)" }).waitFor({
    state: "attached",
  });
  await preview.locator("tbody td", { hasText: "Baker’s “Deluxe” kettle" }).waitFor();
  await encoding.selectOption("utf-8");
  await preview.locator("tbody td", { hasText: "Baker\uFFFDs" }).waitFor();

  // Excel's padding: named as left out, not shown as columns.
  await file.setInputFiles(corpus("excel_padding.csv"));
  await page.locator("[data-testid=preview-dropped]", { hasText: "column_4, column_5, column_6" }).waitFor();
  assert.deepEqual(await columns(), ["name", "maker", "group"]);

  // An Excel workbook: its first sheet below the title, cells as Excel shows them; another sheet can be
  // chosen, and the upload reads the sheet the preview showed.
  await file.setInputFiles(corpus("supplier_products.xlsx"));
  const sheet = page.locator("[data-testid=preview-sheet]");
  await sheet.waitFor();
  await preview.locator("thead th", { hasText: "ean" }).waitFor();
  assert.equal(await sheet.inputValue(), "Week 12");
  assert.equal(await headerLine.inputValue(), "3");
  assert.deepEqual(await columns(), ["sku", "ean", "title", "price", "listed"]);
  assert.deepEqual(await cells(), [
    "1001",
    "4006381333931",
    "Cafe\u0301 cre\u0300me frother",
    "24.90",
    "2024-03-01",
  ]);
  await sheet.selectOption("Notes");
  await preview.locator("thead th", { hasText: "note" }).waitFor();
  assert.deepEqual(await cells(), ["Prices without VAT"]);
  // The form with a preview open (header line, encoding, left-out columns) passes axe.
  const checked = await axePage(browser, page.context());
  const violations = await auditThemes(checked, `${app.baseUrl}/`, async (form) => {
    await form.locator('[data-island="UploadForm"][data-hydrated="true"]').waitFor();
    await form.locator("#csv-file").setInputFiles(corpus("excel_padding.csv"));
    await form.locator("[data-testid=preview-dropped]").waitFor();
  });
  await checked.context().close();
  assert.deepEqual(violations, []);

  await page.locator("[data-testid=upload-button]").click();
  await outcome.first().waitFor();
  assert.match(await outcome.first().innerText(), /Imported 1 row|Done: 1 row/);
  assert.deepEqual(pageErrors, []);
});
