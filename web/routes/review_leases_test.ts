/**
 * Review leases through the API (real database, worker and model): two reviewers on one queue are served
 * different cards, both on the first page and on the pages they fetch ahead; a decision or a restart of
 * the queue ends a lease, and an expired lease counts as none.
 */
import { type SignedInApp, signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { ImportCreated, ReviewPage } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import {
  datasetRows,
  openTestDatabase,
  startTestWorker,
  TEST_MODEL_ID,
  toCsv,
} from "../../testing/testing.ts";
import { claimLeases } from "../../core/review/review_leases.ts";

const db = await openTestDatabase();
const deps = { db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 };
const app = await signedInApp(deps);
// Each reviewer signs in with an account of their own: leases are per account.
const reviewers: Record<string, SignedInApp> = {};
for (const name of ["alice", "bob", "carol"]) {
  reviewers[name] = await signedInApp(deps, { name, role: "reviewer" });
}
const worker = await startTestWorker(db);
after(async () => {
  await worker.stop();
  await db.close();
});
const rows = datasetRows(120).map((row, index) => ({
  ...row,
  category: index % 2 === 0 ? "" : row.category,
}));
const upload = await app.request("/upload-csv?label_column=category", {
  method: "POST",
  headers: { "content-type": "text/csv" },
  body: toCsv(rows),
});
const created = await upload.json() as ImportCreated;
assert.equal(upload.status, 201, JSON.stringify(created));
await worker.idle();

/** A reviewer's page of the queue (lease=true, as the review page reads it); null: a read without lease. */
async function page(reviewer: string | null, cursor?: string): Promise<ReviewPage> {
  const params = new URLSearchParams({ limit: "10", import_id: String(created.import_id) });
  if (reviewer !== null) params.set("lease", "true");
  if (cursor) params.set("cursor", cursor);
  const response = await (reviewer === null ? app : reviewers[reviewer]).request(
    `/products-for-review?${params}`,
  );
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body as ReviewPage;
}

const ids = (result: ReviewPage) => result.items.map((item) => item.product_id);

test("two reviewers are served different cards, on the first page and the pages fetched ahead", async () => {
  const alice = await page("alice");
  const bob = await page("bob");
  assert.equal(alice.items.length, 10);
  assert.equal(bob.items.length, 10);
  assert.deepEqual(ids(bob).filter((id) => ids(alice).includes(id)), [], "no card served to both");
  const aliceNext = await page("alice", alice.next_cursor!);
  const bobNext = await page("bob", bob.next_cursor!);
  const aliceAll = [...ids(alice), ...ids(aliceNext)];
  assert.deepEqual(ids(bobNext).filter((id) => aliceAll.includes(id)), []);
  // Alice reading her first page again keeps those cards (and frees the page she fetched ahead); a third
  // reviewer is served none of the cards still leased.
  assert.deepEqual(ids(await page("alice")), ids(alice));
  const leased = [...ids(alice), ...ids(bob), ...ids(bobNext)];
  assert.deepEqual(ids(await page("carol")).filter((id) => leased.includes(id)), []);
});

test("a decision ends the lease; a first page ends the reviewer's other leases; an expired lease is free", async () => {
  await db.query(sql`DELETE FROM review_leases`);
  const alice = await page("alice");
  const [decided, ...rest] = alice.items;
  const response = await reviewers.alice.request("/submit-feedback", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ product_id: decided.product_id, approved: false, corrected_text: "mice" }),
  });
  assert.equal(response.status, 201);
  const [{ held }] = await db.query<{ held: number }>(sql`
    SELECT count(*)::int AS held FROM review_leases WHERE product_id = ${decided.product_id}`);
  assert.equal(held, 0);
  // Alice's prefetched page is hers until she starts over: then only the cards shown again stay hers.
  const ahead = await page("alice", alice.next_cursor!);
  const again = await page("alice");
  const [{ kept }] = await db.query<{ kept: number }>(sql`
    SELECT count(*)::int AS kept FROM review_leases WHERE reviewer = 'alice'
      AND product_id = ANY(${ids(ahead).filter((id) => !ids(again).includes(id))}::int[])`);
  assert.equal(kept, 0);
  assert.ok(ids(again).includes(rest[0].product_id));
  // Expired: bob is served alice's cards.
  await db.query(sql`UPDATE review_leases SET expires_at = now() - interval '1 second'`);
  const bob = await page("bob");
  assert.deepEqual(ids(bob), ids(again));
});

test("of two claims on one row at once exactly one wins", async () => {
  await db.query(sql`DELETE FROM review_leases`);
  const [first] = (await page(null)).items;
  const claims = await Promise.all(["alice", "bob"].map((who) => claimLeases(db, who, [first.product_id])));
  assert.equal(claims.filter((claimed) => claimed.has(first.product_id)).length, 1);
});

test("a row decided between a page's read and its claim is not claimed (its lease already ended)", async () => {
  await db.query(sql`DELETE FROM review_leases`);
  const [row] = (await page(null)).items;
  // Alice was served the row and decided it; the decision ended her lease.
  assert.ok((await claimLeases(db, "alice", [row.product_id])).has(row.product_id));
  const response = await reviewers.alice.request("/submit-feedback", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ product_id: row.product_id, approved: false, corrected_text: "mice" }),
  });
  assert.equal(response.status, 201);
  // Bob's page was read before that decision; his claim comes after it.
  assert.equal((await claimLeases(db, "bob", [row.product_id])).has(row.product_id), false);
});

test("a read without lease=true (a script, the status command) reserves nothing and sees every waiting row", async () => {
  await db.query(sql`DELETE FROM review_leases`);
  // The decision of the test before re-scores its neighbours in the background, which may reorder the
  // queue between the two reads: both read the queue at rest.
  await worker.idle();
  const alice = await page("alice");
  const response = await reviewers.bob.request(
    `/products-for-review?limit=10&import_id=${created.import_id}`,
  );
  const plain = await response.json() as ReviewPage;
  assert.deepEqual(ids(plain), ids(alice), "alice's cards are listed");
  const [{ leases }] = await db.query<{ leases: number }>(sql`
    SELECT count(*)::int AS leases FROM review_leases WHERE reviewer = 'bob'`);
  assert.equal(leases, 0);
});
