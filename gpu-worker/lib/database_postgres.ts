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
      return rows as unknown as T[];
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
      await client.unsafe(script);
    },
    async listen(channel, onNotify) {
      const subscription = await client.listen(channel, onNotify);
      return () => subscription.unlisten();
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  });
}
