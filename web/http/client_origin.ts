/**
 * Where a request really came from: the scheme, host and address the client used. Behind a reverse proxy
 * (a tunnel, nginx, caddy) the socket shows the proxy, so these come from the proxy's X-Forwarded-Proto,
 * X-Forwarded-Host and X-Forwarded-For — but only when TRUST_PROXY says a proxy is there: otherwise any
 * client could claim https (and get cookies marked Secure for a plain-http connection) or another address
 * (and escape the login throttle). Fields follow the de-facto X-Forwarded-* conventions (MDN; RFC 7239
 * standardises the same as `Forwarded`).
 */
import type { AppEnv } from "./app_env.ts";
import type { Context, MiddlewareHandler } from "hono";

/** How the app sees its clients. */
export interface ClientOriginOptions {
  /** Trust X-Forwarded-Proto, -Host and -For (set when a reverse proxy is the only way in). */
  trustProxy?: boolean;
}

/** The client's view of the request. */
export interface ClientOrigin {
  /** Whether the client's connection is https. */
  https: boolean;
  /** The host (and port) the client addressed, e.g. `sorter.example.com`. */
  host: string;
  /** The client's IP address, or "unknown". */
  address: string;
}

/** The first value of a comma-separated forwarded header, trimmed; undefined when absent or empty. */
function first(value: string | undefined): string | undefined {
  const item = value?.split(",")[0].trim();
  return item ? item : undefined;
}

/** The last value: the one the trusted proxy appended (earlier ones came from the client and may be forged). */
function last(value: string | undefined): string | undefined {
  const item = value?.split(",").at(-1)?.trim();
  return item ? item : undefined;
}

function socketAddress(c: Context): string {
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return info?.remoteAddr?.hostname ?? "unknown";
}

/** What the socket and URL say, overridden by the proxy's headers when it is trusted. */
function readClientOrigin(c: Context, trustProxy: boolean): ClientOrigin {
  const url = new URL(c.req.url);
  const direct = { https: url.protocol === "https:", host: url.host, address: socketAddress(c) };
  if (!trustProxy) return direct;
  const proto = first(c.req.header("x-forwarded-proto"))?.toLowerCase();
  return {
    https: proto === undefined ? direct.https : proto === "https",
    host: first(c.req.header("x-forwarded-host")) ?? direct.host,
    address: last(c.req.header("x-forwarded-for")) ?? direct.address,
  };
}

/** Reads the client's scheme, host and address once per request, for {@link clientOrigin}. */
export function clientOriginMiddleware(options: ClientOriginOptions = {}): MiddlewareHandler<AppEnv> {
  return async function clientOriginMiddleware(c, next) {
    c.set("clientOrigin", readClientOrigin(c, options.trustProxy ?? false));
    await next();
  };
}

/** The request's {@link ClientOrigin}; without the middleware, what the socket and URL say. */
export function clientOrigin(c: Context<AppEnv>): ClientOrigin {
  return (c.get("clientOrigin") as ClientOrigin | undefined) ?? readClientOrigin(c, false);
}
