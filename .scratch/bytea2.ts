import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { sql } from "../core/db/sql.ts";
import { Buffer } from "node:buffer";
const db = await openPgliteDatabase(undefined);
await db.query(sql`CREATE TABLE a (id int, bytes bytea)`);
const bytes = new Uint8Array(8_000_000);
const f = new Float32Array(bytes.buffer); for (let i = 0; i < f.length; i++) f[i] = Math.random() - 0.5;
for (let k = 0; k < 2; k++) {
  let t0 = performance.now();
  await db.query(sql`INSERT INTO a VALUES (1, ${bytes})`);
  console.log("param", (performance.now() - t0).toFixed(0), "ms");
  t0 = performance.now();
  const b64 = Buffer.from(bytes).toString("base64");
  await db.query(sql`INSERT INTO a VALUES (2, decode(${b64}, 'base64'))`);
  console.log("base64", (performance.now() - t0).toFixed(0), "ms");
  t0 = performance.now();
  for (let s = 0; s < bytes.length; s += 1 << 20) await db.query(sql`INSERT INTO a VALUES (3, ${bytes.subarray(s, s + (1 << 20))})`);
  console.log("chunks 1MB total", (performance.now() - t0).toFixed(0), "ms");
}
await db.close();
