/**
 * POST /submit-feedback against the real database, the real worker and the real embedding model:
 * approvals, corrections, history, reviewers, refusals, and the neighbours' suggestions a decision moves.
 */
import { type SignedInApp, signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type {
  ApiError,
  DecisionPage,
  FeedbackSaved,
  ImportCreated,
  ReviewItem,
  ReviewPage,
} from "../../contract/schemas.ts";
import type { Database } from "../../core/db/database.ts";
import { sql } from "../../core/db/sql.ts";
import {
  datasetRows,
  openTestDatabase,
  startTestWorker,
  TEST_MODEL_ID,
  toCsv,
} from "../../testing/testing.ts";
import type { WorkerHandle } from "../../core/worker/worker_loop.ts";
import { NeighbourRefresher } from "../../core/review/neighbour_refresh.ts";

type App = SignedInApp;
type Row = Record<string, string>;

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A fresh database with `rows` imported (label column `category`) and embedded by a running worker. */
async function setup(
  rows: Row[],
): Promise<{ db: Database; app: App; created: ImportCreated; worker: WorkerHandle }> {
  const db = await openTestDatabase();
  cleanups.push(() => db.close());
  const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 });
  const response = await app.request("/upload-csv?label_column=category", {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: toCsv(rows),
  });
  const created = await response.json() as ImportCreated;
  assert.equal(response.status, 201, JSON.stringify(created));
  const worker = await startTestWorker(db);
  cleanups.push(() => worker.stop());
  await worker.idle();
  return { db, app, created, worker };
}

const catalogue = datasetRows(150).map((row, index) => ({
  ...row,
  category: index % 3 === 2 ? "" : row.category,
}));
const main = await setup(catalogue);
const { db, app } = main;

function submit(body: unknown, headers: Record<string, string> = {}, target: App = app): Promise<Response> {
  return Promise.resolve(target.request("/submit-feedback", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }));
}

async function saved(response: Response): Promise<FeedbackSaved> {
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  return body as FeedbackSaved;
}

/** Checks an error answer: status, the one error shape, and the message. */
async function assertError(response: Response, status: number, message: RegExp): Promise<ApiError> {
  const body = await response.json() as ApiError;
  assert.equal(response.status, status, JSON.stringify(body));
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.equal(body.error.status, status);
  assert.match(body.error.message, message);
  return body;
}

/** Takes the next unreviewed products of the queue, each with a suggestion. */
async function nextItems(count: number): Promise<ReviewItem[]> {
  const response = await app.request(`/products-for-review?limit=${count}`);
  const page = await response.json() as ReviewPage;
  assert.equal(page.items.length, count);
  assert.ok(page.items.every((item) => item.suggestion !== null));
  return page.items;
}

async function feedbackOf(productId: number) {
  return await db.query<Row & { approved: boolean; corrected_text: string | null }>(sql`
    SELECT approved, corrected_text, value, suggested_value, reviewer
    FROM feedback WHERE product_id = ${productId} ORDER BY id`);
}

async function labelOf(productId: number) {
  return (await db.query<{ value: string; source: string }>(sql`
    SELECT value, source FROM product_labels WHERE product_id = ${productId}`))[0];
}

async function feedbackCount(): Promise<number> {
  return (await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM feedback`))[0].n;
}

test("POST /submit-feedback approval stores the suggestion as the product's value, approved", async () => {
  const [item] = await nextItems(1);
  const before = (await (await app.request("/products-for-review")).json() as ReviewPage).total;
  const body = await saved(await submit({ product_id: item.product_id, approved: true }));
  assert.deepEqual(
    { feedback_id: typeof body.feedback_id, product_id: body.product_id, value: body.value },
    { feedback_id: "number", product_id: item.product_id, value: item.suggestion },
  );
  assert.ok(body.refreshed_neighbours > 0);
  assert.deepEqual(await feedbackOf(item.product_id), [
    {
      approved: true,
      corrected_text: null,
      value: item.suggestion,
      suggested_value: item.suggestion,
      reviewer: app.name,
    },
  ]);
  const [{ confidence }] = await db.query<{ confidence: number }>(sql`
    SELECT suggested_confidence AS confidence FROM feedback WHERE id = ${body.feedback_id}`);
  assert.equal(confidence, item.confidence);
  assert.deepEqual(await labelOf(item.product_id), { value: item.suggestion, source: "human" });
  const after = await (await app.request("/products-for-review?limit=200")).json() as ReviewPage;
  assert.equal(after.total, before - 1);
  assert.ok(!after.items.some((queued) => queued.product_id === item.product_id));
});

test("POST /submit-feedback approval stores the value the card showed, though the row was re-scored since", async () => {
  const [shown, current] = await nextItems(2);
  // The row's suggestion moves after its card was shown (as a neighbour's decision re-scores it).
  const moved = `${shown.suggestion} (re-scored)`;
  await db.query(sql`UPDATE suggestions SET value = ${moved} WHERE product_id = ${shown.product_id}`);
  const body = await saved(
    await submit({ product_id: shown.product_id, approved: true, expected_value: shown.suggestion }),
  );
  assert.equal(body.value, shown.suggestion);
  assert.deepEqual(await labelOf(shown.product_id), { value: shown.suggestion, source: "human" });
  const [stored] = await db.query<{ suggested_value: string; suggested_confidence: number | null }>(sql`
    SELECT suggested_value, suggested_confidence FROM feedback WHERE id = ${body.feedback_id}`);
  assert.deepEqual(stored, { suggested_value: shown.suggestion, suggested_confidence: null });

  // Unchanged: expected_value equal to the suggestion keeps its confidence. Read again here: the decision
  // above re-scored its nearest rows, and `current` may be one of them.
  const [now] = await db.query<{ value: string; confidence: number }>(sql`
    SELECT value, confidence FROM suggestions WHERE product_id = ${current.product_id}`);
  const same = await saved(
    await submit({ product_id: current.product_id, approved: true, expected_value: now.value }),
  );
  const [kept] = await db.query<{ suggested_confidence: number }>(sql`
    SELECT suggested_confidence FROM feedback WHERE id = ${same.feedback_id}`);
  assert.equal(kept.suggested_confidence, now.confidence);
});

test("POST /submit-feedback correction stores the trimmed corrected_text as the value", async () => {
  const [item] = await nextItems(1);
  const body = await saved(
    await submit({ product_id: item.product_id, approved: false, corrected_text: "  Camera Lenses  " }),
  );
  assert.equal(body.value, "Camera Lenses");
  assert.deepEqual(await feedbackOf(item.product_id), [
    {
      approved: false,
      corrected_text: "Camera Lenses",
      value: "Camera Lenses",
      suggested_value: item.suggestion,
      reviewer: app.name,
    },
  ]);
  assert.deepEqual(await labelOf(item.product_id), { value: "Camera Lenses", source: "human" });
});

test("POST /submit-feedback keeps every decision and the latest one is the product's label", async () => {
  const [item] = await nextItems(1);
  const first = await saved(
    await submit({ product_id: item.product_id, approved: false, corrected_text: "mice" }),
  );
  const second = await saved(
    await submit({ product_id: item.product_id, approved: false, corrected_text: "trackballs" }),
  );
  assert.ok(second.feedback_id > first.feedback_id);
  assert.deepEqual((await feedbackOf(item.product_id)).map((row) => row.value), ["mice", "trackballs"]);
  assert.deepEqual(await labelOf(item.product_id), { value: "trackballs", source: "human" });
  // An approval after that takes the suggestion shown, and becomes the label in turn.
  await saved(await submit({ product_id: item.product_id, approved: true }));
  assert.deepEqual((await feedbackOf(item.product_id)).map((row) => [row.approved, row.value]), [
    [false, "mice"],
    [false, "trackballs"],
    [true, item.suggestion],
  ]);
  assert.deepEqual(await labelOf(item.product_id), { value: item.suggestion, source: "human" });
});

test("POST /submit-feedback on a seed-labelled product replaces the seed label with the human one", async () => {
  const [seeded] = await db.query<{ id: number; seed_label: string }>(sql`
    SELECT products.id, products.seed_label FROM products
    JOIN product_labels ON product_labels.product_id = products.id AND product_labels.source = 'seed'
    ORDER BY products.id LIMIT 1`);
  await saved(
    await submit({ product_id: seeded.id, approved: false, corrected_text: `${seeded.seed_label} (fixed)` }),
  );
  assert.deepEqual(await labelOf(seeded.id), { value: `${seeded.seed_label} (fixed)`, source: "human" });
  const [{ seed_label }] = await db.query<{ seed_label: string }>(sql`
    SELECT seed_label FROM products WHERE id = ${seeded.id}`);
  assert.equal(seed_label, seeded.seed_label, "the file's value stays as it was imported");
});

test("POST /submit-feedback stores the signed-in account as the reviewer, whatever name the request carries", async () => {
  const items = await nextItems(3);
  const cases: [Record<string, unknown>, Record<string, string>][] = [
    [{}, {}],
    [{ reviewer: "mallory" }, {}],
    [{}, { "x-reviewer": "mallory" }],
  ];
  for (const [index, [extra, headers]] of cases.entries()) {
    const item = items[index];
    await saved(await submit({ product_id: item.product_id, approved: true, ...extra }, headers));
    assert.deepEqual((await feedbackOf(item.product_id)).map((row) => row.reviewer), [app.name]);
  }
});

test("POST /submit-feedback answers 404 for an unknown product and stores nothing", async () => {
  const before = await feedbackCount();
  await assertError(
    await submit({ product_id: 99_999_999, approved: false, corrected_text: "mice" }),
    404,
    /^Cannot store feedback: no product with id 99999999$/,
  );
  await assertError(
    await submit({ product_id: 99_999_999, approved: true }),
    404,
    /no product with id 99999999/,
  );
  assert.equal(await feedbackCount(), before);
});

test("POST /submit-feedback refuses a correction without corrected_text with 422 and stores nothing", async () => {
  const [item] = await nextItems(1);
  const before = await feedbackCount();
  for (const corrected of [undefined, null, "", "   "]) {
    await assertError(
      await submit({ product_id: item.product_id, approved: false, corrected_text: corrected }),
      422,
      /^Cannot store a correction without corrected_text$/,
    );
  }
  assert.equal(await feedbackCount(), before);
  assert.equal(await labelOf(item.product_id), undefined);
});

test("POST /submit-feedback refuses other body types (415), malformed JSON (400) and bad fields (422)", async () => {
  const [item] = await nextItems(1);
  const before = await feedbackCount();
  const valid = JSON.stringify({ product_id: item.product_id, approved: true });
  await assertError(
    await submit(valid, { "content-type": "text/plain" }),
    415,
    /^Cannot read a body of type "text\/plain": send application\/json$/,
  );
  await assertError(
    await app.request("/submit-feedback", { method: "POST", body: new Uint8Array([1, 2]) }),
    415,
    /type "none"/,
  );
  await assertError(await submit("{product_id: 1,"), 400, /^Request body is not valid JSON$/);
  await assertError(await submit(""), 400, /^Request body is not valid JSON$/);
  await assertError(
    await submit(
      JSON.stringify({ product_id: item.product_id, approved: false, corrected_text: "x".repeat(70_000) }),
    ),
    413,
    /over 65536 bytes/,
  );
  for (
    const [body, field] of [
      [{ product_id: String(item.product_id), approved: true }, "product_id"],
      [{ product_id: -1, approved: true }, "product_id"],
      [{ product_id: 1.5, approved: true }, "product_id"],
      [{ approved: true }, "product_id"],
      [{ product_id: item.product_id, approved: "yes" }, "approved"],
      [{ product_id: item.product_id }, "approved"],
      [{ product_id: item.product_id, approved: false, corrected_text: 42 }, "corrected_text"],
      [{ product_id: item.product_id, approved: false, corrected_text: "x".repeat(501) }, "corrected_text"],
    ] as const
  ) {
    const error = await assertError(await submit(body), 422, new RegExp(`^Invalid feedback: ${field}: `));
    assert.ok(error.error.details?.some((detail) => detail.startsWith(`${field}: `)), JSON.stringify(body));
  }
  const array = await assertError(await submit("[1, 2]"), 422, /^Invalid feedback: /);
  assert.ok(array.error.details!.length > 0);
  assert.equal(await feedbackCount(), before);
  assert.equal(await labelOf(item.product_id), undefined);
});

test("POST /submit-feedback: a correction to a new value at once becomes the suggestion of near-duplicate rows", async () => {
  // A small catalogue: one labelled product per category, a product with two near duplicates, other rows.
  const pool = datasetRows(600);
  const camera = pool.find((row) => row.category === "point shoot digital cameras" && row.title.length > 30)!;
  const labelledRows = new Map<string, Row>();
  for (const row of pool) {
    if (row.category && row.category !== camera.category && !labelledRows.has(row.category)) {
      labelledRows.set(row.category, { ...row });
    }
    if (labelledRows.size === 12) break;
  }
  const others = pool.filter((row) => !row.category).slice(0, 10).map((row) => ({ ...row }));
  const cluster = [
    { ...camera, category: "" },
    { ...camera, id: "dup-1", title: `${camera.title} - refurbished`, category: "" },
    { ...camera, id: "dup-2", title: `new ${camera.title} bundle`, category: "" },
  ];
  const { db: local, app: localApp, created } = await setup([
    ...labelledRows.values(),
    ...others,
    ...cluster,
  ]);
  const clusterIds = await local.query<{ id: number; row_number: number }>(sql`
    SELECT id, row_number FROM products WHERE import_id = ${created.import_id} AND data->>'id' = ANY(${[
    camera.id,
    "dup-1",
    "dup-2",
  ]}::text[]) ORDER BY row_number`);
  assert.equal(clusterIds.length, 3);
  const [target, ...duplicates] = clusterIds.map((row) => row.id);
  const suggestionsOf = async () =>
    await local.query<{ product_id: number; value: string; updated_at: number }>(sql`
      SELECT product_id, value, extract(epoch FROM updated_at)::float8 AS updated_at FROM suggestions
      WHERE product_id = ANY(${duplicates}::int[]) ORDER BY product_id`);
  const before = await suggestionsOf();
  assert.equal(before.length, 2, "the duplicates had a suggestion before");
  const newValue = "Compact cameras (reviewed)";
  assert.ok(before.every((row) => row.value !== newValue));
  const [{ known }] = await local.query<{ known: number }>(sql`
    SELECT count(*)::int AS known FROM product_labels WHERE value = ${newValue}`);
  assert.equal(known, 0, "nobody has the new value yet");

  const body = await saved(
    await submit({ product_id: target, approved: false, corrected_text: newValue }, {}, localApp),
  );
  assert.ok(body.refreshed_neighbours >= 2);
  const afterwards = await suggestionsOf();
  assert.deepEqual(
    afterwards.map((row) => [row.product_id, row.value]),
    duplicates.map((id) => [id, newValue]),
    "both near duplicates now suggest the new value",
  );
  afterwards.forEach((row, index) => assert.ok(row.updated_at > before[index].updated_at));
  // And the review queue shows it right away.
  const page = await (await localApp.request("/products-for-review?limit=200")).json() as ReviewPage;
  const shown = page.items.filter((item) => duplicates.includes(item.product_id));
  assert.ok(shown.some((item) => item.suggestion === newValue && item.source === "knn"));
  assert.ok(!page.items.some((item) => item.product_id === target));
});

test("POST /submit-feedback refuses a body over 64 KiB with 413", async () => {
  const db = await openTestDatabase();
  cleanups.push(() => db.close());
  const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1_000_000 });
  const response = await app.request("/submit-feedback", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ product_id: 1, approved: false, corrected_text: "x".repeat(70_000) }),
  });
  assert.equal(response.status, 413);
  const body = await response.json();
  assert.equal(body.error.status, 413);
  const [{ count }] = await db.query<{ count: number }>(sql`SELECT count(*)::int AS count FROM feedback`);
  assert.equal(count, 0);
});

test("POST /submit-feedback with expected_feedback_id: a decision made meanwhile is reported as a conflict, not replaced", async () => {
  const [item] = await nextItems(1);
  const deps = { db, modelId: TEST_MODEL_ID, maxUploadBytes: 1_000_000 };
  const alice = await signedInApp(deps, { name: "alice", role: "reviewer" });
  const bob = await signedInApp(deps, { name: "bob", role: "reviewer" });
  // Two reviewers were shown the same undecided card; alice decides first.
  const first = await saved(
    await submit(
      {
        product_id: item.product_id,
        approved: false,
        corrected_text: "mice",
        expected_feedback_id: null,
      },
      {},
      alice,
    ),
  );
  const before = await feedbackCount();
  const conflict = await assertError(
    await submit({ product_id: item.product_id, approved: true, expected_feedback_id: null }, {}, bob),
    409,
    /alice corrected product \d+ as "mice" meanwhile/,
  );
  assert.equal(conflict.error.current_decision?.feedback_id, first.feedback_id);
  assert.equal(conflict.error.current_decision?.reviewer, "alice");
  assert.equal(conflict.error.current_decision?.value, "mice");
  assert.equal(await feedbackCount(), before, "bob's decision is not stored");
  assert.deepEqual(await labelOf(item.product_id), { value: "mice", source: "human" });
  // Bob, told, replaces alice's decision knowingly: he names the decision he saw.
  const replaced = await saved(
    await submit(
      {
        product_id: item.product_id,
        approved: false,
        corrected_text: "trackballs",
        expected_feedback_id: first.feedback_id,
      },
      {},
      bob,
    ),
  );
  assert.ok(replaced.feedback_id > first.feedback_id);
  assert.deepEqual(await labelOf(item.product_id), { value: "trackballs", source: "human" });
});

test("POST /submit-feedback with a decision_key stores a retried decision once and answers it again with 200", async () => {
  const [item, other] = await nextItems(2);
  const key = crypto.randomUUID();
  const body = { product_id: item.product_id, approved: true, expected_feedback_id: null, decision_key: key };
  const first = await saved(await submit(body));
  // The answer was lost; the browser sends the same decision again (with the same conflict check).
  const again = await submit(body);
  assert.equal(again.status, 200);
  const replay = await again.json() as FeedbackSaved;
  assert.equal(replay.feedback_id, first.feedback_id);
  assert.equal(replay.value, first.value);
  assert.equal((await feedbackOf(item.product_id)).length, 1, "one decision stored");
  // Sent at once twice (two connections), it is still stored once.
  const key2 = crypto.randomUUID();
  const both = await Promise.all(
    [1, 2].map(() =>
      submit({ product_id: other.product_id, approved: true, expected_feedback_id: null, decision_key: key2 })
    ),
  );
  assert.deepEqual(both.map((response) => response.status).sort(), [200, 201]);
  assert.equal((await feedbackOf(other.product_id)).length, 1);
  // A key is one decision: used for another product, it is refused.
  await assertError(
    await submit({ product_id: other.product_id, approved: true, decision_key: key }),
    409,
    /decision_key .* was used for product/,
  );
});

test("POST /submit-feedback with a NeighbourRefresher answers before re-scoring the neighbours, which follows in one batch", async () => {
  const local = await setup(
    datasetRows(90).map((row, index) => ({
      ...row,
      category: index % 3 === 2 ? "" : row.category,
    })),
  );
  const neighbours = new NeighbourRefresher(local.db, { modelId: TEST_MODEL_ID });
  const deferredApp = await signedInApp({
    db: local.db,
    modelId: TEST_MODEL_ID,
    maxUploadBytes: 1024 * 1024,
    neighbours,
  });
  const page = await (await deferredApp.request("/products-for-review?limit=5")).json() as ReviewPage;
  const value = "Reviewed in a batch";
  const answers = await Promise.all(page.items.map(async (item) =>
    await saved(
      await submit({ product_id: item.product_id, approved: false, corrected_text: value }, {}, deferredApp),
    )
  ));
  assert.ok(answers.every((answer) => answer.refreshed_neighbours === 0), "not re-scored before answering");
  await neighbours.idle();
  assert.ok(neighbours.refreshed >= 5, `re-scored ${neighbours.refreshed} rows`);
  assert.ok(neighbours.batches < 5, `${neighbours.batches} batches for 5 decisions sent at once`);
  const [{ suggesting }] = await local.db.query<{ suggesting: number }>(sql`
    SELECT count(*)::int AS suggesting FROM suggestions WHERE value = ${value}`);
  assert.ok(suggesting > 0, "the new value reached the neighbours");
  await neighbours.close();
});

test("POST /feedback/:id/undo walks a row back through its decisions to the queue, keeping and auditing the history", async () => {
  const [item] = await nextItems(1);
  const undo = (id: number) => Promise.resolve(app.request(`/feedback/${id}/undo`, { method: "POST" }));
  const first = await saved(await submit({ product_id: item.product_id, approved: true }));
  const second = await saved(
    await submit({ product_id: item.product_id, approved: false, corrected_text: "changed my mind" }),
  );

  // Only the latest decision can be withdrawn: the older one is refused with the one standing.
  const refused = await assertError(await undo(first.feedback_id), 409, /undo that one first/);
  assert.equal(refused.error.current_decision?.feedback_id, second.feedback_id);

  const back = await app.request(`/feedback/${second.feedback_id}/undo`, { method: "POST" });
  assert.equal(back.status, 200);
  assert.deepEqual(await back.json(), {
    feedback_id: second.feedback_id,
    product_id: item.product_id,
    withdrawn_value: "changed my mind",
    label: first.value,
    label_source: "human",
  });
  assert.deepEqual(await labelOf(item.product_id), { value: first.value, source: "human" });
  await assertError(await undo(second.feedback_id), 409, /withdrawn already/);

  const none = await (await undo(first.feedback_id)).json();
  assert.deepEqual([none.label, none.label_source], [null, null]);
  assert.equal(await labelOf(item.product_id), undefined);
  const [{ waiting }] = await db.query<{ waiting: number }>(sql`
    SELECT count(*)::int AS waiting FROM review_queue WHERE product_id = ${item.product_id}`);
  assert.equal(waiting, 1, "the row waits for review again");

  // The history stays: both decisions, each marked withdrawn, each withdrawal audited.
  assert.equal((await feedbackOf(item.product_id)).length, 2);
  const withdrawn = await db.query<{ feedback_id: number }>(sql`
    SELECT feedback_id FROM feedback_withdrawals WHERE feedback_id = ANY(${[
    first.feedback_id,
    second.feedback_id,
  ]}::int[])
    ORDER BY feedback_id`);
  assert.deepEqual(withdrawn.map((row) => row.feedback_id), [first.feedback_id, second.feedback_id]);
  const audited = await db.query<{ feedback_id: number }>(sql`
    SELECT (details->>'feedback_id')::int AS feedback_id FROM audit_log
    WHERE kind = 'feedback.undo' AND (details->>'product_id')::int = ${item.product_id} ORDER BY id`);
  assert.deepEqual(audited.map((row) => row.feedback_id), [second.feedback_id, first.feedback_id]);

  // Undecided again: a card's decision (expected_feedback_id null) is no conflict with withdrawn ones.
  await saved(await submit({ product_id: item.product_id, approved: true, expected_feedback_id: null }));
});

test("GET /decisions lists each row's standing decision newest first, for changing or undoing it later", async () => {
  const [a, b, c] = await nextItems(3);
  const other = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
  const first = await saved(await submit({ product_id: a.product_id, approved: true }));
  const byOther = await saved(await submit({ product_id: b.product_id, approved: true }, {}, other));
  const third = await saved(
    await submit({ product_id: c.product_id, approved: false, corrected_text: "oops" }),
  );
  // A's decision changed later, from the list: the one shown is the one replaced.
  const changed = await saved(
    await submit({
      product_id: a.product_id,
      approved: false,
      corrected_text: "changed later",
      expected_feedback_id: first.feedback_id,
    }),
  );
  assert.equal((await app.request(`/feedback/${third.feedback_id}/undo`, { method: "POST" })).status, 200);

  const list = async (query: string) => {
    const response = await app.request(`/decisions?${query}`);
    const body = await response.json() as DecisionPage;
    assert.equal(response.status, 200, JSON.stringify(body));
    return body;
  };
  const mine = (page: DecisionPage) =>
    page.items.filter((entry) => [a, b, c].some((item) => item.product_id === entry.product_id));
  const all = await list("limit=200");
  // Superseded (A's first) and withdrawn (C's) decisions are history, not listed; newest first.
  assert.deepEqual(mine(all).map((entry) => [entry.feedback_id, entry.value, entry.reviewer]), [
    [changed.feedback_id, "changed later", app.name],
    [byOther.feedback_id, byOther.value, other.name],
  ]);
  const entry = mine(all)[0];
  assert.deepEqual([entry.text, entry.import_id, entry.row_number], [a.text, a.import_id, a.row_number]);
  assert.ok(all.items.every((row, at) => at === 0 || all.items[at - 1].feedback_id > row.feedback_id));
  assert.equal(all.next_before, null);

  // Paged by `before`, the same list; filtered by reviewer and import.
  const walked: number[] = [];
  for (let before: number | null = -1; before !== null;) {
    const page: DecisionPage = await list(`limit=2${before > 0 ? `&before=${before}` : ""}`);
    walked.push(...page.items.map((row) => row.feedback_id));
    before = page.next_before;
  }
  assert.deepEqual(walked, all.items.map((row) => row.feedback_id));
  assert.deepEqual(
    (await list(`limit=200&reviewer=${encodeURIComponent(other.name)}`)).items.map((row) => row.feedback_id),
    [byOther.feedback_id],
  );
  assert.deepEqual((await list(`limit=200&import_id=${a.import_id + 1000}`)).items, []);
  await assertError(await app.request("/decisions?limit=0"), 422, /^Invalid query: limit: /);
});

test("POST /feedback/:id/undo gives a seed-labelled row its seed label back; 404 unknown, 422 bad id", async () => {
  const [seeded] = await db.query<{ id: number; seed_label: string }>(sql`
    SELECT products.id, products.seed_label FROM products
    JOIN product_labels ON product_labels.product_id = products.id AND product_labels.source = 'seed'
    ORDER BY products.id DESC LIMIT 1`);
  const decision = await saved(
    await submit({ product_id: seeded.id, approved: false, corrected_text: `${seeded.seed_label} (wrong)` }),
  );
  const answer = await app.request(`/feedback/${decision.feedback_id}/undo`, { method: "POST" });
  assert.equal(answer.status, 200);
  assert.deepEqual(await labelOf(seeded.id), { value: seeded.seed_label, source: "seed" });
  await assertError(
    await app.request("/feedback/2000000000/undo", { method: "POST" }),
    404,
    /no such decision/,
  );
  assert.equal((await app.request("/feedback/0/undo", { method: "POST" })).status, 422);
});

test("GET /label-values lists the values rows carry, most used first, and the taxonomy's names", async () => {
  const taxonomy = await app.request("/upload-taxonomy", {
    method: "POST",
    headers: { "content-type": "text/plain" },
    body: "a name only the taxonomy has\n",
  });
  assert.equal(taxonomy.status, 201, await taxonomy.text());
  const response = await app.request("/label-values");
  assert.equal(response.status, 200);
  const listed = await response.json() as { value: string; labelled: number; in_taxonomy: boolean }[];
  const expected = await db.query<{ value: string; labelled: number }>(sql`
    SELECT value, count(*)::int AS labelled FROM product_labels WHERE source <> 'auto'
    GROUP BY value ORDER BY count(*) DESC, value`);
  assert.deepEqual(
    listed.filter((entry) => !entry.in_taxonomy).map(({ value, labelled }) => ({ value, labelled })),
    expected,
  );
  assert.deepEqual(listed.at(-1), { value: "a name only the taxonomy has", labelled: 0, in_taxonomy: true });
});

test("a decision's neighbour batch survives the process: recorded with the decision, drained by the next start", async () => {
  // A refresher that never runs its batch: the process "dies" right after answering.
  const dead = new NeighbourRefresher(db, { modelId: TEST_MODEL_ID });
  await dead.close();
  const dyingApp = await signedInApp({
    db,
    modelId: TEST_MODEL_ID,
    maxUploadBytes: 1024 * 1024,
    neighbours: dead,
  });
  const [item] = await nextItems(1);
  const answer = await saved(
    await submit(
      { product_id: item.product_id, approved: false, corrected_text: "recorded before the crash" },
      {},
      dyingApp,
    ),
  );
  const recorded = await db.query<{ product_id: number }>(sql`SELECT product_id FROM neighbour_refresh`);
  assert.deepEqual(recorded, [{ product_id: answer.product_id }]);

  // The next start's refresher drains it: the neighbours are re-scored, the record is gone.
  const [{ before }] = await db.query<{ before: string }>(sql`SELECT clock_timestamp()::text AS before`);
  const next = new NeighbourRefresher(db, { modelId: TEST_MODEL_ID });
  next.nudge();
  await next.idle();
  assert.ok(next.refreshed > 0, `re-scored ${next.refreshed} rows`);
  assert.deepEqual(await db.query(sql`SELECT product_id FROM neighbour_refresh`), []);
  const [{ rescored }] = await db.query<{ rescored: number }>(sql`
    SELECT count(*)::int AS rescored FROM suggestions WHERE updated_at >= ${before}::timestamptz`);
  assert.ok(rescored >= next.refreshed, `${rescored} rows written again, ${next.refreshed} counted`);
  await next.close();
});
