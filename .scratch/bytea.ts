import { openPgliteDatabase } from "../core/db/database_pglite.ts";
import { sql } from "../core/db/sql.ts";
const db = await openPgliteDatabase(undefined);
await db.query(sql`CREATE TABLE a (id int, bytes bytea)`);
await db.query(sql`CREATE TABLE b (id int, bytes bytea)`);
await db.query(sql`ALTER TABLE b ALTER COLUMN bytes SET STORAGE EXTERNAL`);
const bytes = new Uint8Array(8_000_000);
const f = new Float32Array(bytes.buffer); for (let i = 0; i < f.length; i++) f[i] = Math.random() - 0.5;
for (const t of ["a", "b", "a", "b"]) {
  const t0 = performance.now();
  if (t === "a") await db.query(sql`INSERT INTO a VALUES (1, ${bytes})`); else await db.query(sql`INSERT INTO b VALUES (1, ${bytes})`);
  console.log(t, (performance.now() - t0).toFixed(0), "ms");
}
const t0 = performance.now(); await db.query(sql`SELECT bytes FROM b LIMIT 1`); console.log("read", (performance.now() - t0).toFixed(0));
await db.close();
