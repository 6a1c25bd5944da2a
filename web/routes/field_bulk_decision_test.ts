/**
 * POST /fields/{field}/decisions/bulk and the group it takes (GET /fields/{field}/review?entry_id=), on the
 * real database: the matcher's suggestions are written as its job writes them, so that each row's state
 * (suggested which entry, seeded, decided) is known exactly.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type {
  ApiError,
  CatalogueBulkDecisionResult,
  CatalogueDecisionWithdrawn,
  CatalogueReviewPage,
  Field,
} from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";

const db = await openTestDatabase();
const deps = { db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 };
const ops = await signedInApp(deps);
const reviewer = await signedInApp(deps, { role: "reviewer" });
after(() => db.close());

function postJson(path: string, body: unknown, app = reviewer): Promise<Response> {
  return app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function json<T>(response: Response | Promise<Response>, status: number): Promise<T> {
  const answer = await response;
  const body = await answer.json();
  assert.equal(answer.status, status, JSON.stringify(body));
  return body as T;
}

const field = await json<Field>(postJson("/fields", { name: "product", kind: "catalogue" }, ops), 201);
const entries = await db.query<{ id: number; name: string }>(sql`
  INSERT INTO catalogue_entries (field_id, name, name_key, source)
  VALUES (${field.id}, 'Apple iPhone 8 Plus 64GB', 'apple iphone 8 plus 64gb', 'upload'),
         (${field.id}, 'Apple iPhone 8 Plus 256GB', 'apple iphone 8 plus 256gb', 'upload')
  RETURNING id, name`);
const [small, large] = entries;
const [{ id: importId }] = await db.query<{ id: number }>(sql`
  INSERT INTO imports (file_name, status) VALUES ('offers.csv', 'imported') RETURNING id`);
const titles = [
  "apple iphone 8 plus 64 gb spacegrau",
  "Apple MQ8N2B/A iPhone 8 Plus 64GB SIM Free Smartphone in Gold",
  "iPhone 8 Plus 64GB silver unlocked",
  "iphone 8+ 64gb (renewed)",
  "Apple iPhone 8 Plus 256GB Gold",
  "Apple iPhone 8 Plus 64 GB, seeded",
];
const ids = (await db.query<{ id: number }>(sql`
  INSERT INTO products (import_id, row_number, data, text)
  SELECT ${importId}::int, item.n, jsonb_build_object('title', item.title), item.title
  FROM unnest(${titles}::text[]) WITH ORDINALITY AS item(title, n)
  ORDER BY item.n
  RETURNING id`)).map((row) => row.id);
// Rows 0–3 suggested the 64GB entry (row 3 least sure), row 4 the 256GB one, row 5 seeded with 64GB.
await db.query(sql`
  INSERT INTO catalogue_matches (field_id, product_id, entry_id, confidence, alternatives, source)
  SELECT ${field.id}, item.id, item.entry, item.confidence, '[]', item.source
  FROM unnest(${ids}::int[], ${[small.id, small.id, small.id, small.id, large.id, small.id]}::int[],
    ${[0.9, 0.8, 0.7, 0.4, 0.6, 1]}::real[],
    ${["suggested", "suggested", "suggested", "suggested", "suggested", "seed"]}::text[])
    AS item(id, entry, confidence, source)`);

async function group(entryId: number): Promise<CatalogueReviewPage> {
  const page = await reviewer.request(`/fields/product/review?entry_id=${entryId}&limit=50`);
  return await json<CatalogueReviewPage>(page, 200);
}

async function decisionCount(): Promise<number> {
  const [{ count }] = await db.query<{ count: number }>(
    sql`SELECT count(*)::int AS count FROM catalogue_decisions`,
  );
  return count;
}

test("GET /fields/{field}/review?entry_id= lists the rows suggested that entry, least confident first", async () => {
  const page = await group(small.id);
  assert.deepEqual(page.items.map((item) => item.product_id), [ids[3], ids[2], ids[1], ids[0]]);
  assert.equal(page.waiting, 4);
  assert.ok(page.items.every((item) => item.suggestion.entry_id === small.id));
  assert.deepEqual((await group(large.id)).items.map((item) => item.product_id), [ids[4]]);
  const whole = await json<CatalogueReviewPage>(reviewer.request("/fields/product/review"), 200);
  assert.equal(whole.waiting, 5);
  // An id that is no entry of the field is not an empty group.
  const unknown = await json<ApiError>(reviewer.request("/fields/product/review?entry_id=999999"), 404);
  assert.match(unknown.error.message, /has no entry 999999/);
});

test("a preview reports what a bulk decision would store and stores nothing", async () => {
  const preview = await json<CatalogueBulkDecisionResult>(
    postJson("/fields/product/decisions/bulk", {
      product_ids: [ids[2], ids[0], ids[1], ids[4], ids[5], ids[0], 2_000_000_000],
      entry_id: small.id,
      expected_entry_id: small.id,
      dry_run: true,
    }),
    200,
  );
  assert.equal(preview.dry_run, true);
  assert.equal(preview.requested, 6);
  assert.equal(preview.count, 3);
  assert.deepEqual(preview.product_ids, [ids[0], ids[1], ids[2]]);
  assert.deepEqual(preview.decision_ids, []);
  assert.deepEqual(preview.skipped, [
    { product_id: ids[4], reason: "suggestion_changed" },
    { product_id: ids[5], reason: "decided" },
    { product_id: 2_000_000_000, reason: "not_found" },
  ]);
  assert.deepEqual(preview.entry, { entry_id: small.id, name: small.name });
  assert.equal(await decisionCount(), 0);
  assert.equal((await group(small.id)).waiting, 4);
});

test("an error on any row of a bulk decision stores nothing", async () => {
  // A failure while the rows are written (as a lost connection or a full disk would raise): the group's
  // decisions and its new entry must go with it.
  await db.query(sql`
    CREATE FUNCTION refuse_one_row() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.source = 'human' AND (SELECT text FROM products WHERE id = NEW.product_id) LIKE '%SIM Free%' THEN
        RAISE EXCEPTION 'injected failure';
      END IF;
      RETURN NEW;
    END $$`);
  await db.query(sql`
    CREATE TRIGGER refuse_one_row BEFORE UPDATE ON catalogue_matches
    FOR EACH ROW EXECUTE FUNCTION refuse_one_row()`);
  try {
    const answer = await postJson("/fields/product/decisions/bulk", {
      product_ids: [ids[0], ids[1], ids[2]],
      new_entry: "Apple iPhone 8 Plus 64GB (all colours)",
      expected_entry_id: small.id,
    });
    assert.equal(answer.status, 500, await answer.text());
  } finally {
    await db.query(sql`DROP TRIGGER refuse_one_row ON catalogue_matches`);
    await db.query(sql`DROP FUNCTION refuse_one_row()`);
  }
  assert.equal(await decisionCount(), 0);
  const created = await db.query(sql`
    SELECT 1 FROM catalogue_entries WHERE field_id = ${field.id} AND name LIKE '%all colours%'`);
  assert.equal(created.length, 0);
  assert.equal((await group(small.id)).waiting, 4);
});

test("a bulk decision decides every row still suggested that entry, each with its own decision", async () => {
  await db.query(sql`UPDATE fields SET match_requested_at = NULL WHERE id = ${field.id}`);
  const saved = await json<CatalogueBulkDecisionResult>(
    postJson("/fields/product/decisions/bulk", {
      product_ids: [ids[0], ids[1], ids[2], ids[4]],
      entry_id: small.id,
      expected_entry_id: small.id,
    }),
    201,
  );
  assert.equal(saved.dry_run, false);
  assert.deepEqual(saved.product_ids, [ids[0], ids[1], ids[2]]);
  assert.deepEqual(saved.skipped, [{ product_id: ids[4], reason: "suggestion_changed" }]);
  assert.equal(saved.decision_ids.length, 3);
  const decisions = await db.query<
    { id: number; product_id: number; entry_id: number; suggested_entry_id: number; reviewer: string }
  >(sql`
    SELECT id, product_id, entry_id, suggested_entry_id, reviewer FROM catalogue_decisions ORDER BY id`);
  assert.deepEqual(
    decisions,
    saved.product_ids.map((id, k) => ({
      id: saved.decision_ids[k],
      product_id: id,
      entry_id: small.id,
      suggested_entry_id: small.id,
      reviewer: reviewer.name,
    })),
  );
  const matches = await db.query<{ product_id: number; source: string; entry_id: number }>(sql`
    SELECT product_id, source, entry_id FROM catalogue_matches
    WHERE field_id = ${field.id} AND product_id = ANY(${saved.product_ids}::int[]) ORDER BY product_id`);
  assert.ok(matches.every((row) => row.source === "human" && row.entry_id === small.id));
  // The group left the queue; the workers are asked to match again with the new decisions.
  assert.deepEqual((await group(small.id)).items.map((item) => item.product_id), [ids[3]]);
  const [{ requested }] = await db.query<{ requested: boolean }>(sql`
    SELECT match_requested_at IS NOT NULL AS requested FROM fields WHERE id = ${field.id}`);
  assert.equal(requested, true);
  // The audit log has the preview and this decision with their counts; the failed one is kept apart.
  const audit = await db.query<{ kind: string; actor: string; dry_run: string; count: string }>(sql`
    SELECT kind, actor, details -> 'result' ->> 'dry_run' AS dry_run, details -> 'result' ->> 'count' AS count
    FROM audit_log WHERE kind LIKE 'field.decision.bulk%' ORDER BY id`);
  assert.deepEqual(audit, [
    { kind: "field.decision.bulk", actor: reviewer.name, dry_run: "true", count: "3" },
    { kind: "field.decision.bulk.failed", actor: reviewer.name, dry_run: null, count: null },
    { kind: "field.decision.bulk", actor: reviewer.name, dry_run: "false", count: "3" },
  ]);

  // Each decision can be undone alone: the row waits for the next match again, the others stay.
  const undone = await json<CatalogueDecisionWithdrawn>(
    reviewer.request(`/fields/product/decisions/${saved.decision_ids[1]}/undo`, { method: "POST" }),
    200,
  );
  assert.equal(undone.product_id, ids[1]);
  assert.equal(undone.restored, null);
  const standing = await db.query<{ product_id: number }>(sql`
    SELECT product_id FROM catalogue_matches WHERE field_id = ${field.id} AND source = 'human' ORDER BY product_id`);
  assert.deepEqual(standing.map((row) => row.product_id), [ids[0], ids[2]]);
});

test("a group with no row left to decide is 409 and stores nothing", async () => {
  const before = await decisionCount();
  const body = await json<ApiError>(
    postJson("/fields/product/decisions/bulk", {
      product_ids: [ids[0], ids[5]],
      entry_id: small.id,
      expected_entry_id: small.id,
    }),
    409,
  );
  assert.match(body.error.message, /none of the 2 rows is left to decide \(2 decided meanwhile\)/);
  assert.equal(await decisionCount(), before);
});

test('"none of these" for a group creates the entry once and names it in every decision', async () => {
  const saved = await json<CatalogueBulkDecisionResult>(
    postJson("/fields/product/decisions/bulk", {
      product_ids: [ids[4]],
      new_entry: "Apple iPhone 8 Plus 256GB Gold",
      expected_entry_id: large.id,
    }),
    201,
  );
  assert.equal(saved.created_entry, true);
  assert.equal(saved.entry?.name, "Apple iPhone 8 Plus 256GB Gold");
  const [decision] = await db.query<{ entry_id: number; created_entry: boolean }>(sql`
    SELECT entry_id, created_entry FROM catalogue_decisions WHERE id = ${saved.decision_ids[0]}`);
  assert.deepEqual(decision, { entry_id: saved.entry!.entry_id, created_entry: true });
});

test("a bulk decision is refused for a bad body, an entry of another field or a label field", async () => {
  const bad = async (path: string, body: unknown, status: number, message: RegExp) => {
    const answer = await json<ApiError>(postJson(path, body), status);
    assert.match(answer.error.message, message);
  };
  const url = "/fields/product/decisions/bulk";
  await bad(url, { product_ids: [], entry_id: small.id, expected_entry_id: small.id }, 422, /product_ids/);
  await bad(
    url,
    {
      product_ids: [...Array(501).keys()].map((n) => n + 1),
      entry_id: small.id,
      expected_entry_id: small.id,
    },
    422,
    /product_ids/,
  );
  await bad(url, { product_ids: [ids[3]], expected_entry_id: small.id }, 422, /exactly one of entry_id/);
  await bad(url, { product_ids: [ids[3]], entry_id: 999_999, expected_entry_id: small.id }, 404, /no entry/);
  await bad(
    url,
    { product_ids: [ids[3]], entry_id: small.id, expected_entry_id: 999_999 },
    422,
    /not an entry/,
  );
  await bad(
    "/fields/category/decisions/bulk",
    {
      product_ids: [ids[3]],
      entry_id: small.id,
      expected_entry_id: small.id,
    },
    422,
    /category/,
  );
  assert.equal((await group(small.id)).waiting, 1);
});

test("GET /fields/{field}/review?import_id= keeps to one file's rows, with or without entry_id", async () => {
  const [{ id: laterImport }] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status) VALUES ('later.csv', 'imported') RETURNING id`);
  const [{ id: later }] = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    VALUES (${laterImport}, 1, '{"title": "iphone 8 plus 64gb gold"}', 'iphone 8 plus 64gb gold') RETURNING id`);
  await db.query(sql`
    INSERT INTO catalogue_matches (field_id, product_id, entry_id, confidence, alternatives, source)
    VALUES (${field.id}, ${later}, ${small.id}, 0.5, '[]', 'suggested')`);
  const read = async (query: string) =>
    await json<CatalogueReviewPage>(reviewer.request(`/fields/product/review?${query}`), 200);
  const onlyLater = await read(`import_id=${laterImport}`);
  assert.deepEqual(onlyLater.items.map((item) => item.product_id), [later]);
  assert.equal(onlyLater.waiting, 1);
  const first = await read(`import_id=${importId}&entry_id=${small.id}`);
  assert.ok(first.items.length > 0 && !first.items.some((item) => item.product_id === later));
  assert.equal(first.waiting, first.items.length);
  const group = await read(`entry_id=${small.id}`);
  assert.equal(group.waiting, first.waiting + 1);
});
