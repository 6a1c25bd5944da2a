import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Database } from "../db/database.ts";
import { activateModelVersion, activeModelVersion, createModelVersion } from "./model_versions.ts";
import { sql } from "../db/sql.ts";
import { openTestDatabase } from "../../testing/testing.ts";

let db: Database;
const versions: string[] = [];

before(async () => {
  db = await openTestDatabase();
  for (let i = 0; i < 4; i++) {
    const version = await createModelVersion(db, { embeddingModelId: "test", dimensions: 3, jobId: null });
    // Activation reads only the status; the files and metrics a retrain writes do not matter here.
    await db.query(
      sql`UPDATE model_versions SET status = 'ready', ready_at = now() WHERE version = ${version}`,
    );
    versions.push(version);
  }
});

after(async () => {
  await db.close();
});

test("activateModelVersion() returns the version it replaced", async () => {
  assert.equal(await activateModelVersion(db, versions[0]), null);
  assert.equal(await activateModelVersion(db, versions[1]), versions[0]);
  assert.equal(await activeModelVersion(db), versions[1]);
});

test("activateModelVersion() called many times at once leaves exactly one active version and fails none", async () => {
  // On a server these run on separate connections at the same time; on PGlite they queue.
  const order = Array.from({ length: 24 }, (_, i) => versions[i % versions.length]);
  const results = await Promise.allSettled(order.map((version) => activateModelVersion(db, version)));
  const failures = results.filter((result) => result.status === "rejected");
  assert.deepEqual(failures.map((failure) => String((failure as PromiseRejectedResult).reason)), []);
  const active = await db.query<{ version: string }>(
    sql`SELECT version FROM model_versions WHERE status = 'active'`,
  );
  assert.equal(active.length, 1);
  const retired = await db.query<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM model_versions WHERE status = 'retired'`,
  );
  assert.equal(retired[0].n, versions.length - 1);
});
