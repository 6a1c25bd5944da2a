/**
 * GET /products/:id/similar and POST /submit-feedback-bulk against the real database, the real worker and
 * the real embedding model: a labelled catalogue plus unlabelled near-duplicates (the same product from
 * several suppliers, titles varied), grouped, previewed, decided as one, audited row by row through the
 * served app, and refused or rolled back as a whole when they must be.
 */
import { type SignedInApp, signedInApp } from "../../testing/signed_in_app.ts";
import type { AppEnv } from "../http/app_env.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { Hono } from "hono";
import {
  type ApiError,
  type BulkFeedbackResult,
  type ImportCreated,
  MAX_BULK_PRODUCTS,
  type SimilarRows,
} from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import {
  datasetRows,
  openTestDatabase,
  startTestWorker,
  TEST_MODEL_ID,
  toCsv,
} from "../../testing/testing.ts";
import { createUser } from "../../core/accounts/accounts.ts";
import { BULK_AUDIT_KIND } from "../../core/review/bulk_feedback.ts";
import { createSecureApp } from "../secure_app.ts";

const db = await openTestDatabase();
const deps = { db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 };
const app = await signedInApp(deps);
after(() => db.close());

const pool = datasetRows(600);
const labelled = pool.slice(0, 120).filter((row) => row.category.trim() !== "");
const others = pool.slice(120).filter((row) => row.category.trim() === "").slice(0, 15);
/** Three products, each offered by five "suppliers" with small variations of the title. */
const products = ["mice", "inkjet printer ink", "shredders"].map((category) =>
  pool.slice(120).find((row) => row.category === category && row.title.length > 25)!
);
const variations = [
  (title: string) => title,
  (title: string) => `${title} - refurbished`,
  (title: string) => `new ${title} bundle`,
  (title: string) => `${title} (2 pack)`,
  (title: string) => `${title.toUpperCase()} retail box`,
];
const duplicates: Record<string, string>[] = products.flatMap((product, p) =>
  variations.map((vary, v) => ({ ...product, id: `dup-${p}-${v}`, title: vary(product.title), category: "" }))
);

const upload = await app.request("/upload-csv?label_column=category&file_name=suppliers.csv", {
  method: "POST",
  headers: { "content-type": "text/csv" },
  body: toCsv([...labelled, ...others, ...duplicates] as Record<string, string>[]),
});
const created = await upload.json() as ImportCreated;
assert.equal(upload.status, 201, JSON.stringify(created));
{
  // Embedded and suggested, then stopped: its idle sweep must not rewrite suggestions under the tests.
  const worker = await startTestWorker(db);
  await worker.idle();
  await worker.stop();
}

async function json<T>(response: Response | Promise<Response>, status: number): Promise<T> {
  const answer = await response;
  const body = await answer.json();
  assert.equal(answer.status, status, JSON.stringify(body));
  return body as T;
}

function bulk(
  body: unknown,
  target: Pick<SignedInApp, "request"> | Pick<Hono<AppEnv>, "request"> = app,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(target.request("/submit-feedback-bulk", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }));
}

/** The product id of duplicate `dup-p-v`. */
async function duplicateId(p: number, v: number): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    SELECT id FROM products WHERE import_id = ${created.import_id} AND data->>'id' = ${`dup-${p}-${v}`}`);
  return row.id;
}

async function suggestionOf(id: number): Promise<string | null> {
  const [row] = await db.query<{ value: string }>(
    sql`SELECT value FROM suggestions WHERE product_id = ${id}`,
  );
  return row?.value ?? null;
}

function cosine(a: number[], b: number[]): number {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}

/** The group computed here from the stored vectors, independently of the route's SQL. */
async function expectedGroup(anchorId: number, minSimilarity: number): Promise<{ id: number; s: number }[]> {
  const rows = await db.query<{ id: number; vector: number[]; suggestion: string | null; labelled: boolean }>(
    sql`
    SELECT products.id, embeddings.embedding::real[] AS vector, suggestions.value AS suggestion,
           EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = products.id) AS labelled
    FROM products
    JOIN embeddings ON embeddings.product_id = products.id AND embeddings.model_id = ${TEST_MODEL_ID}
    LEFT JOIN suggestions ON suggestions.product_id = products.id`,
  );
  const anchor = rows.find((row) => row.id === anchorId)!;
  return rows
    .filter((row) => row.id !== anchorId && !row.labelled && row.suggestion === anchor.suggestion)
    .map((row) => ({ id: row.id, s: cosine(anchor.vector, row.vector) }))
    .filter((row) => row.s >= minSimilarity)
    .sort((a, b) => b.s - a.s || a.id - b.id);
}

test("GET /products/:id/similar lists the unlabelled rows sharing the suggestion, nearest first", async () => {
  const anchor = await duplicateId(0, 0);
  const suggestion = await suggestionOf(anchor);
  assert.ok(suggestion, "the anchor has a suggestion");
  const group = await json<SimilarRows>(app.request(`/products/${anchor}/similar?min_similarity=0.7`), 200);
  assert.equal(group.reason, null);
  assert.equal(group.anchor.product_id, anchor);
  assert.equal(group.suggestion, suggestion);
  assert.equal(group.min_similarity, 0.7);
  const expected = await expectedGroup(anchor, 0.7);
  assert.deepEqual(group.rows.map((row) => row.product_id), expected.map((row) => row.id));
  group.rows.forEach((row, index) => assert.ok(Math.abs(row.similarity - expected[index].s) < 1e-4));
  for (const row of group.rows) assert.equal(await suggestionOf(row.product_id), suggestion);
  const siblings = [];
  for (let v = 1; v < variations.length; v++) {
    const id = await duplicateId(0, v);
    if (await suggestionOf(id) === suggestion) siblings.push(id);
  }
  assert.ok(siblings.length >= 2, "most suppliers' variations share the suggestion");
  for (const id of siblings) {
    assert.ok(group.rows.some((row) => row.product_id === id), `sibling ${id} listed`);
  }

  // A stricter threshold and a limit keep a prefix of the same order.
  const strict = await json<SimilarRows>(
    app.request(`/products/${anchor}/similar?min_similarity=0.9&limit=2`),
    200,
  );
  assert.deepEqual(
    strict.rows.map((row) => row.product_id),
    expected.filter((row) => row.s >= 0.9).slice(0, 2).map((row) => row.id),
  );
  // Defaults.
  const plain = await json<SimilarRows>(app.request(`/products/${anchor}/similar`), 200);
  assert.deepEqual([plain.min_similarity, plain.limit], [0.8, 50]);
});

test("GET /products/:id/similar: 404 for an unknown product, a reason without a vector or a suggestion, 422 out of bounds", async () => {
  const missing = await json<ApiError>(app.request("/products/99999999/similar"), 404);
  assert.match(missing.error.message, /^Cannot find similar rows: no product with id 99999999$/);

  // Uploaded and not embedded (no worker runs now): no vector yet.
  const late = await json<ImportCreated>(
    app.request("/upload-csv?file_name=late.csv", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: toCsv([{ title: products[0].title }]),
    }),
    201,
  );
  const [{ id: lateId }] = await db.query<{ id: number }>(sql`
    SELECT id FROM products WHERE import_id = ${late.import_id}`);
  const noVector = await json<SimilarRows>(app.request(`/products/${lateId}/similar`), 200);
  assert.equal(noVector.reason, "no_vector");
  assert.deepEqual(noVector.rows, []);
  assert.match(noVector.message!, /has no vector/);

  // An embedded row whose suggestion is not written yet (as before the first label existed).
  const bare = await duplicateId(2, 4);
  await db.query(sql`DELETE FROM suggestions WHERE product_id = ${bare}`);
  const noSuggestion = await json<SimilarRows>(app.request(`/products/${bare}/similar`), 200);
  assert.equal(noSuggestion.reason, "no_suggestion");
  assert.deepEqual([noSuggestion.suggestion, noSuggestion.rows], [null, []]);

  for (
    const query of ["min_similarity=0.2", "min_similarity=1.5", "min_similarity=abc", "limit=0", "limit=201"]
  ) {
    const refused = await json<ApiError>(app.request(`/products/${bare}/similar?${query}`), 422);
    assert.match(refused.error.message, /^Invalid query: /, query);
  }
  await json<ApiError>(app.request("/products/abc/similar"), 422);
  await json<ApiError>(app.request("/products/99999999999/similar"), 422);
});

test("POST /submit-feedback-bulk refuses invalid bodies with 422 and stores nothing", async () => {
  const id = await duplicateId(1, 0);
  const valid = { product_ids: [id], approved: true, expected_value: "x" };
  const cases: [unknown, RegExp][] = [
    [{ ...valid, product_ids: [] }, /product_ids/],
    [
      { ...valid, product_ids: Array.from({ length: MAX_BULK_PRODUCTS + 1 }, (_, i) => i + 1) },
      /product_ids/,
    ],
    [{ ...valid, product_ids: [1.5] }, /product_ids/],
    [{ ...valid, product_ids: [-1] }, /product_ids/],
    [{ ...valid, product_ids: "1,2" }, /product_ids/],
    [{ ...valid, expected_value: undefined }, /expected_value/],
    [{ ...valid, expected_value: "x".repeat(501) }, /expected_value/],
    [{ ...valid, approved: false }, /corrected_text/],
    [{ ...valid, approved: false, corrected_text: "   " }, /corrected_text/],
    [{ ...valid, dry_run: "yes" }, /dry_run/],
    [[1, 2], /Invalid bulk feedback/],
  ];
  for (const [body, field] of cases) {
    const refused = await json<ApiError>(bulk(body), 422);
    assert.match(refused.error.message, /^Invalid bulk feedback: /);
    assert.match(refused.error.message, field, JSON.stringify(body).slice(0, 80));
  }
  await json<ApiError>(bulk("{not json"), 400);
  await json<ApiError>(bulk({ ...valid, corrected_text: "y".repeat(70_000) }), 413);
  const [{ count }] = await db.query<{ count: number }>(sql`SELECT count(*)::int AS count FROM feedback`);
  assert.equal(count, 0);
});

test("POST /submit-feedback-bulk: a row failing mid-way leaves no feedback, label or audit entry", async () => {
  const anchor = await duplicateId(1, 0);
  const suggestion = (await suggestionOf(anchor))!;
  const group = await json<SimilarRows>(app.request(`/products/${anchor}/similar?min_similarity=0.6`), 200);
  const ids = [anchor, ...group.rows.map((row) => row.product_id)];
  assert.ok(ids.length >= 3, `a group of at least three rows (${ids.length})`);
  const victim = ids[Math.floor(ids.length / 2)];
  // A real database error on one row, raised by a trigger; the refused id sits in a table because a
  // session setting would not reach the other connections of a server pool.
  await db.query(sql`CREATE TABLE refused_products (product_id int PRIMARY KEY)`);
  await db.query(sql`INSERT INTO refused_products VALUES (${victim})`);
  await db.query(sql`
    CREATE FUNCTION refuse_feedback() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT 1 FROM refused_products WHERE product_id = NEW.product_id) THEN
        RAISE EXCEPTION 'refused for product %', NEW.product_id;
      END IF;
      RETURN NEW;
    END $$`);
  await db.query(sql`
    CREATE TRIGGER refuse_feedback BEFORE INSERT ON feedback FOR EACH ROW EXECUTE FUNCTION refuse_feedback()`);
  try {
    const failed = await json<ApiError>(
      bulk({ product_ids: ids, approved: true, expected_value: suggestion }),
      500,
    );
    assert.equal(failed.error.message, "Internal server error");
  } finally {
    await db.query(sql`DROP TRIGGER refuse_feedback ON feedback`);
    await db.query(sql`DROP FUNCTION refuse_feedback()`);
    await db.query(sql`DROP TABLE refused_products`);
  }
  const [left] = await db.query<{ feedback: number; labels: number; audit: number }>(sql`
    SELECT (SELECT count(*)::int FROM feedback WHERE product_id = ANY(${ids}::int[])) AS feedback,
           (SELECT count(*)::int FROM product_labels WHERE product_id = ANY(${ids}::int[])) AS labels,
           (SELECT count(*)::int FROM audit_log WHERE kind = ${BULK_AUDIT_KIND}) AS audit`);
  assert.deepEqual(left, { feedback: 0, labels: 0, audit: 0 });
});

test("POST /submit-feedback-bulk: the preview counts what is applied; each row gets its own feedback and audit entry", async () => {
  const reviewer = { name: "rita", password: "rita-password-12" };
  await createUser(db, { ...reviewer, role: "reviewer" });
  const secure = await createSecureApp(deps, { log: () => {}, host: "127.0.0.1", port: 8000 });
  const loginResponse = await secure.request("/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(reviewer).toString(),
  });
  assert.equal(loginResponse.status, 303);
  const cookie = (loginResponse.headers.get("set-cookie") ?? "").split(";")[0];
  const page = await (await secure.request("/", { headers: { cookie, accept: "text/html" } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
  assert.ok(csrf);
  const signedIn = { cookie, "x-csrf-token": csrf };

  const anchor = await duplicateId(0, 0);
  const suggestion = (await suggestionOf(anchor))!;
  const group = await json<SimilarRows>(
    secure.request(`/products/${anchor}/similar?min_similarity=0.6`, { headers: { cookie } }),
    200,
  );
  const ids = [anchor, ...group.rows.map((row) => row.product_id)];
  assert.ok(ids.length >= 4, `a group of at least four rows (${ids.length})`);
  // Meanwhile: another reviewer decides one row, a rescore moves another's suggestion.
  const [decided, moved] = ids.slice(-2);
  await json(
    app.request("/submit-feedback", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ product_id: decided, approved: false, corrected_text: "decided elsewhere" }),
    }),
    201,
  );
  await db.query(sql`UPDATE suggestions SET value = 'moved elsewhere' WHERE product_id = ${moved}`);
  const sent = [...ids, ids[0], ids[1], 99999999];
  const body = { product_ids: sent, approved: true, expected_value: suggestion };

  const preview = await json<BulkFeedbackResult>(bulk({ ...body, dry_run: true }, secure, signedIn), 200);
  const ready = ids.slice(0, -2);
  assert.equal(preview.dry_run, true);
  assert.equal(preview.requested, ids.length + 1, "duplicates count once");
  assert.equal(preview.count, ready.length);
  assert.deepEqual(preview.product_ids, ready);
  assert.deepEqual(preview.skipped, [
    { product_id: decided, reason: "already_labelled", current_suggestion: await suggestionOf(decided) },
    { product_id: moved, reason: "suggestion_changed", current_suggestion: "moved elsewhere" },
    { product_id: 99999999, reason: "not_found", current_suggestion: null },
  ]);
  const [{ before }] = await db.query<{ before: number }>(sql`
    SELECT count(*)::int AS before FROM feedback WHERE product_id = ANY(${ready}::int[])`);
  assert.equal(before, 0, "a preview writes nothing");

  const applied = await json<BulkFeedbackResult>(bulk(body, secure, signedIn), 201);
  assert.equal(applied.dry_run, false);
  assert.equal(applied.count, preview.count);
  assert.deepEqual(applied.product_ids, preview.product_ids);
  assert.deepEqual(applied.skipped, preview.skipped);
  assert.equal(applied.feedback_ids.length, ready.length);
  assert.match(applied.group_id!, /^[0-9a-f-]{36}$/);

  const feedback = await db.query<
    { id: number; product_id: number; approved: boolean; value: string; reviewer: string }
  >(sql`
    SELECT id, product_id, approved, value, reviewer FROM feedback
    WHERE product_id = ANY(${ready}::int[]) ORDER BY id`);
  assert.deepEqual(
    feedback.map((row) => [row.product_id, row.approved, row.value, row.reviewer]),
    ready.map((id) => [id, true, suggestion, "rita"]),
  );
  assert.deepEqual(feedback.map((row) => row.id), applied.feedback_ids);
  const labels = await db.query<{ product_id: number; value: string; source: string }>(sql`
    SELECT product_id, value, source FROM product_labels WHERE product_id = ANY(${ready}::int[])
    ORDER BY product_id`);
  assert.deepEqual(
    labels,
    [...ready].sort((a, b) => a - b).map((id) => ({ product_id: id, value: suggestion, source: "human" })),
  );
  const [{ moved_label }] = await db.query<{ moved_label: number }>(sql`
    SELECT count(*)::int AS moved_label FROM product_labels WHERE product_id = ${moved}`);
  assert.equal(moved_label, 0, "the skipped row stays undecided");

  const audit = await db.query<{ actor: string; via: string; details: Record<string, unknown> }>(sql`
    SELECT actor, via, details FROM audit_log WHERE kind = ${BULK_AUDIT_KIND} AND actor = 'rita' ORDER BY id`);
  assert.deepEqual(
    audit.map((entry) => [entry.actor, entry.via, entry.details.product_id, entry.details.feedback_id]),
    ready.map((id, index) => ["rita", "session", id, applied.feedback_ids[index]]),
  );
  for (const entry of audit) {
    assert.equal(entry.details.group_id, applied.group_id);
    assert.equal(entry.details.group_size, ready.length);
  }
  const refused = await json<ApiError>(bulk({ ...body, product_ids: [] }, secure, signedIn), 422);
  assert.match(refused.error.message, /^Invalid bulk feedback: product_ids/);
  const generic = await db.query<{ kind: string }>(sql`
    SELECT kind FROM audit_log WHERE details->>'path' = '/submit-feedback-bulk' AND actor = 'rita' ORDER BY id`);
  assert.deepEqual(
    generic,
    [{ kind: "POST /submit-feedback-bulk.refused" }],
    "no entry for the preview, the generic one for a refusal",
  );

  // Decided rows leave the group and the queue; asking again decides nothing twice. (The skipped
  // row is a neighbour of the group, so the refresh after the decision may have moved it back.)
  const again = await json<BulkFeedbackResult>(bulk({ ...body, product_ids: ready }, secure, signedIn), 201);
  assert.equal(again.count, 0);
  assert.deepEqual(
    again.skipped.map((row) => [row.product_id, row.reason]),
    ready.map((id) => [id, "already_labelled"]),
  );
  const queue = await json<{ items: { product_id: number }[] }>(
    app.request("/products-for-review?limit=200"),
    200,
  );
  assert.ok(!queue.items.some((item) => ready.includes(item.product_id)));
});

test("POST /submit-feedback-bulk corrects a group to a new value, which its neighbours then suggest", async () => {
  const anchor = await duplicateId(2, 0);
  const suggestion = (await suggestionOf(anchor))!;
  const group = await json<SimilarRows>(app.request(`/products/${anchor}/similar?min_similarity=0.9`), 200);
  const ids = [anchor, ...group.rows.map((row) => row.product_id)].slice(0, 2);
  const value = "Paper shredders (reviewed)";
  const applied = await json<BulkFeedbackResult>(
    bulk({ product_ids: ids, approved: false, corrected_text: value, expected_value: suggestion }),
    201,
  );
  assert.equal(applied.count, ids.length);
  assert.equal(applied.value, value);
  assert.ok(applied.refreshed_neighbours > 0);
  const rows = await db.query<{ approved: boolean; corrected_text: string; suggested_value: string }>(sql`
    SELECT approved, corrected_text, suggested_value FROM feedback WHERE product_id = ANY(${ids}::int[])`);
  assert.deepEqual(
    rows,
    ids.map(() => ({ approved: false, corrected_text: value, suggested_value: suggestion })),
  );
  // The other variations of the same product, still unlabelled, now suggest the corrected value.
  const rest = [];
  for (let v = 1; v < variations.length; v++) {
    const id = await duplicateId(2, v);
    if (!ids.includes(id)) rest.push(id);
  }
  const now = await Promise.all(rest.map(suggestionOf));
  assert.ok(now.filter((s) => s === value).length >= 1, JSON.stringify(now));
});

test("POST /submit-feedback-bulk with a stale expected_value skips every row and stores nothing", async () => {
  const id = await duplicateId(1, 1);
  const [{ before }] = await db.query<{ before: number }>(sql`SELECT count(*)::int AS before FROM feedback`);
  const stale = await json<BulkFeedbackResult>(
    bulk({ product_ids: [id], approved: true, expected_value: "not what the row suggests" }),
    201,
  );
  assert.equal(stale.count, 0);
  assert.deepEqual(stale.skipped, [{
    product_id: id,
    reason: "suggestion_changed",
    current_suggestion: await suggestionOf(id),
  }]);
  const [{ now }] = await db.query<{ now: number }>(sql`SELECT count(*)::int AS now FROM feedback`);
  assert.equal(now, before);
});

test("POST /submit-feedback-bulk skips rows of an import that is not imported, and decides none of them", async () => {
  const [reading] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, writer) VALUES ('half-read.csv', 'importing', 'other-host:1:x')
    RETURNING id`);
  const rows = await db.query<{ id: number }>(sql`
    INSERT INTO products (import_id, row_number, data, text)
    SELECT ${reading.id}, n, '{}'::jsonb, 'half read ' || n FROM generate_series(1, 2) AS n RETURNING id`);
  const ids = rows.map((row) => row.id);
  const result = await json<BulkFeedbackResult>(
    bulk({ product_ids: ids, approved: false, corrected_text: "decided too early", expected_value: "x" }),
    201,
  );
  assert.deepEqual(
    result.skipped.map((row) => [row.product_id, row.reason]),
    ids.map((id) => [id, "not_imported"]),
  );
  const [{ decided }] = await db.query<{ decided: number }>(sql`
    SELECT count(*)::int AS decided FROM feedback WHERE product_id = ANY(${ids}::int[])`);
  assert.equal(decided, 0);
});

test("GET /products/:id/similar with import_id keeps the group inside that import", async () => {
  // One product offered in two later supplier files: near-identical titles, no labels, two imports.
  const offered = pool.slice(300).find((row) => row.title.length > 30 && !products.includes(row))!;
  const upload = async (name: string, suffixes: string[]) => {
    const response = await app.request(`/upload-csv?file_name=${name}`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: toCsv(
        suffixes.map((suffix, v) => ({
          ...offered,
          id: `${name}-${v}`,
          title: `${offered.title} ${suffix}`,
          category: "",
        })),
      ),
    });
    const answer = await response.json() as ImportCreated;
    assert.equal(response.status, 201, JSON.stringify(answer));
    return answer.import_id;
  };
  const first = await upload("third-supplier.csv", ["", "in stock", "new"]);
  const second = await upload("fourth-supplier.csv", ["warehouse", "clearance", "sale"]);
  const worker = await startTestWorker(db);
  await worker.idle();
  await worker.stop();
  const [anchor] = await db.query<{ id: number }>(sql`
    SELECT id FROM products WHERE import_id = ${first} ORDER BY row_number LIMIT 1`);

  const everywhere = await json<SimilarRows>(
    app.request(`/products/${anchor.id}/similar?min_similarity=0.7`),
    200,
  );
  assert.equal(everywhere.import_id, null);
  const imports = new Set(everywhere.rows.map((row) => row.import_id));
  assert.deepEqual([imports.has(first), imports.has(second)], [true, true], JSON.stringify(everywhere.rows));

  for (const scope of [first, second]) {
    const scoped = await json<SimilarRows>(
      app.request(`/products/${anchor.id}/similar?min_similarity=0.7&import_id=${scope}`),
      200,
    );
    assert.equal(scoped.import_id, scope);
    assert.deepEqual(
      scoped.rows.map((row) => row.product_id),
      everywhere.rows.filter((row) => row.import_id === scope).map((row) => row.product_id),
    );
  }
  const refused = await json<ApiError>(app.request(`/products/${anchor.id}/similar?import_id=0`), 422);
  assert.equal(refused.error.status, 422);
});
