/**
 * bytea through the embedded database's codec (pglite_bytea.ts) arrives byte for byte: the server's
 * sha256 of what was sent matches the sender's, and what comes back equals what went in — empty, every
 * byte value, and a model-sized buffer.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { Database } from "./database.ts";
import { openPgliteDatabase } from "./database_pglite.ts";
import { sql } from "./sql.ts";
import { parseBytea, serializeBytea } from "./pglite_bytea.ts";

let db: Database;

before(async () => {
  db = await openPgliteDatabase(undefined);
  await db.query(sql`CREATE TABLE blobs (id integer PRIMARY KEY, bytes bytea NOT NULL)`);
});

after(async () => {
  await db?.close();
});

test("bytes stored and read back through PGlite are the bytes sent", async () => {
  const every = Uint8Array.from({ length: 512 }, (_, i) => i % 256);
  const large = crypto.randomBytes(3_000_000);
  // A view into a larger buffer: only its own bytes may be sent.
  const view = new Uint8Array(large.buffer, large.byteOffset + 5, 100);
  const cases = [new Uint8Array(0), every, new Uint8Array(large), view];
  for (const [id, bytes] of cases.entries()) {
    await db.query(sql`INSERT INTO blobs (id, bytes) VALUES (${id}, ${bytes})`);
    const [row] = await db.query<{ bytes: Uint8Array; digest: string; length: number }>(sql`
      SELECT bytes, encode(sha256(bytes), 'hex') AS digest, length(bytes) AS length FROM blobs WHERE id = ${id}`);
    assert.equal(row.length, bytes.length);
    assert.equal(row.digest, crypto.createHash("sha256").update(bytes).digest("hex"));
    assert.ok(row.bytes instanceof Uint8Array);
    assert.deepEqual(new Uint8Array(row.bytes), new Uint8Array(bytes));
  }
});

test("the codec refuses what is not bytes or not hex", () => {
  assert.throws(() => serializeBytea("\\x00"), /Invalid input for bytea/);
  assert.throws(() => parseBytea("abc"), /hex format/);
  assert.deepEqual(parseBytea("\\x00ff10"), Uint8Array.from([0, 255, 16]));
  assert.equal(serializeBytea(Uint8Array.from([0, 255, 16])), "\\x00ff10");
});
