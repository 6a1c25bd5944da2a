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
  const hex = "\\x" + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
  await db.query(sql`INSERT INTO a VALUES (4, ${hex})`);
  console.log("hex string param", (performance.now() - t0).toFixed(0), "ms");
}
const [r] = await db.query<{ ok: boolean }>(sql`SELECT (SELECT bytes FROM a WHERE id = 1 LIMIT 1) = (SELECT bytes FROM a WHERE id = 4 LIMIT 1) AS ok`);
console.log(r);
await db.close();
