/**
 * GET /review/{field} for a browser and for JSON: a catalogue field's page, a label field sent on to its
 * review page, and a field that does not exist answered with a page saying so (or the JSON error); GET
 * /fields/{field}/entries likewise, the entries page for a browser.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { ApiError } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { addEntries } from "../../core/catalogue/catalogue_entries.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";
import { signedInApp } from "../../testing/signed_in_app.ts";

const db = await openTestDatabase();
const reviewer = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 }, {
  role: "reviewer",
});
after(() => db.close());

await db.query(sql`INSERT INTO fields (name, kind, position) VALUES ('product', 'catalogue', 1)`);

const BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8";

function browse(path: string): Promise<Response> {
  return reviewer.request(path, { headers: { accept: BROWSER_ACCEPT }, redirect: "manual" });
}

test("a catalogue field's review page is the page, for a browser as for anyone", async () => {
  const response = await browse("/review/product");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  assert.match(await response.text(), /data-island="CatalogueReview"/);
});

test("a browser at a label field's review page is sent to /review, the category queue", async () => {
  const response = await browse("/review/category");
  assert.equal(response.status, 302);
  assert.equal(response.headers.get("location"), "/review");
  assert.equal(response.headers.get("vary"), "Accept");
});

test("a browser at a field that does not exist gets a page saying so, with a link to the fields", async () => {
  for (const [path, name] of [["/review/nothing", "nothing"], ["/review/Bad%20Name", "Bad Name"]]) {
    const response = await browse(path);
    assert.equal(response.status, 404, path);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/, path);
    const html = await response.text();
    assert.match(html, /^<!DOCTYPE html>/, path);
    assert.doesNotMatch(html, /"error"/, path);
    // Within the layout: the navigation is there.
    assert.match(html, /<nav/, path);
    assert.match(html, new RegExp(`The field <code>${name}</code> does not exist`), path);
    assert.match(html, /<a [^>]*href="\/fields"/, path);
  }
  // What a browser typed is shown as text, never as markup.
  const hostile = await (await browse("/review/%3Cscript%3E")).text();
  assert.doesNotMatch(hostile, /<code><script>/);
});

test("a JSON client keeps the JSON error for a label field and for a field that does not exist", async () => {
  for (const path of ["/review/category", "/review/nothing", "/review/Bad%20Name"]) {
    const response = await reviewer.request(path, { redirect: "manual" });
    assert.equal(response.status, 404, path);
    assert.match(response.headers.get("content-type") ?? "", /^application\/json/, path);
    const body = await response.json() as ApiError;
    assert.equal(body.error.status, 404);
    assert.match(body.error.message, /^No catalogue field "/);
  }
});

test("a catalogue field's entries page is the page for a browser; JSON clients keep the entries", async () => {
  const [product] = await db.query<{ id: number }>(sql`SELECT id FROM fields WHERE name = 'product'`);
  await addEntries(db, product.id, [{
    name: "Logitech <b>M185</b> Mouse",
    attributes: { maker: "Logitech" },
  }], "upload");
  const response = await browse("/fields/product/entries");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
  assert.equal(response.headers.get("vary"), "Accept");
  const html = await response.text();
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /data-island="EntryList"/);
  assert.match(html, /<label [^>]*for="entry-search-product"/);
  // The entry is rendered as text (escaped), with its attributes; a reviewer has no Retire button.
  assert.match(html, /Logitech &lt;b>M185&lt;\/b> Mouse/);
  assert.doesNotMatch(html, /<b>M185<\/b>/);
  assert.match(html, /maker: Logitech/);
  assert.doesNotMatch(html, /data-testid="entry-retire"/);

  const json = await reviewer.request("/fields/product/entries");
  assert.equal(json.status, 200);
  assert.match(json.headers.get("content-type") ?? "", /^application\/json/);
  const body = await json.json() as { field: string; entries: { name: string }[] };
  assert.deepEqual(body.entries.map((entry) => entry.name), ["Logitech <b>M185</b> Mouse"]);
});

test("a browser at the entries of a field that does not exist, or of the label field, gets a 404 page", async () => {
  for (
    const [path, name] of [["/fields/nothing/entries", "nothing"], ["/fields/category/entries", "category"]]
  ) {
    const response = await browse(path);
    assert.equal(response.status, 404, path);
    assert.match(response.headers.get("content-type") ?? "", /^text\/html/, path);
    const html = await response.text();
    assert.match(html, /^<!DOCTYPE html>/, path);
    assert.match(html, /<nav/, path);
    assert.match(html, new RegExp(`The field <code>${name}</code>`), path);
    assert.match(html, /<a [^>]*href="\/fields"/, path);
    assert.doesNotMatch(html, /data-island="EntryList"/, path);
  }
  // JSON clients keep the API's errors.
  assert.equal((await reviewer.request("/fields/nothing/entries")).status, 404);
  assert.equal((await reviewer.request("/fields/category/entries")).status, 422);
});
