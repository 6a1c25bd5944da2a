/**
 * GET /products-for-review and GET /imports against the real database, the real worker and the real
 * embedding model. The tests run in order and build on each other: an unlabelled import with no labels
 * anywhere, one human correction, then an import with seed labels.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type {
  ApiError,
  FeedbackSaved,
  ImportCreated,
  ImportProgress,
  ReviewPage,
} from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { QUEUE_DENSITY_POWER } from "../../core/suggest/review_rank.ts";
import {
  datasetRows,
  openTestDatabase,
  startTestWorker,
  TEST_MODEL_ID,
  toCsv,
} from "../../testing/testing.ts";
import type { WorkerHandle } from "../../core/worker/worker_loop.ts";

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 10 * 1024 * 1024 });
let worker: WorkerHandle | undefined;

after(async () => {
  await worker?.stop();
  await db.close();
});

async function runWorkerUntilIdle(): Promise<void> {
  worker ??= await startTestWorker(db);
  await worker.idle();
}

async function stopWorker(): Promise<void> {
  await worker?.stop();
  worker = undefined;
}

async function getJson<T>(path: string, status = 200): Promise<T> {
  const response = await app.request(path);
  const body = await response.json();
  assert.equal(response.status, status, JSON.stringify(body));
  return body as T;
}

async function upload(rows: Record<string, string>[], query: string): Promise<ImportCreated> {
  const response = await app.request(`/upload-csv${query}`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: toCsv(rows),
  });
  const body = await response.json();
  assert.equal(response.status, 201, JSON.stringify(body));
  return body as ImportCreated;
}

/**
 * The queue as the database holds it: the embedded, unlabelled rows (read from products, not from
 * review_queue), in the order of their stored key, each key checked against what it stands for:
 * −density × (1 − max(coverage, redundancy)) × (1 − confidence) (migration 0014).
 */
async function expectedQueue(importId: number | null = null): Promise<number[]> {
  const rows = await db.query<{
    id: number;
    priority: number | null;
    confidence: number | null;
    density: number | null;
    coverage: number | null;
    redundancy: number | null;
  }>(sql`
    SELECT products.id, q.rank_priority AS priority, suggestions.confidence, q.density, q.coverage,
           q.redundancy
    FROM products
    JOIN embeddings ON embeddings.product_id = products.id AND embeddings.model_id = ${TEST_MODEL_ID}
    LEFT JOIN suggestions ON suggestions.product_id = products.id
    LEFT JOIN review_queue q ON q.product_id = products.id AND q.model_id = ${TEST_MODEL_ID}
    WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = products.id)
      AND (${importId}::int IS NULL OR products.import_id = ${importId}::int)
    ORDER BY q.rank_priority, coalesce(suggestions.confidence, -1), coalesce(suggestions.margin, -1),
             products.id`);
  for (const row of rows) {
    assert.notEqual(row.priority, null, `product ${row.id} waits in review_queue`);
    // Uncertainty × density^QUEUE_DENSITY_POWER × novelty, written out here rather than imported.
    const value = Math.max(row.density ?? 0, 0) ** QUEUE_DENSITY_POWER *
      (1 - Math.max(row.coverage!, row.redundancy ?? 0)) * (1 - Math.max(row.confidence ?? 0, 0));
    assert.ok(Math.abs(row.priority! + value) < 1e-5, `product ${row.id}: ${row.priority} vs ${-value}`);
  }
  return rows.map((row) => row.id);
}

const walmart = datasetRows(40, "tableA").map((row) => ({ id: row.id, title: row.title, brand: row.brand }));
let unlabelled: ImportCreated;
let labelled: ImportCreated;
const amazon = datasetRows(60).map((row, index) => ({
  ...row,
  category: index % 4 === 3 ? "" : row.category,
}));
/** Row numbers of the Amazon rows without a seed label (every fourth, and those the dataset leaves blank). */
const amazonUnlabelled = amazon.flatMap((row, index) => row.category.trim() === "" ? [index + 1] : []);

test("GET /products-for-review lists only embedded products; with no labels anywhere none has a suggestion", async () => {
  unlabelled = await upload(walmart, "?file_name=walmart.csv");
  assert.equal(unlabelled.labelled_count, 0);
  // Not embedded yet: nothing to review.
  assert.deepEqual(await getJson<ReviewPage>("/products-for-review"), {
    items: [],
    total: 0,
    total_capped: false,
    limit: 20,
    offset: 0,
    next_cursor: null,
  });

  await runWorkerUntilIdle();
  const page = await getJson<ReviewPage>("/products-for-review?limit=200");
  assert.equal(page.total, 40);
  const [{ embedded, suggested }] = await db.query<{ embedded: number; suggested: number }>(sql`
    SELECT (SELECT count(*)::int FROM embeddings WHERE model_id = ${TEST_MODEL_ID}) AS embedded,
           (SELECT count(*)::int FROM suggestions) AS suggested`);
  assert.deepEqual({ embedded, suggested }, { embedded: 40, suggested: 0 });
  // The idle worker measured every row's density: the queue starts with the most typical rows.
  const [{ measured }] = await db.query<{ measured: number }>(sql`
    SELECT count(density)::int AS measured FROM review_queue`);
  assert.equal(measured, 40);
  assert.deepEqual(page.items.map((item) => item.product_id), await expectedQueue());
  assert.deepEqual(
    page.items.map((item) => item.row_number).sort((a, b) => a - b),
    walmart.map((_, index) => index + 1),
  );
  page.items.forEach((item) => {
    const row = walmart[item.row_number - 1];
    assert.deepEqual(
      { import_id: item.import_id, data: item.data, text: item.text, suggestion: item.suggestion },
      { import_id: unlabelled.import_id, data: row, text: row.title, suggestion: null },
    );
    assert.equal(item.confidence, null);
    assert.equal(item.source, null);
  });
});

test("GET /products-for-review after a correction: the row leaves, its 20 neighbours get a kNN suggestion and move", async () => {
  // Stopped, the worker cannot sweep the rows that a new label leaves without a suggestion.
  await stopWorker();
  const [first] = (await getJson<ReviewPage>("/products-for-review?limit=1")).items;
  const noSuggestion = await app.request("/submit-feedback", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ product_id: first.product_id, approved: true }),
  });
  const refused = await noSuggestion.json() as ApiError;
  assert.equal(noSuggestion.status, 422);
  assert.match(
    refused.error.message,
    new RegExp(`Cannot approve product ${first.product_id}: it has no suggestion`),
  );

  const response = await app.request("/submit-feedback", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ product_id: first.product_id, approved: false, corrected_text: "wall mounts" }),
  });
  const saved = await response.json() as FeedbackSaved;
  assert.equal(response.status, 201, JSON.stringify(saved));
  assert.equal(saved.refreshed_neighbours, 20); // the 20 nearest unlabelled rows, at once

  const page = await getJson<ReviewPage>("/products-for-review?limit=200");
  assert.equal(page.total, 39);
  assert.ok(
    !page.items.some((item) => item.product_id === first.product_id),
    "the reviewed row left the queue",
  );
  assert.deepEqual(page.items.map((item) => item.product_id), await expectedQueue());
  const withNone = page.items.filter((item) => item.suggestion === null);
  const withSuggestion = page.items.filter((item) => item.suggestion !== null);
  assert.equal(withNone.length, 19);
  assert.ok(withNone.every((item) => item.confidence === null));
  assert.ok(withSuggestion.every((item) => item.suggestion === "wall mounts" && item.source === "knn"));
  const stored = await db.query<{ product_id: number; confidence: number }>(sql`
    SELECT product_id, confidence FROM suggestions ORDER BY product_id`);
  assert.deepEqual(
    withSuggestion.map((item) => ({ product_id: item.product_id, confidence: item.confidence }))
      .sort((a, b) => a.product_id - b.product_id),
    stored,
  );
  // Their coverage is the similarity of the corrected row, which the kNN vote found.
  const covered = await db.query<{ coverage: number }>(sql`
    SELECT coverage FROM review_queue WHERE product_id = ANY(${stored.map((row) => row.product_id)}::int[])`);
  assert.ok(covered.every((row) => row.coverage > 0 && row.coverage < 1));
});

test("GET /products-for-review leaves seed-labelled rows out and, once swept, shows every row with a suggestion", async () => {
  labelled = await upload(amazon, "?file_name=amazon.csv&label_column=category");
  assert.ok(amazonUnlabelled.length >= 15);
  assert.equal(labelled.labelled_count, 60 - amazonUnlabelled.length);
  await runWorkerUntilIdle();

  const page = await getJson<ReviewPage>("/products-for-review?limit=200");
  assert.equal(page.total, 39 + amazonUnlabelled.length);
  assert.deepEqual(page.items.map((item) => item.product_id), await expectedQueue());
  assert.ok(page.items.every((item) => item.suggestion !== null && item.confidence !== null));
  const seeded = await db.query<{ id: number }>(sql`
    SELECT id FROM products WHERE import_id = ${labelled.import_id} AND seed_label IS NOT NULL`);
  assert.equal(seeded.length, labelled.labelled_count);
  const listed = new Set(page.items.map((item) => item.product_id));
  assert.ok(seeded.every((row) => !listed.has(row.id)), "no seed-labelled row is listed");
});

test("GET /products-for-review pages with limit and offset and filters by import_id", async () => {
  const all = await getJson<ReviewPage>("/products-for-review?limit=200");
  const total = 39 + amazonUnlabelled.length;
  assert.equal(all.total, total);
  const pages: ReviewPage[] = [];
  for (const offset of [0, 7, 14]) {
    pages.push(await getJson<ReviewPage>(`/products-for-review?limit=7&offset=${offset}`));
  }
  assert.deepEqual(pages.map((page) => [page.total, page.limit, page.offset]), [
    [total, 7, 0],
    [total, 7, 7],
    [total, 7, 14],
  ]);
  assert.deepEqual(pages.flatMap((page) => page.items), all.items.slice(0, 21));
  assert.deepEqual(await getJson<ReviewPage>(`/products-for-review?limit=5&offset=${total}`), {
    items: [],
    total,
    total_capped: false,
    limit: 5,
    offset: total,
    next_cursor: null,
  });
  const defaults = await getJson<ReviewPage>("/products-for-review");
  assert.deepEqual([defaults.items.length, defaults.limit, defaults.offset], [20, 20, 0]);

  const filtered = await getJson<ReviewPage>(
    `/products-for-review?import_id=${labelled.import_id}&limit=200`,
  );
  assert.equal(filtered.total, amazonUnlabelled.length);
  assert.deepEqual(filtered.items.map((item) => item.product_id), await expectedQueue(labelled.import_id));
  assert.ok(filtered.items.every((item) => item.import_id === labelled.import_id));
  assert.deepEqual(
    filtered.items.map((item) => item.row_number).sort((a, b) => a - b),
    amazonUnlabelled,
  );
  assert.equal((await getJson<ReviewPage>("/products-for-review?import_id=999")).total, 0);
});

test("GET /products-for-review refuses an invalid query with 422 naming the field", async () => {
  for (
    const [query, field] of [
      ["limit=0", "limit"],
      ["limit=abc", "limit"],
      ["limit=201", "limit"],
      ["limit=1.5", "limit"],
      ["offset=-1", "offset"],
      ["import_id=0", "import_id"],
      ["import_id=x", "import_id"],
    ]
  ) {
    const body = await getJson<ApiError>(`/products-for-review?${query}`, 422);
    assert.equal(body.error.status, 422, query);
    assert.match(body.error.message, new RegExp(`^Invalid query: ${field}: `), query);
    assert.ok(body.error.details?.[0].startsWith(`${field}: `), query);
  }
});

/** Follows next_cursor from the first page of `query` to the end; returns the pages. */
async function walk(query: string, from: string | null = null): Promise<ReviewPage[]> {
  const pages: ReviewPage[] = [];
  let cursor: string | null = from;
  do {
    const page: ReviewPage = await getJson<ReviewPage>(
      `/products-for-review?${query}${cursor === null ? "" : `&cursor=${cursor}`}`,
    );
    pages.push(page);
    cursor = page.next_cursor;
    assert.ok(pages.length < 100, "the cursor never ends");
  } while (cursor !== null);
  return pages;
}

/** Pairs of rows on one page that are near-duplicates (cosine > 0.95). */
async function nearDuplicatePairs(ids: number[]): Promise<number> {
  const [{ pairs }] = await db.query<{ pairs: number }>(sql`
    SELECT count(*)::int AS pairs FROM embeddings x JOIN embeddings y ON x.product_id < y.product_id
    WHERE x.product_id = ANY(${ids}::int[]) AND y.product_id = ANY(${ids}::int[])
      AND 1 - (x.embedding <=> y.embedding) > 0.95`);
  return pairs;
}

test("GET /products-for-review pages by cursor through the whole queue without duplicates or gaps", async () => {
  const expected = await expectedQueue();
  const pages = await walk("limit=7");
  const ids = pages.flatMap((page) => page.items.map((item) => item.product_id));
  assert.equal(new Set(ids).size, ids.length, "no row twice");
  assert.deepEqual([...ids].sort((a, b) => a - b), [...expected].sort((a, b) => a - b), "every row once");
  assert.ok(pages.slice(0, -1).every((page) => page.items.length === 7));
  assert.equal(pages.at(-1)!.next_cursor, null);
  for (const page of pages) {
    assert.equal(await nearDuplicatePairs(page.items.map((item) => item.product_id)), 0);
    assert.equal(page.total, expected.length);
  }
  // The first page by cursor is the first page by offset: old clients and new see the same queue.
  const byOffset = await getJson<ReviewPage>("/products-for-review?limit=7&offset=0");
  assert.deepEqual(byOffset.items, pages[0].items);
  // A cursor from an offset page continues after everything up to that page.
  const deep = await getJson<ReviewPage>("/products-for-review?limit=7&offset=7");
  const after = await walk("limit=7", deep.next_cursor);
  const rest = [...deep.items, ...after.flatMap((page) => page.items)].map((item) => item.product_id);
  assert.deepEqual(
    [...rest, ...byOffset.items.map((item) => item.product_id)].sort((a, b) => a - b),
    [...expected].sort((a, b) => a - b),
  );
});

test("GET /products-for-review filters by confidence range, text and import, combined and by cursor", async () => {
  const rows = await db.query<{ id: number; import_id: number; text: string; confidence: number | null }>(sql`
    SELECT products.id, products.import_id, products.text, suggestions.confidence FROM products
    JOIN embeddings ON embeddings.product_id = products.id
    LEFT JOIN suggestions ON suggestions.product_id = products.id
    WHERE NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = products.id)`);
  const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);
  const listed = async (query: string) =>
    sorted((await walk(`limit=5&${query}`)).flatMap((page) => page.items.map((item) => item.product_id)));

  const confidences = rows.map((row) => row.confidence!).sort((a, b) => a - b);
  const [low, high] = [confidences[5], confidences[confidences.length - 6]];
  const inRange = rows.filter((row) => row.confidence! >= low && row.confidence! <= high);
  assert.ok(inRange.length > 10 && inRange.length < rows.length);
  assert.deepEqual(
    await listed(`min_confidence=${low}&max_confidence=${high}`),
    sorted(inRange.map((row) => row.id)),
  );
  assert.deepEqual(
    await listed("min_confidence=1"),
    sorted(rows.filter((row) => row.confidence === 1).map((r) => r.id)),
  );

  // A word of one row's text, as a whole word and as its beginning, in any case.
  const word = rows.map((row) => row.text.split(/\s+/).find((w) => /^[a-z]{5,}$/i.test(w))).find(Boolean)!;
  const containing = (prefix: string) =>
    rows.filter((row) => new RegExp(`(^|[^\\p{L}\\p{N}])${prefix}`, "iu").test(row.text)).map((row) =>
      row.id
    );
  assert.ok(containing(word).length >= 1);
  assert.deepEqual(await listed(`q=${encodeURIComponent(word.toUpperCase())}`), sorted(containing(word)));
  const prefix = word.slice(0, 4).toLowerCase();
  assert.deepEqual(await listed(`q=${prefix}`), sorted(containing(prefix)));
  assert.deepEqual(await listed("q=zzqqxxnotaword"), []);
  // tsquery syntax in the input is only text: no error, no match of everything.
  for (const hostile of [`${word}' | !x`, `${word}\\':*`, `(${word}) & !`, `${word} <-> ""`]) {
    const response = await app.request(`/products-for-review?q=${encodeURIComponent(hostile)}`);
    assert.equal(response.status, 200, hostile);
    const body = await response.json() as ReviewPage;
    assert.ok(body.total <= containing(word).length, hostile);
  }

  const combined = inRange.filter((row) => row.import_id === labelled.import_id);
  assert.deepEqual(
    await listed(`import_id=${labelled.import_id}&min_confidence=${low}&max_confidence=${high}`),
    sorted(combined.map((row) => row.id)),
  );
  const page = await getJson<ReviewPage>(
    `/products-for-review?min_confidence=${low}&max_confidence=${high}&limit=200`,
  );
  assert.equal(page.total, inRange.length);
  const range = new Set(inRange.map((row) => row.id));
  assert.deepEqual(
    page.items.map((item) => item.product_id),
    (await expectedQueue()).filter((id) => range.has(id)),
  );
});

test("GET /products-for-review?similar_to lists the waiting rows nearest to a product, nearest first", async () => {
  const [target] = (await getJson<ReviewPage>("/products-for-review?limit=1")).items;
  const exact = await db.query<{ id: number; similarity: number }>(sql`
    SELECT x.product_id AS id, 1 - (x.embedding <=> y.embedding) AS similarity
    FROM embeddings x, embeddings y
    WHERE y.product_id = ${target.product_id} AND x.product_id <> y.product_id
      AND NOT EXISTS (SELECT 1 FROM product_labels WHERE product_labels.product_id = x.product_id)
    ORDER BY x.embedding <=> y.embedding, x.product_id`);
  const pages = await walk(`similar_to=${target.product_id}&limit=9`);
  const items = pages.flatMap((page) => page.items);
  assert.deepEqual(items.map((item) => item.product_id), exact.map((row) => row.id));
  items.forEach((item, at) => assert.ok(Math.abs(item.similarity! - exact[at].similarity) < 1e-6));
  assert.equal(pages[0].total, exact.length);

  const same = items[0].suggestion!;
  const filtered = await getJson<ReviewPage>(
    `/products-for-review?similar_to=${target.product_id}&suggestion=${encodeURIComponent(same)}&limit=200`,
  );
  assert.deepEqual(
    filtered.items.map((item) => item.product_id),
    items.filter((item) => item.suggestion === same).map((item) => item.product_id),
  );
  assert.equal((await getJson<ReviewPage>("/products-for-review?limit=5")).items[0].similarity, undefined);

  assert.deepEqual(await getJson<ApiError>("/products-for-review?similar_to=999999", 404), {
    error: { status: 404, message: "No product with id 999999" },
  });
  const [orphan] = await db.query<{ id: number }>(sql`
    WITH made AS (INSERT INTO imports (file_name, status) VALUES ('orphan.csv', 'imported') RETURNING id)
    INSERT INTO products (import_id, row_number, data, text) SELECT id, 1, '{}', 'no vector' FROM made
    RETURNING id`);
  const refused = await getJson<ApiError>(`/products-for-review?similar_to=${orphan.id}`, 422);
  assert.equal(
    refused.error.message,
    `Cannot find rows similar to product ${orphan.id}: it has no vector yet`,
  );
  await db.query(sql`DELETE FROM imports WHERE file_name = 'orphan.csv'`);
});

test("GET /products-for-review refuses bad filters and foreign cursors with 422", async () => {
  for (
    const [query, field] of [
      ["min_confidence=1.5", "min_confidence"],
      ["max_confidence=-0.1", "max_confidence"],
      ["min_confidence=0.8&max_confidence=0.2", "min_confidence"],
      ["q=%E2%80%8B", "q"],
      [`q=${"a".repeat(201)}`, "q"],
      ["similar_to=0", "similar_to"],
      ["cursor=not%20base64", "cursor"],
    ]
  ) {
    const body = await getJson<ApiError>(`/products-for-review?${query}`, 422);
    assert.match(body.error.message, new RegExp(`^Invalid query: ${field}: `), query);
  }
  const forged = btoa(JSON.stringify({ kind: "rank", from: { confidence: 0, margin: 0, id: -1 }, seen: [] }));
  const body = await getJson<ApiError>(`/products-for-review?cursor=${forged.replace(/=+$/, "")}`, 422);
  assert.match(body.error.message, /^Invalid query: cursor ".*" is not a cursor of this API$/);
  const [first] = (await getJson<ReviewPage>("/products-for-review?limit=1")).items;
  const similar = await getJson<ReviewPage>(`/products-for-review?similar_to=${first.product_id}&limit=1`);
  const mixed = await getJson<ApiError>(`/products-for-review?cursor=${similar.next_cursor}`, 422);
  assert.match(
    mixed.error.message,
    /^Cannot read the review queue: the cursor belongs to a similar_to query$/,
  );
});

test("GET /imports and GET /imports/:id report progress once the worker is idle", async () => {
  const ragged = await app.request("/upload-csv?file_name=broken.csv", {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: "title,category\nmouse\n",
  });
  assert.equal(ragged.status, 422);
  await runWorkerUntilIdle();

  const list = await getJson<ImportProgress[]>("/imports");
  assert.deepEqual(list.map((item) => [item.file_name, item.status]), [
    ["broken.csv", "failed"],
    ["amazon.csv", "imported"],
    ["walmart.csv", "imported"],
  ]);
  assert.match(list[0].error!, /"broken\.csv": line 2 has 1 fields, the header \(line 1\) has 2/);
  assert.equal(list[0].row_count, 0);

  for (const [created, reviewed] of [[labelled, 0], [unlabelled, 1]] as const) {
    const progress = await getJson<ImportProgress>(`/imports/${created.import_id}`);
    const [counts] = await db.query<{ embedded: number; suggested: number; reviewed: number }>(sql`
      SELECT
        (SELECT count(*)::int FROM embeddings JOIN products ON products.id = embeddings.product_id
         WHERE products.import_id = ${created.import_id}) AS embedded,
        (SELECT count(*)::int FROM suggestions JOIN products ON products.id = suggestions.product_id
         WHERE products.import_id = ${created.import_id}) AS suggested,
        (SELECT count(*)::int FROM feedback JOIN products ON products.id = feedback.product_id
         WHERE products.import_id = ${created.import_id}) AS reviewed`);
    assert.deepEqual(counts.embedded, created.row_count);
    assert.equal(counts.reviewed, reviewed);
    assert.deepEqual(
      {
        id: progress.id,
        status: progress.status,
        error: progress.error,
        row_count: progress.row_count,
        embedded_count: progress.embedded_count,
        suggested_count: progress.suggested_count,
        reviewed_count: progress.reviewed_count,
        failed_count: progress.failed_count,
      },
      {
        id: created.import_id,
        status: "imported",
        error: null,
        row_count: created.row_count,
        embedded_count: created.row_count,
        suggested_count: counts.suggested,
        reviewed_count: reviewed,
        failed_count: 0,
      },
    );
    assert.ok(counts.suggested >= created.row_count - 1);
    assert.match(progress.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The embedding rate and its ETA are measured at each request, so they may differ by a hair.
    const steady = (
      { embedding_rate: _rate, eta_seconds: _eta, ...rest }: ImportProgress & Record<string, unknown>,
    ) => rest;
    assert.deepEqual(steady(list.find((item) => item.id === created.import_id)!), steady(progress));
  }
});

test("GET /imports/:id answers 404 for an import that does not exist", async () => {
  assert.deepEqual(await getJson<ApiError>("/imports/999", 404), {
    error: { status: 404, message: "No import with id 999" },
  });
  assert.deepEqual(await getJson<ApiError>("/imports/abc", 404), {
    error: { status: 404, message: 'No import with id "abc"' },
  });
  // Past PostgreSQL's int4: refused here, not by the database as an error.
  assert.deepEqual(await getJson<ApiError>("/imports/3000000000", 404), {
    error: { status: 404, message: 'No import with id "3000000000"' },
  });
});
