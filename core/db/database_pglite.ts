/**
 * The embedded database: PGlite (PostgreSQL in WASM) with pgvector, owned by this process alone.
 * PGlite serialises every query on one connection, so an open transaction blocks all others: callers keep
 * transactions short, and SKIP LOCKED claims still behave (they simply never meet a lock).
 */
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import type { Database, Queryable } from "./database.ts";
import type { SqlQuery } from "./sql.ts";
import { lockDataDir } from "./data_dir_lock.ts";
import { BYTEA_OID, parseBytea, serializeBytea } from "./pglite_bytea.ts";

interface PgliteLike {
  query<T>(text: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

function queryable(pg: PgliteLike): Queryable {
  return {
    async query<T>(query: SqlQuery): Promise<T[]> {
      const result = await pg.query<T>(query.text, query.values as unknown[]);
      return result.rows;
    },
  };
}

/** Opens (creating if needed) the PGlite database in `dataDir`; `undefined` means in memory. */
export async function openPgliteDatabase(dataDir: string | undefined): Promise<Database> {
  const release = dataDir ? lockDataDir(dataDir) : () => {};
  let pg: PGlite;
  try {
    pg = await PGlite.create({
      ...(dataDir ? { dataDir } : {}),
      extensions: { vector },
      // Model files are megabytes of bytea: PGlite's own codec took ~1 s per 8 MB (pglite_bytea.ts).
      serializers: { [BYTEA_OID]: serializeBytea },
      parsers: { [BYTEA_OID]: parseBytea },
    });
  } catch (error) {
    release();
    throw error;
  }
  const base = queryable(pg);
  let closed = false;
  return {
    kind: "pglite",
    query: base.query,
    transaction: (fn) => pg.transaction((tx) => fn(queryable(tx))),
    async executeScript(script) {
      await pg.exec(script);
    },
    async listen(channel, onNotify, onListen) {
      const unlisten = await pg.listen(channel, onNotify);
      onListen?.();
      return async () => {
        if (!closed) await unlisten();
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pg.close();
      } finally {
        release();
      }
    },
  };
}
