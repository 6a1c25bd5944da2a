/**
 * GET /review/{field} for a browser and for JSON: a catalogue field's page, a label field sent on to its
 * review page, and a field that does not exist answered with a page saying so (or the JSON error).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { ApiError } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
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
