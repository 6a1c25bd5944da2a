/**
 * Browser test of two fields on one file: the app as production runs it (Deno, embedded PGlite, the real
 * model, worker in process). An ops user adds the catalogue field `product` on the fields page and uploads
 * its reference list, uploads a CSV of offers whose `category` is given for some rows, reviews the
 * `product` queue with the keyboard alone (the suggestion with 1, an alternative with 2, a new entry with
 * N, typing and Enter; a name abandoned with Esc is forgotten, and Enter on an empty box creates nothing),
 * finds that /review/category leads to the category queue and an unknown field's page says it does not
 * exist, reviews a row of the category queue, then exports the import: the file has the
 * category value column and the `product` columns with the names decided. Both pages pass axe. Then U
 * and Ctrl+Z undo the last decision (the card comes back, the export shows no decision), and a card that
 * another reviewer decided meanwhile shows the conflict (it passes axe too): Replace with mine stores the
 * reviewer's entry. Then a second file whose seed column for `product` is chosen in the upload preview:
 * its rows arrive decided. Last, the field's entries page: searched by a word, an entry added by mistake
 * retired (one rows are decided to is refused, the reason shown); it passes axe.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import Papa from "papaparse";
import { type Browser, chromium, type Page } from "playwright-core";
import type { ImportProgress } from "../../contract/schemas.ts";
import { REPO_ROOT, toCsv } from "../../testing/testing.ts";
import { pageApi } from "./page_api.ts";
import { type AppProcess, CHROMIUM_ARGS, collectPageErrors, settle, startApp } from "./app_process.ts";
import { auditThemes, axePage } from "./axe.ts";
import { createOpsAndLogin, loginAs } from "./login.ts";

const FIELD = "product";
const NEW_ENTRY = "Sony WH-1000XM4 Renewed Bundle";
const SCREENSHOT = path.join(REPO_ROOT, "test-results/catalogue-review.png");
/** A second reviewer, who decides cards through the API while they are on the first one's screen. */
const OTHER = { name: "e2e-reviewer", password: "e2e-reviewer-password-1" };

/** The canonical products: the reference list of the `product` field. */
const CANONICAL = [
  "Apple iPhone 13 128GB Blue",
  "Samsung Galaxy S21 Ultra 256GB",
  "Sony WH-1000XM4 Wireless Headphones",
  "Logitech MX Master 3 Wireless Mouse",
  "Dell UltraSharp U2720Q 27 inch 4K Monitor",
  "Canon EOS Rebel T7 DSLR Camera",
  "Bose SoundLink Revolve Bluetooth Speaker",
  "Kindle Paperwhite 8GB E-reader",
  "Nintendo Switch OLED Console",
  "Dyson V11 Cordless Vacuum",
];

/** The brand of a canonical product: an attribute of its entry, shown under each choice. */
function brandOf(name: string): string {
  return name.split(" ")[0];
}

/** A later delivery with the canonical name in a column of its own (empty where the supplier left it out). */
const SEEDED = [
  { title: "Apple iPhone 13 smartphone 128 GB in blue", model: "apple iphone 13 128GB BLUE" },
  { title: "Nintendo Switch OLED handheld console, white", model: "Nintendo Switch OLED Console" },
  { title: "Travel adapter for European sockets", model: "" },
];

/** Suppliers' offers of those products; `category` given for some rows, blank (to review) for the rest. */
const OFFERS = [
  { title: "iPhone 13 by Apple, 128 GB, blue, unlocked", category: "phones" },
  { title: "Apple iPhone 13 (128GB) blue smartphone", category: "" },
  { title: "Samsung Galaxy S21 Ultra 5G 256 GB phantom black", category: "phones" },
  { title: "Sony WH1000XM4 noise cancelling wireless headphones", category: "audio" },
  { title: "Sony WH-1000XM4 over-ear bluetooth headset, silver", category: "" },
  { title: "Logitech MX Master 3 advanced wireless mouse graphite", category: "computer accessories" },
  { title: "Logitech wireless mouse MX Master 3 for Mac", category: "" },
  { title: "Dell U2720Q UltraSharp 27 inch 4K USB-C monitor", category: "computer accessories" },
  { title: "Canon EOS Rebel T7 DSLR camera with 18-55mm lens", category: "cameras" },
  { title: "Bose SoundLink Revolve portable bluetooth speaker", category: "audio" },
  { title: "Bose Revolve SoundLink speaker, triple black", category: "" },
  { title: "Kindle Paperwhite e-reader 8 GB waterproof", category: "" },
  { title: "Nintendo Switch OLED model white joy-con console", category: "video games" },
  { title: "Dyson V11 Torque Drive cordless stick vacuum cleaner", category: "" },
];

let app: AppProcess;
let browser: Browser;
let page: Page;

/** Calls the API as the signed-in page (pageApi). */
function api<T>(method: string, url: string, body?: { type: string; text: string }): Promise<T> {
  return pageApi<T>(page, method, url, body);
}

/** The offer whose title the card's text holds. */
function offerOf(cardText: string): string {
  const offer = OFFERS.find((row) => cardText.includes(row.title));
  assert.ok(offer, `no offer in the card "${cardText}"`);
  return offer.title;
}

before(async () => {
  app = await startApp();
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  page = await browser.newPage({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(30_000);
  await createOpsAndLogin(page, app.baseUrl, app.output());
  // Suggestions stay those of the import: no version trains and activates itself mid-test.
  await api("PUT", "/settings/auto-retrain", {
    type: "application/json",
    text: JSON.stringify({ enabled: false, every_labels: 50, every_minutes: 5, auto_activate: false }),
  });
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await app?.stop();
});

test("two fields on one upload: review both with the keyboard, the export shows both", {
  timeout: 420_000,
}, async () => {
  const pageErrors = collectPageErrors(page);
  const base = app.baseUrl;

  // The fields page: add the catalogue field (no seed column), then upload its reference list.
  await page.goto(`${base}/fields`);
  await page.locator('[data-island="FieldsPanel"][data-hydrated="true"]').waitFor();
  await page.locator("[data-testid=field-category]").waitFor();
  await page.locator("[data-testid=field-name]").fill(FIELD);
  await page.locator("[data-testid=field-add]").click();
  const row = page.locator(`[data-testid=field-${FIELD}]`);
  await row.waitFor();
  assert.equal((await row.locator("[data-testid=field-entries]").innerText()).trim(), "0");

  const listPath = path.join(app.tempDir, "products.csv");
  fs.writeFileSync(listPath, toCsv(CANONICAL.map((name) => ({ name, brand: brandOf(name) }))));
  await row.locator("[data-testid=entries-file]").setInputFiles(listPath);
  await row.locator("[data-testid=entries-upload]").click();
  await row.locator("[data-testid=entries-done]").filter({ hasText: `Added ${CANONICAL.length} of` })
    .waitFor();
  await row.locator("[data-testid=field-entries]").filter({ hasText: new RegExp(`^${CANONICAL.length}`) })
    .waitFor();

  // The offers, through the import page: `category` is the label column (its values seed labels).
  const csvPath = path.join(app.tempDir, "offers.csv");
  fs.writeFileSync(csvPath, toCsv(OFFERS));
  await page.goto(`${base}/`);
  await page.locator('[data-island="UploadForm"][data-hydrated="true"]').waitFor();
  await page.locator("#csv-file").setInputFiles(csvPath);
  await page.locator("#label-column").selectOption("category");
  await page.locator("[data-testid=upload-button]").click();
  await page.locator("[data-testid=upload-status]").filter({ hasText: "Done" }).waitFor({ timeout: 120_000 });
  const [created] = await api<ImportProgress[]>("GET", "/imports");
  assert.equal(created.row_count, OFFERS.length);

  // The product queue fills by itself once the worker has matched the rows.
  await page.goto(`${base}/review/${FIELD}`);
  await page.locator('[data-island="CatalogueReview"][data-hydrated="true"]').waitFor();
  const card = page.locator("[data-testid=catalogue-card]");
  await card.waitFor({ timeout: 180_000 });
  await settle(page);
  assert.match(
    await page.locator("[data-testid=catalogue-position]").innerText(),
    new RegExp(`${OFFERS.length} waiting`),
  );

  // Accessibility of both pages, the queue with its card on screen (before any decision).
  const checked = await axePage(browser, page.context());
  try {
    const violations = [
      ...await auditThemes(checked, `${base}/fields`),
      ...await auditThemes(checked, `${base}/review/${FIELD}`, async (review) => {
        await review.locator("[data-testid=catalogue-card]").waitFor({ timeout: 30_000 });
        await review.keyboard.press("n");
        await review.locator("[data-testid=new-entry]").waitFor();
      }),
    ];
    assert.deepEqual(violations, [], violations.join("\n"));
  } finally {
    await checked.context().close();
  }

  const decided = new Map<string, string>();
  /** Waits for the card after `productId`'s. */
  const nextCard = (productId: string | null) =>
    page.locator(`[data-testid=catalogue-card]:not([data-product-id="${productId}"])`).waitFor();

  // 1: the suggestion.
  const firstId = await card.getAttribute("data-product-id");
  const firstOffer = offerOf(await card.locator("[data-testid=catalogue-card-text]").innerText());
  const suggestion =
    (await card.locator("[data-testid=choice-suggestion] [data-testid=choice-name]").innerText())
      .trim();
  assert.ok(CANONICAL.includes(suggestion), `"${suggestion}" is an entry`);
  // The entry's attributes (its reference-list row's other columns) under its name.
  assert.equal(
    (await card.locator("[data-testid=choice-suggestion] [data-testid=choice-attributes]").innerText())
      .trim(),
    `brand: ${brandOf(suggestion)}`,
  );
  assert.match(await card.locator("[data-testid=choice-suggestion] kbd").innerText(), /^1$/);
  await page.keyboard.press("1");
  await nextCard(firstId);
  decided.set(firstOffer, suggestion);
  await settle(page);

  // 2: the first alternative (S skips a card that has none).
  for (let step = 0; (await card.locator("[data-testid=choice-2]").count()) === 0; step++) {
    assert.ok(step < OFFERS.length, "no card with an alternative");
    const current = await card.getAttribute("data-product-id");
    await page.keyboard.press("s");
    await nextCard(current);
    await settle(page);
  }
  const secondId = await card.getAttribute("data-product-id");
  const secondOffer = offerOf(await card.locator("[data-testid=catalogue-card-text]").innerText());
  const alternative = (await card.locator("[data-testid=choice-2] [data-testid=choice-name]").innerText())
    .trim();
  assert.match(await card.locator("[data-testid=choice-2] kbd").innerText(), /^2$/);
  await page.keyboard.press("2");
  await nextCard(secondId);
  decided.set(secondOffer, alternative);
  await settle(page);

  // N, a name typed and abandoned with Esc: it is forgotten, so it can never be created by a later Enter.
  const thirdId = await card.getAttribute("data-product-id");
  const thirdOffer = offerOf(await card.locator("[data-testid=catalogue-card-text]").innerText());
  const input = card.locator("[data-testid=new-entry]");
  await page.keyboard.press("n");
  await input.waitFor();
  await page.keyboard.type("Abandoned Name");
  await page.keyboard.press("Escape");
  await input.waitFor({ state: "detached" });
  await page.keyboard.press("n");
  await input.waitFor();
  assert.equal(await input.inputValue(), "", "Esc forgot the typed name");
  // Enter on the empty box creates nothing: it says what is missing, on the same card, box still open.
  const posted: string[] = [];
  const onRequest = (request: { method(): string; url(): string }) => {
    if (request.method() === "POST" && request.url().includes("/decisions")) posted.push(request.url());
  };
  page.on("request", onRequest);
  await page.keyboard.press("Enter");
  const refusal = card.locator("[role=alert]");
  await refusal.filter({ hasText: "Type the name of the new entry first" }).waitFor();
  await settle(page);
  page.off("request", onRequest);
  assert.deepEqual(posted, [], "no decision sent");
  assert.equal(await card.getAttribute("data-product-id"), thirdId, "still the same card");
  assert.equal(await input.evaluate((element) => element === document.activeElement), true);
  // Esc closes the box and its refusal.
  await page.keyboard.press("Escape");
  await input.waitFor({ state: "detached" });
  assert.equal(await refusal.count(), 0);

  // N: none of these; the typed name becomes a new canonical entry with Enter.
  await page.keyboard.press("n");
  await input.waitFor();
  assert.equal(await input.evaluate((element) => element === document.activeElement), true);
  assert.equal(await input.inputValue(), "", "the N itself is not typed");
  await page.keyboard.type(NEW_ENTRY);
  await page.keyboard.press("Enter");
  await nextCard(thirdId);
  decided.set(thirdOffer, NEW_ENTRY);

  await page.locator('[data-testid=catalogue-save-status][data-saving="0"][data-failed="0"]').waitFor();
  await page.locator("[data-testid=catalogue-recent]").filter({ hasText: `${NEW_ENTRY} (new entry)` })
    .waitFor();
  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // A browser at /review/category is sent to the category queue; a field that does not exist gets a page
  // saying so (404), with a link to the fields, not the JSON error (which the browser logs, as expected).
  const errorsBefore = pageErrors.length;
  await page.goto(`${base}/review/category`);
  assert.equal(new URL(page.url()).pathname, "/review");
  const missing = await page.goto(`${base}/review/Bad%20Name`);
  assert.equal(missing?.status(), 404);
  assert.match(await page.locator("[data-testid=no-such-field]").innerText(), /Bad Name.*does not exist/s);
  assert.equal(await page.locator("[data-testid=fields-link]").getAttribute("href"), "/fields");
  const logged = pageErrors.splice(errorsBefore);
  pageErrors.push(...logged.filter((line) => !/status of 404 .*\/review\/Bad%20Name/.test(line)));

  // The category queue: approve one card with the keyboard (the first with a suggestion).
  await page.goto(`${base}/review?import_id=${created.id}`);
  const categoryCard = page.locator("[data-testid=review-card]");
  await categoryCard.waitFor({ timeout: 120_000 });
  await settle(page);
  for (
    let step = 0;
    (await categoryCard.locator("[data-testid=card-suggestion]").innerText()) === "—";
    step++
  ) {
    assert.ok(step < OFFERS.length, "no category card with a suggestion");
    const current = await categoryCard.getAttribute("data-product-id");
    await page.keyboard.press("j");
    await page.locator(`[data-testid=review-card]:not([data-product-id="${current}"])`).waitFor();
    await settle(page);
  }
  const categoryOffer = offerOf(await categoryCard.locator("[data-testid=card-text]").innerText());
  const categoryValue = (await categoryCard.locator("[data-testid=card-suggestion]").innerText()).trim();
  const categoryId = await categoryCard.getAttribute("data-product-id");
  await page.keyboard.press("a");
  await page.locator(`[data-testid=review-card]:not([data-product-id="${categoryId}"])`).or(
    page.locator("[data-testid=queue-empty]"),
  ).waitFor();
  await page.locator('[data-testid=save-status][data-saving="0"][data-unsaved="0"]').waitFor();

  // Export the import from the imports page and read the file back.
  await page.goto(base);
  const importRow = page.locator(`[data-testid=import-${created.id}]`);
  await importRow.locator("[data-testid=export-import]").click();
  const form = importRow.locator("[data-testid=export-import-form]");
  await form.waitFor();
  await settle(page);
  const downloading = page.waitForEvent("download");
  await form.locator("[data-testid=export-submit]").click();
  const download = await downloading;
  const parsed = Papa.parse<Record<string, string>>(fs.readFileSync(await download.path(), "utf8"), {
    header: true,
    skipEmptyLines: true,
  });
  const header = parsed.meta.fields ?? [];
  for (
    const column of ["title", "category", "normalised_value", FIELD, `${FIELD}_confidence`, `${FIELD}_source`]
  ) {
    assert.ok(header.includes(column), `the export has the column ${column}: ${header.join(", ")}`);
  }
  assert.equal(parsed.data.length, OFFERS.length);
  const byTitle = new Map(parsed.data.map((line) => [line.title, line]));
  for (const [title, name] of decided) {
    const line = byTitle.get(title);
    assert.ok(line, `the export has the row "${title}"`);
    assert.equal(line[FIELD], name, `"${title}"`);
    assert.equal(line[`${FIELD}_source`], "human", `"${title}"`);
  }
  // The category: seed labels where the file gave one, the reviewer's value on the row reviewed.
  for (const offer of OFFERS.filter((offer) => offer.category !== "")) {
    assert.equal(byTitle.get(offer.title)?.normalised_value, offer.category, offer.title);
  }
  assert.equal(byTitle.get(categoryOffer)?.normalised_value, categoryValue);
  assert.equal(byTitle.get(categoryOffer)?.normalised_value_source, "human");
  // Rows nobody decided carry the matcher's suggestion.
  assert.ok(parsed.data.some((line) => line[`${FIELD}_source`] === "suggested" && line[FIELD] !== ""));

  // The field's counts on the fields page: three decided by a reviewer, and the new entry.
  await page.goto(`${base}/fields`);
  await row.locator("[data-testid=field-decided]").filter({ hasText: /^3$/ }).waitFor();
  assert.match(
    await row.locator("[data-testid=field-entries]").innerText(),
    new RegExp(`^${CANONICAL.length + 1}`),
  );

  assert.deepEqual(pageErrors, [], "the pages reported errors");
});

/** The export of import `importId` as rows (read from `on`, signed in). */
async function exportRows(on: Page, importId: number): Promise<Record<string, string>[]> {
  const exported = await on.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, text: await response.text() };
  }, `/export?import_id=${importId}`);
  assert.equal(exported.status, 200, exported.text);
  return Papa.parse<Record<string, string>>(exported.text, { header: true, skipEmptyLines: true }).data;
}

test("U and Ctrl+Z undo the last decision; a card decided meanwhile is a conflict, replaced knowingly", {
  timeout: 300_000,
}, async () => {
  const pageErrors = collectPageErrors(page);
  const base = app.baseUrl;
  const [offers] = (await api<ImportProgress[]>("GET", "/imports")).filter((item) =>
    item.file_name === "offers.csv"
  );
  assert.ok(offers, "the offers were imported");

  // The second reviewer: an account made on the accounts page, signed in in a browser of its own.
  await page.goto(`${base}/admin`);
  const form = page.locator("[data-testid=create-user]");
  await form.locator('input[name="name"]').fill(OTHER.name);
  await form.locator('select[name="role"]').selectOption("reviewer");
  await form.locator('input[name="password"]').fill(OTHER.password);
  await form.locator("button[type=submit]").click();
  await page.locator(`[data-testid="user-${OTHER.name}"]`).waitFor();
  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  await loginAs(other, base, OTHER);
  /** Decides `productId` as the second reviewer, who saw the card undecided. */
  const decideElsewhere = async (productId: number, entry: string) => {
    const answer = await other.evaluate(async ({ productId, entry }) => {
      const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
      const response = await fetch("/fields/product/decisions", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": csrf },
        body: JSON.stringify({ product_id: productId, new_entry: entry, expected_decision_id: null }),
      });
      return { status: response.status, text: await response.text() };
    }, { productId, entry });
    assert.equal(answer.status, 201, answer.text);
  };

  try {
    await page.goto(`${base}/review/${FIELD}`);
    await page.locator('[data-island="CatalogueReview"][data-hydrated="true"]').waitFor();
    const card = page.locator("[data-testid=catalogue-card]");
    await card.waitFor({ timeout: 60_000 });
    await settle(page);
    assert.match(
      await page.locator("p", { hasText: "Keys:" }).innerText(),
      /U\s*\/\s*Ctrl\+Z undo the last decision/,
    );
    const allSaved = () =>
      page.locator('[data-testid=catalogue-save-status][data-saving="0"][data-failed="0"]').waitFor();
    const hint = page.locator("[data-testid=catalogue-hint]");

    // Decided with 1, saved, then U: the same card is back, and the row has no decision.
    const id = await card.getAttribute("data-product-id");
    const title = offerOf(await card.locator("[data-testid=catalogue-card-text]").innerText());
    const suggestion =
      (await card.locator("[data-testid=choice-suggestion] [data-testid=choice-name]").innerText()).trim();
    await page.keyboard.press("1");
    await page.locator(`[data-testid=catalogue-card]:not([data-product-id="${id}"])`).waitFor();
    // The card on screen when U is pressed: the undone card comes back before it, not instead of it.
    const next = await page.locator("[data-testid=catalogue-card]").getAttribute("data-product-id");
    await allSaved();
    assert.equal(
      (await exportRows(page, offers.id)).find((line) => line.title === title)?.[`${FIELD}_source`],
      "human",
    );
    await page.keyboard.press("u");
    await page.locator(`[data-testid=catalogue-card][data-product-id="${id}"]`).waitFor();
    await hint.filter({ hasText: /^Undone: / }).waitFor();
    assert.ok((await hint.innerText()).includes(`→ “${suggestion}”`), await hint.innerText());
    const undone = (await exportRows(page, offers.id)).find((line) => line.title === title);
    assert.ok(undone, `the export has the row "${title}"`);
    assert.notEqual(undone[`${FIELD}_source`], "human", "the undone decision is not in the export");
    // Nothing left to undo: said, not done.
    await page.keyboard.press("u");
    await hint.filter({ hasText: "Nothing to undo" }).waitFor();

    // Again with Ctrl+Z.
    await page.keyboard.press("1");
    await page.locator(`[data-testid=catalogue-card]:not([data-product-id="${id}"])`).waitFor();
    assert.equal(
      await page.locator("[data-testid=catalogue-card]").getAttribute("data-product-id"),
      next,
      "after the undone card is decided again, the card that was on screen follows",
    );
    await allSaved();
    await page.keyboard.press("Control+z");
    await page.locator(`[data-testid=catalogue-card][data-product-id="${id}"]`).waitFor();
    await hint.filter({ hasText: /^Undone: / }).waitFor();
    assert.notEqual(
      (await exportRows(page, offers.id)).find((line) => line.title === title)?.[`${FIELD}_source`],
      "human",
    );

    // U while the decision is still being saved: refused, and said; once it is saved, U undoes it.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route("**/fields/product/decisions", async (route) => {
      await held;
      await route.continue();
    });
    await page.keyboard.press("1");
    await page.locator(`[data-testid=catalogue-card]:not([data-product-id="${id}"])`).waitFor();
    await page.keyboard.press("u");
    await hint.filter({ hasText: "still being saved" }).waitFor();
    assert.equal(await page.locator(`[data-testid=catalogue-card][data-product-id="${id}"]`).count(), 0);
    release();
    await allSaved();
    await page.unroute("**/fields/product/decisions");
    await page.keyboard.press("u");
    await page.locator(`[data-testid=catalogue-card][data-product-id="${id}"]`).waitFor();
    await hint.filter({ hasText: /^Undone: / }).waitFor();

    // The other reviewer decides the card on screen; deciding it here is a conflict showing both values.
    const theirs = CANONICAL.find((name) => name !== suggestion)!;
    await decideElsewhere(Number(id), theirs);
    await page.keyboard.press("1");
    const conflict = page.locator(`[data-testid=catalogue-conflict][data-product-id="${id}"]`);
    await conflict.waitFor();
    const text = await conflict.innerText();
    assert.ok(text.includes(`${OTHER.name} decided this row meanwhile ("${theirs}")`), text);
    assert.ok(text.includes(`Yours: “${suggestion}”`), text);
    assert.equal(
      (await exportRows(page, offers.id)).find((line) => line.title === title)?.[FIELD],
      theirs,
      "nothing replaced yet",
    );
    await conflict.locator("[data-testid=replace-theirs]").click();
    await allSaved();
    assert.equal(await conflict.count(), 0);
    const replaced = (await exportRows(page, offers.id)).find((line) => line.title === title);
    assert.deepEqual([replaced?.[FIELD], replaced?.[`${FIELD}_source`]], [suggestion, "human"]);
    await page.locator("[data-testid=catalogue-recent]").filter({ hasText: `→ ${suggestion}` })
      .waitFor();

    // The conflict on screen passes axe (a card of its own in each theme).
    const checked = await axePage(browser, page.context());
    try {
      const violations = await auditThemes(checked, `${base}/review/${FIELD}`, async (review) => {
        const shown = review.locator("[data-testid=catalogue-card]");
        await shown.waitFor({ timeout: 30_000 });
        const productId = Number(await shown.getAttribute("data-product-id"));
        await decideElsewhere(productId, theirs);
        await review.keyboard.press("1");
        await review.locator(`[data-testid=catalogue-conflict][data-product-id="${productId}"]`).waitFor();
      });
      assert.deepEqual(violations, [], violations.join("\n"));
    } finally {
      await checked.context().close();
    }
  } finally {
    await otherContext.close();
  }
  // The conflicts' 409 answers are expected; nothing else may be reported.
  assert.deepEqual(
    pageErrors.filter((error) => !/status of 409/.test(error)),
    [],
    "the pages reported errors",
  );
});

test("a seed column chosen in the upload preview: the file's rows with a value arrive decided", {
  timeout: 240_000,
}, async () => {
  const pageErrors = collectPageErrors(page);
  const base = app.baseUrl;
  const csvPath = path.join(app.tempDir, "seeded.csv");
  fs.writeFileSync(csvPath, toCsv(SEEDED));
  /** Opens the upload form with the file previewed; returns the field's seed column select. */
  const preview = async (on: Page) => {
    await on.locator('[data-island="UploadForm"][data-hydrated="true"]').waitFor();
    await on.locator("#csv-file").setInputFiles(csvPath);
    const select = on.getByLabel(`${FIELD}: seed column`);
    await select.waitFor();
    return select;
  };

  // The form with the field's select passes axe.
  const checked = await axePage(browser, page.context());
  try {
    const violations = await auditThemes(checked, `${base}/`, async (form) => {
      await preview(form);
    });
    assert.deepEqual(violations, [], violations.join("\n"));
  } finally {
    await checked.context().close();
  }

  await page.goto(`${base}/`);
  const seed = await preview(page);
  // The field has no seed column of its own: none, until chosen.
  assert.equal(await seed.inputValue(), "");
  assert.equal(await page.locator("[data-testid=seed-column-category]").count(), 0, "only catalogue fields");
  await seed.selectOption("model");
  await page.locator("[data-testid=upload-button]").click();
  await page.locator("[data-testid=upload-status]").filter({ hasText: "Done" }).waitFor({ timeout: 120_000 });
  const seeded = (await api<ImportProgress[]>("GET", "/imports")).find((item) =>
    item.file_name === "seeded.csv"
  );
  assert.ok(seeded, "the file was imported");

  const exported = await page.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, text: await response.text() };
  }, `/export?import_id=${seeded.id}`);
  assert.equal(exported.status, 200, exported.text);
  const rows = Papa.parse<Record<string, string>>(exported.text, { header: true, skipEmptyLines: true }).data;
  const byTitle = new Map(rows.map((line) => [line.title, [line[FIELD], line[`${FIELD}_source`]]]));
  // The cells name entries of the list by key (spelled otherwise): decided at import, source seed.
  assert.deepEqual(byTitle.get(SEEDED[0].title), ["Apple iPhone 13 128GB Blue", "seed"]);
  assert.deepEqual(byTitle.get(SEEDED[1].title), ["Nintendo Switch OLED Console", "seed"]);
  assert.notEqual(byTitle.get(SEEDED[2].title)?.[1], "seed", "an empty cell is left to the matcher");
  assert.deepEqual(pageErrors, [], "the pages reported errors");
});

test("the entries page: search by a word, retire an entry added by mistake; one rows are decided to stays", {
  timeout: 180_000,
}, async () => {
  const pageErrors = collectPageErrors(page);
  const base = app.baseUrl;
  const MISTAKEN = "Acme Mistaken Gadget";
  await api("POST", `/fields/${FIELD}/entries`, { type: "text/csv", text: toCsv([{ name: MISTAKEN }]) });

  // From the fields page, the field's Entries link.
  await page.goto(`${base}/fields`);
  await page.locator('[data-island="FieldsPanel"][data-hydrated="true"]').waitFor();
  await page.locator(`[data-testid=field-${FIELD}] [data-testid=field-entries-link]`).click();
  await page.waitForURL(`${base}/fields/${FIELD}/entries`);
  const island = page.locator('[data-island="EntryList"][data-hydrated="true"]');
  await island.waitFor();
  const names = island.locator("[data-testid=entry-name]");
  const shown = async () => (await names.allInnerTexts()).map((name) => name.trim());

  // A word, typed in any case: the entries whose name holds it, with their attributes.
  await page.getByLabel("Search the entries by name").fill("sony");
  await names.filter({ hasText: NEW_ENTRY }).waitFor();
  await page.waitForFunction(() =>
    [...document.querySelectorAll("[data-testid=entry-name]")].every((cell) =>
      /sony/i.test(cell.textContent ?? "")
    )
  );
  assert.deepEqual(
    (await shown()).sort(),
    [...CANONICAL.filter((name) => /sony/i.test(name)), NEW_ENTRY].sort(),
  );
  const canonicalRow = island.locator("[data-testid=entry-row]").filter({ hasText: CANONICAL[2] });
  assert.equal(
    (await canonicalRow.locator("[data-testid=entry-attributes]").innerText()).trim(),
    "brand: Sony",
  );

  // Retiring an entry a row is decided to: refused, the API's reason shown, the entry stays.
  const decided = island.locator("[data-testid=entry-row]").filter({ hasText: NEW_ENTRY });
  assert.notEqual((await decided.locator("[data-testid=entry-decided]").innerText()).trim(), "0");
  page.once("dialog", (dialog) => void dialog.accept());
  await decided.locator("[data-testid=entry-retire]").click();
  await island.locator("[role=alert]").filter({ hasText: /rows? (is|are) decided to it/ }).waitFor();
  assert.ok((await shown()).includes(NEW_ENTRY));

  // The entry added by mistake: asked to confirm (dismissed: nothing happens), then retired; it is gone.
  await page.getByLabel("Search the entries by name").fill("MISTAKEN");
  const mistaken = island.locator("[data-testid=entry-row]").filter({ hasText: MISTAKEN });
  await mistaken.waitFor();
  assert.equal((await mistaken.locator("[data-testid=entry-decided]").innerText()).trim(), "0");
  let asked = "";
  page.once("dialog", (dialog) => {
    asked = dialog.message();
    void dialog.dismiss();
  });
  await mistaken.locator("[data-testid=entry-retire]").click();
  await settle(page);
  assert.match(asked, new RegExp(`Retire “${MISTAKEN}”`));
  assert.equal(await mistaken.count(), 1, "dismissed: still listed");
  page.once("dialog", (dialog) => void dialog.accept());
  await mistaken.locator("[data-testid=entry-retire]").click();
  await island.locator("[data-testid=entry-status]").filter({ hasText: `Retired “${MISTAKEN}”` }).waitFor();
  assert.equal(await mistaken.count(), 0);
  const left = await api<{ entries: { name: string }[] }>("GET", `/fields/${FIELD}/entries?q=mistaken`);
  assert.deepEqual(left.entries, [], "retired for the API too");

  // The page passes axe in both themes, with a search's results on screen.
  const checked = await axePage(browser, page.context());
  try {
    const violations = await auditThemes(checked, `${base}/fields/${FIELD}/entries`, async (entries) => {
      await entries.locator('[data-island="EntryList"][data-hydrated="true"]').waitFor();
      await entries.getByLabel("Search the entries by name").fill("sony");
      await entries.locator("[data-testid=entry-name]").filter({ hasText: NEW_ENTRY }).waitFor();
    });
    assert.deepEqual(violations, [], violations.join("\n"));
  } finally {
    await checked.context().close();
  }
  // The refused retire's 409 is expected; nothing else may be reported.
  assert.deepEqual(
    pageErrors.filter((error) => !/status of 409/.test(error)),
    [],
    "the pages reported errors",
  );
});
