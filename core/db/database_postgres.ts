/**
 * A real PostgreSQL server through postgres.js: the production shape, shared by web processes and any
 * number of workers. LISTEN uses postgres.js' dedicated connection, which re-listens after a reconnect.
 */
import postgres from "postgres";
import type { Database, Queryable } from "./database.ts";
import type { SqlQuery } from "./sql.ts";

// deno-lint-ignore no-explicit-any
type Sql = postgres.Sql<any>;

function queryable(client: Sql | postgres.TransactionSql): Queryable {
  return {
    async query<T>(query: SqlQuery): Promise<T[]> {
      // `unsafe` here only means "text given as a string": every value still travels as a parameter.
      const rows = await client.unsafe(query.text, query.values as postgres.ParameterOrJSON<never>[], {
        prepare: true,
      });
      // A plain array, as PGlite gives: postgres.js' Result subclass would make the two drivers differ.
      return Array.from(rows) as unknown as T[];
    },
  };
}

/** Options for {@link openPostgresDatabase}. */
export interface PostgresOptions {
  /** Pool size; each worker needs few, the web server a handful. */
  max?: number;
  /** Label shown in pg_stat_activity. */
  applicationName?: string;
}

/** Connects to the PostgreSQL server at `url` (postgres://user:pass@host:port/db). */
export function openPostgresDatabase(url: string, options: PostgresOptions = {}): Promise<Database> {
  const client = postgres(url, {
    max: options.max ?? 5,
    onnotice: () => {},
    // Reconnect delay in seconds after the n-th failed attempt (counted across the pool). The default,
    // up to 20 s, left a worker idle ~13 s after a 3 s server outage (its next query sat on a connection
    // whose retry timer was long); capped at 2 s, connections return within 2 s of the server. The
    // worker loop backs off on its own (0.5 s doubling to 30 s), so this only bounds the lag.
    backoff: (attempt: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** attempt, 2),
    connection: { application_name: options.applicationName ?? "csv-sorter" },
    types: {
      // int8 as number: counts and ids here stay far below 2^53.
      bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
  const base = queryable(client);
  return Promise.resolve({
    kind: "postgres",
    query: base.query,
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      client.begin((tx) => fn(queryable(tx))) as Promise<T>,
    async executeScript(script) {
      // One reserved connection: a script that fails inside its own BEGIN leaves that connection in an
      // aborted transaction, and the ROLLBACK must reach the same connection before the pool reuses it.
      const reserved = await client.reserve();
      try {
        await reserved.unsafe(script);
      } catch (error) {
        await reserved.unsafe("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        reserved.release();
      }
    },
    async listen(channel, onNotify, onListen) {
      // postgres.js re-issues LISTEN after a reconnect and calls `onListen` each time: notifications
      // sent while the connection was down are lost, so that is where callers catch up.
      const subscription = await client.listen(channel, onNotify, onListen);
      return () => subscription.unlisten();
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  });
}
