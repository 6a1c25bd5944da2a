/**
 * Live progress and cancel of uploads being read (GET /uploads/:key, POST /uploads/:key/cancel) against
 * the real database. Deterministic: the registry's report hook holds the import at a batch boundary
 * while the test looks, instead of sleeping and hoping the import is half way.
 */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import type { ApiError, ImportCreated, ImportProgress, UploadProgress } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { datasetRows, openTestDatabase, TEST_MODEL_ID, toCsv } from "../../testing/testing.ts";
import { UploadRegistry } from "../../core/imports/upload_progress.ts";
import { nudgeImportRecovery } from "../../core/imports/import_recovery.ts";

const db = await openTestDatabase();
after(() => db.close());

/** A gate the import waits at after its first batch, until the test opens it. */
class Gate {
  reached!: Promise<UploadProgress>;
  #arrive!: (progress: UploadProgress) => void;
  #open!: () => void;
  #opened!: Promise<void>;
  constructor() {
    this.reset();
  }
  reset(): void {
    this.reached = new Promise((resolve) => (this.#arrive = resolve));
    this.#opened = new Promise((resolve) => (this.#open = resolve));
  }
  async wait(progress: UploadProgress): Promise<void> {
    this.#arrive(progress);
    await this.#opened;
  }
  open(): void {
    this.#open();
  }
}

let gate: Gate | undefined;
const uploads = new UploadRegistry({ onReport: (_key, progress) => gate?.wait(progress) });
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 50 * 1024 * 1024, uploads });

// 8,000 real rows (about 830 kB): 16 batches of 500, and more than the 256 kB the reader takes at a time,
// so the first report comes with most of the file still unread.
const rows: Record<string, string>[] = Array.from({ length: 16 }, () => datasetRows(500)).flat()
  .map((row) => ({ ...row }));
const csv = toCsv(rows);
const fileBytes = new TextEncoder().encode(csv).length;

function key(): string {
  return crypto.randomUUID().replaceAll("-", "");
}

function startUpload(uploadKey: string, fileName: string, signal?: AbortSignal): Promise<Response> {
  return Promise.resolve(app.request(
    new Request(`http://localhost/upload-csv?file_name=${fileName}&upload_key=${uploadKey}`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: csv,
      signal,
    }),
  ));
}

async function json<T>(response: Response, status: number): Promise<T> {
  const body = await response.json();
  assert.equal(response.status, status, JSON.stringify(body));
  return body as T;
}

async function productsOf(importId: number): Promise<number> {
  const [row] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM products WHERE import_id = ${importId}`);
  return row.count;
}

async function importRow(importId: number) {
  const [row] = await db.query<{ status: string; error: string | null; row_count: number }>(sql`
    SELECT status, error, row_count FROM imports WHERE id = ${importId}`);
  return row;
}

test("rows read, bytes and an ETA are visible while a big upload is being read", async () => {
  gate = new Gate();
  const uploadKey = key();
  const pending = startUpload(uploadKey, "big.csv");
  const reported = await gate.reached;
  const live = await json<UploadProgress>(await app.request(`/uploads/${uploadKey}`), 200);
  assert.equal(live.phase, "reading");
  assert.equal(live.file_name, "big.csv");
  assert.equal(live.rows_read, 500);
  assert.equal(live.bytes_total, fileBytes);
  assert.ok(live.bytes_read > 0 && live.bytes_read < fileBytes, `${live.bytes_read} of ${fileBytes}`);
  assert.ok(live.eta_seconds !== null && live.eta_seconds >= 0, `eta ${live.eta_seconds}`);
  assert.ok(live.rows_per_second > 0);
  assert.equal(live.import_id, reported.import_id);

  // The rows written so far are committed but belong to an import still 'importing': the list says so,
  // and no reviewer or worker sees them yet.
  const importId = live.import_id!;
  const progress = await json<ImportProgress>(await app.request(`/imports/${importId}`), 200);
  assert.equal(progress.status, "importing");
  assert.equal(progress.eta_seconds, null);
  const [queued] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM embedding_queue JOIN products ON products.id = embedding_queue.product_id
    WHERE products.import_id = ${importId}`);
  assert.equal(queued.count, 0);

  // A key is one upload at a time.
  const again = await json<ApiError>(await startUpload(uploadKey, "again.csv"), 409);
  assert.match(again.error.message, /already in use/);

  gate.open();
  // Let the remaining batches through without stopping.
  gate = undefined;
  const created = await json<ImportCreated>(await pending, 201);
  assert.equal(created.row_count, 8000);
  assert.equal(await productsOf(created.import_id), 8000);
  const done = await json<UploadProgress>(await app.request(`/uploads/${uploadKey}`), 200);
  assert.deepEqual([done.phase, done.rows_read, done.bytes_read, done.eta_seconds], [
    "done",
    8000,
    fileBytes,
    0,
  ]);
  await json<ApiError>(await app.request(`/uploads/${uploadKey}/cancel`, { method: "POST" }), 409);
});

test("cancelling mid-import deletes the rows read and leaves a failed import saying cancelled", async () => {
  gate = new Gate();
  const uploadKey = key();
  const pending = startUpload(uploadKey, "cancel-me.csv");
  const reported = await gate.reached;
  assert.equal(await productsOf(reported.import_id!), 500);
  const cancelling = await json<UploadProgress>(
    await app.request(`/uploads/${uploadKey}/cancel`, { method: "POST" }),
    202,
  );
  assert.equal(cancelling.phase, "reading");
  gate.open();
  gate = undefined;
  const body = await json<ApiError>(await pending, 409);
  assert.equal(body.error.message, 'Import of "cancel-me.csv" cancelled');
  assert.equal(await productsOf(reported.import_id!), 0);
  assert.deepEqual(await importRow(reported.import_id!), {
    status: "failed",
    error: 'Import of "cancel-me.csv" cancelled',
    row_count: 0,
  });
  const after = await json<UploadProgress>(await app.request(`/uploads/${uploadKey}`), 200);
  assert.equal(after.phase, "cancelled");
});

test("a client that disconnects mid-import leaves no rows behind", async () => {
  gate = new Gate();
  const controller = new AbortController();
  const pending = startUpload(key(), "gone.csv", controller.signal);
  const reported = await gate.reached;
  controller.abort();
  gate.open();
  gate = undefined;
  const body = await json<ApiError>(await pending, 409);
  assert.match(body.error.message, /Import of "gone\.csv" cancelled: the client disconnected/);
  assert.equal(await productsOf(reported.import_id!), 0);
  assert.equal((await importRow(reported.import_id!)).status, "failed");
});

test("an upload cut off mid-body is refused and writes no rows", async () => {
  const [before] = await db.query<{ count: number }>(sql`SELECT count(*)::int AS count FROM products`);
  const half = new TextEncoder().encode(csv.slice(0, 20_000));
  const body = new ReadableStream<Uint8Array>({
    start(stream) {
      stream.enqueue(half);
      stream.error(new Error("connection reset"));
    },
  });
  const response = await app.request(
    new Request("http://localhost/upload-csv?file_name=cut.csv", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body,
      // @ts-ignore: duplex is required for a streamed request body and missing from the DOM types.
      duplex: "half",
    }),
  );
  const answer = await json<ApiError>(response, 400);
  assert.match(answer.error.message, /the upload was interrupted after \d+ bytes/);
  const [afterwards] = await db.query<{ count: number }>(sql`SELECT count(*)::int AS count FROM products`);
  assert.equal(afterwards.count, before.count);
});

test("a malformed upload key and an unknown upload are refused", async () => {
  await json<ApiError>(await app.request("/uploads/short"), 422);
  await json<ApiError>(await app.request(`/uploads/${key()}`), 404);
  await json<ApiError>(await app.request(`/uploads/${key()}/cancel`, { method: "POST" }), 404);
  const bad = await json<ApiError>(await startUpload("not a key!", "x.csv"), 422);
  assert.match(bad.error.message, /upload_key/);
});

test("the ETA of an upload follows bytes read against the file size", async () => {
  let now = 1_000_000;
  const registry = new UploadRegistry({ now: () => now });
  const uploadKey = key();
  const tracker = registry.start(uploadKey, { fileName: "a.csv", bytesTotal: 1000, owner: "ana" });
  assert.equal(registry.get(uploadKey)?.eta_seconds, null);
  now += 2000;
  await tracker.report({ rowsRead: 50, bytesRead: 250, importId: 7 });
  const progress = registry.get(uploadKey)!;
  // 250 bytes in 2 s: 125 B/s, 750 bytes left, 6 s.
  assert.deepEqual(
    [progress.eta_seconds, progress.rows_per_second, progress.import_id],
    [6, 25, 7],
  );
  assert.equal(registry.cancel(uploadKey, "bob"), "unknown");
  assert.ok(!tracker.signal.aborted);
  assert.equal(registry.cancel(uploadKey, "ana"), "cancelling");
  assert.ok(tracker.signal.aborted);
});

test("an import left half read by a process that died is discarded by the next upload", async () => {
  const [stale] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, updated_at, writer)
    VALUES ('crashed.csv', 'importing', now() - interval '20 minutes', 'other-host:4242:abc123')
    RETURNING id`);
  // Its writer runs on another host and beat just now: alive on a server, dead on the embedded
  // database, which only this process can have open.
  const [fresh] = await db.query<{ id: number }>(sql`
    INSERT INTO imports (file_name, status, writer) VALUES ('still-reading.csv', 'importing', 'other-host:4242:abc123')
    RETURNING id`);
  for (const id of [stale.id, fresh.id]) {
    await db.query(
      sql`INSERT INTO products (import_id, row_number, data, text) VALUES (${id}, 1, '{}', 'x')`,
    );
  }
  await json<ImportCreated>(
    await app.request("/upload-csv?file_name=next.csv", {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: toCsv(rows.slice(0, 5)),
    }),
    201,
  );
  // The upload only started the clean-up; it runs in the background.
  await nudgeImportRecovery(db);
  assert.equal(await productsOf(stale.id), 0);
  assert.deepEqual(await importRow(stale.id), {
    status: "failed",
    error: 'Cannot import "crashed.csv": the server stopped while reading it',
    row_count: 0,
  });
  if (db.kind === "postgres") {
    assert.equal(await productsOf(fresh.id), 1);
    assert.equal((await importRow(fresh.id)).status, "importing");
  } else {
    assert.equal(await productsOf(fresh.id), 0);
    assert.equal((await importRow(fresh.id)).status, "failed");
  }
});
