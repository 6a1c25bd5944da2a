/**
 * The one small database interface the worker and the web server are written against. Two
 * implementations: in-process PGlite (the embedded default) and postgres.js (a real server).
 */
import type { SqlQuery } from "./sql.ts";

/** Anything that runs a single parameterised statement. */
export interface Queryable {
  /** Runs one statement and returns its rows. */
  query<T = Record<string, unknown>>(query: SqlQuery): Promise<T[]>;
}

/** A connection (or pool) that can also run transactions, scripts and LISTEN. */
export interface Database extends Queryable {
  /** Which implementation this is, for logs and for the few places that must know. */
  readonly kind: "pglite" | "postgres";
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script without parameters (migrations only). */
  executeScript(script: string): Promise<void>;
  /**
   * Calls `onNotify` for each NOTIFY on `channel`, and `onListen` each time the subscription is
   * (re)established, e.g. after a reconnect; resolves to a function that stops listening.
   */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
    onListen?: () => void,
  ): Promise<() => Promise<void>>;
  /** Closes the connection(s) and releases any lock held. */
  close(): Promise<void>;
}
