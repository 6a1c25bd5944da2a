/** The API's one error shape for unknown routes and unexpected failures. */
import { signedInApp } from "../../testing/signed_in_app.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import type { ApiError } from "../../contract/schemas.ts";
import { sql } from "../../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";
import { createApp } from "../app.ts";
import { SPOOL_DIR } from "../../core/imports/upload_spool.ts";

function spools(): string[] {
  return fs.existsSync(SPOOL_DIR) ? fs.readdirSync(SPOOL_DIR) : [];
}

const db = await openTestDatabase();
const app = await signedInApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
after(() => db.close());

async function errorOf(response: Response): Promise<ApiError> {
  assert.match(response.headers.get("content-type") ?? "", /^application\/json/);
  return await response.json() as ApiError;
}

test("an unknown route answers 404 in the error shape, naming the method and path", async () => {
  const cases: [string, RequestInit, string][] = [
    ["/no-such-thing", {}, "No route for GET /no-such-thing"],
    ["/imports", { method: "POST" }, "No route for POST /imports"],
    ["/upload-csv", {}, "No route for GET /upload-csv"],
    ["/submit-feedback", { method: "DELETE" }, "No route for DELETE /submit-feedback"],
  ];
  for (const [path, init, message] of cases) {
    const response = await app.request(path, init);
    assert.equal(response.status, 404, path);
    assert.deepEqual(await errorOf(response), { error: { status: 404, message } });
  }
});

test("GET /health names the database driver", async () => {
  const response = await app.request("/health");
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { ok: true, database: db.kind });
  const [{ one }] = await db.query<{ one: number }>(sql`SELECT 1 AS one`);
  assert.equal(one, 1);
});

test("an unexpected failure (database closed) answers 500 'Internal server error' and reveals no internals", async () => {
  const broken = await openTestDatabase();
  const brokenApp = createApp({ db: broken, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 });
  await broken.close();
  const uploadsBefore = spools();
  const logged: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => logged.push(args);
  try {
    const requests: [string, RequestInit][] = [
      ["/imports", {}],
      ["/imports/1", {}],
      ["/products-for-review", {}],
      ["/", {}],
      [
        "/submit-feedback",
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ product_id: 1, approved: true }),
        },
      ],
      ["/upload-csv", { method: "POST", headers: { "content-type": "text/csv" }, body: "title\nmouse\n" }],
    ];
    for (const [path, init] of requests) {
      const response = await brokenApp.request(path, init);
      const text = await response.text();
      assert.equal(response.status, 500, `${path}: ${text}`);
      assert.deepEqual(JSON.parse(text), { error: { status: 500, message: "Internal server error" } });
      assert.doesNotMatch(text, /pglite|closed|stack|\.ts/i);
    }
    assert.equal(logged.length, requests.length, "each failure is logged on the server");
    assert.match(String(logged[0][0]), /^GET \/imports failed:/);
  } finally {
    console.error = original;
  }
  // The spooled upload was removed although the import failed.
  const uploadsAfter = spools();
  assert.deepEqual(uploadsAfter.sort(), uploadsBefore.sort());
});
