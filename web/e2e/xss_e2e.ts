/**
 * Browser test: rows, column names and a file name carrying script, image-onerror, svg-onload and
 * javascript: payloads are uploaded through the import page, then shown on the imports, review, audit
 * and accounts pages. Nothing may execute: no dialog opens, no payload's marker global is set, no
 * element with an inline handler or javascript: link appears. And the CSP is in force: an inline script
 * injected at run time is blocked and reported.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { type AppProcess, CHROMIUM_ARGS, startApp } from "./app_process.ts";
import { createOpsAndLogin } from "./login.ts";

/** Each payload would set globalThis.__xss (or open a dialog) if it ever ran. */
const PAYLOADS = [
  "<script>globalThis.__xss='script'</script>",
  "<img src=x onerror=\"globalThis.__xss='img'\">",
  '"><svg onload="globalThis.__xss=\'svg\'">',
  "javascript:globalThis.__xss='js'",
  "<a href=\"javascript:alert('a')\">click me</a>",
  "</script><script>alert('breakout')</script>",
  "'};alert('props');{'",
  "<iframe srcdoc=\"<script>parent.__xss='iframe'</script>\"></iframe>",
  "<style>body{display:none}</style>",
];
const HEADER_PAYLOAD = "<img src=x onerror=\"globalThis.__xss='header'\">";
const FILE_NAME = "\"><img src=x onerror=alert('file')>.csv";

function csvCell(value: string): string {
  return `"${value.replace(/"/g, '""')}"`;
}

/** Real-looking products with a payload in every text cell; a few labelled so suggestions exist. */
function payloadCsv(): string {
  const header = ["title", "brand", HEADER_PAYLOAD, "category"].map(csvCell).join(",");
  const lines = PAYLOADS.flatMap((payload, index) => [
    [`cordless drill ${payload}`, payload, payload, index % 2 === 0 ? "power tools" : ""],
    [`claw hammer ${payload}`, "acme", payload, index % 2 === 0 ? payload : ""],
  ]);
  return [header, ...lines.map((cells) => cells.map(csvCell).join(","))].join("\n") + "\n";
}

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

/** Fails when anything a payload could have done is visible in the page. */
async function assertNothingRan(page: Page, where: string): Promise<void> {
  const state = await page.evaluate(() => ({
    marker: (globalThis as { __xss?: string }).__xss ?? null,
    scripts: [...document.scripts].map((script) => script.src || "inline"),
    handlers: document.querySelectorAll("[onerror],[onload],[onclick],[onmouseover],[srcdoc]").length,
    javascriptLinks: document.querySelectorAll('[href^="javascript:" i],[src^="javascript:" i]').length,
    iframes: document.querySelectorAll("iframe").length,
    styles: document.querySelectorAll("style").length,
  }));
  assert.deepEqual(state, {
    marker: null,
    scripts: [state.scripts.find((src) => src.endsWith("/static/build/islands.js"))],
    handlers: 0,
    javascriptLinks: 0,
    iframes: 0,
    styles: 0,
  }, where);
}

test("CSV payloads are shown as text on every page and never execute, under an active CSP", {
  timeout: 300_000,
}, async () => {
  assert.ok(app && browser);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const dialogs: string[] = [];
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(`console: ${message.text()}`);
  });

  await createOpsAndLogin(page, app.baseUrl, app.output());

  // Upload through the form: the browser-side preview renders the header and cells too.
  const csvPath = path.join(app.tempDir, "payloads.csv");
  fs.writeFileSync(csvPath, payloadCsv());
  const response = await page.goto(`${app.baseUrl}/`);
  const csp = response?.headers()["content-security-policy"] ?? "";
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  await page.locator('[data-island="UploadForm"][data-hydrated="true"]').waitFor();
  await page.locator("#csv-file").setInputFiles({
    name: FILE_NAME,
    mimeType: "text/csv",
    buffer: fs.readFileSync(csvPath),
  });
  await page.locator("#label-column").selectOption("category");
  await assertNothingRan(page, "upload preview");
  await page.locator("[data-testid=upload-button]").click();
  await page.locator("[data-testid=upload-status]").filter({ hasText: "Done" }).waitFor({ timeout: 120_000 });
  await assertNothingRan(page, "imports page after the upload");

  // The imports page as the server renders it: the file name is in the SSR HTML and the island props.
  await page.goto(`${app.baseUrl}/`);
  await page.locator('[data-island="ImportList"][data-hydrated="true"]').waitFor();
  assert.ok((await page.locator("body").innerText()).includes(FILE_NAME), "the file name is shown as text");
  await assertNothingRan(page, "imports page");

  // The review page: the card shows every column (names and values) and the queue lists the texts.
  await page.goto(`${app.baseUrl}/review`);
  const card = page.locator("[data-testid=review-card]");
  await card.waitFor();
  const cardText = await card.innerText();
  assert.ok(cardText.includes(HEADER_PAYLOAD), "the payload column name is shown as text");
  assert.ok(PAYLOADS.some((payload) => cardText.includes(payload)), "a payload is shown as text");
  // A correction carrying a payload becomes a label, shown in the list and as later suggestions.
  await page.keyboard.press("c");
  await page.keyboard.type(PAYLOADS[1]);
  await page.keyboard.press("Enter");
  await page.locator("ol li button", { hasText: `✓ ${PAYLOADS[1]}` }).waitFor();
  await assertNothingRan(page, "review page");
  for (let step = 0; step < 5; step++) {
    await page.keyboard.press("j");
    await assertNothingRan(page, `review page, card ${step + 2}`);
  }
  // Decisions save in the background and the page asks before leaving with one unsaved.
  await page.locator('[data-testid=save-status][data-saving="0"]').waitFor();

  // The audit trail (file name and results in the details) and the accounts page.
  await page.goto(`${app.baseUrl}/audit`);
  assert.ok((await page.locator("[data-testid=audit-entries]").innerText()).includes("onerror"));
  await assertNothingRan(page, "audit page");
  await page.goto(`${app.baseUrl}/admin`);
  await page.locator('[data-testid=create-token] input[name="name"]').fill(PAYLOADS[0]);
  await page.locator("[data-testid=create-token] button").click();
  await page.locator("[data-testid=new-token]").waitFor();
  await assertNothingRan(page, "accounts page");

  assert.deepEqual(dialogs, [], "a payload opened a dialog");
  assert.deepEqual(pageErrors, [], "the pages reported errors (a CSP violation would be one)");

  // The CSP is live: an inline script added at run time is refused and reported.
  const probe = await page.evaluate(() =>
    new Promise<{ ran: boolean; violation: string | null }>((resolve) => {
      let violation: string | null = null;
      document.addEventListener("securitypolicyviolation", (event) => (violation = event.violatedDirective));
      const script = document.createElement("script");
      script.textContent = "globalThis.__inline = true";
      document.body.append(script);
      setTimeout(
        () => resolve({ ran: (globalThis as { __inline?: boolean }).__inline === true, violation }),
        200,
      );
    })
  );
  assert.equal(probe.ran, false, "an inline script ran: the CSP is not in force");
  assert.match(probe.violation ?? "", /^script-src/);
  await context.close();
});
