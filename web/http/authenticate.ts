/**
 * Who is calling: an API token (`Authorization: Bearer csvs_…`) or the session cookie of a browser.
 * A bearer header that is present but wrong is refused at once (401) rather than ignored, so a script
 * with a revoked token fails loudly instead of falling back to anything else.
 */
import type { AppEnv } from "./app_env.ts";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import type { Database } from "../../core/db/database.ts";
import { ApiProblem } from "./api_error.ts";
import { clientOrigin } from "./client_origin.ts";
import { authenticateToken } from "../../core/accounts/api_tokens.ts";
import { type CurrentUser, runAsUser } from "./current_user.ts";
import { readSession, SESSION_HOURS } from "../../core/accounts/sessions.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "csv_sorter_session";

/** Whether the client's connection is https (directly, or through a trusted proxy that says so). */
export function isHttps(c: Context): boolean {
  return clientOrigin(c).https;
}

/** Options of the session cookie: never readable by scripts, not sent on cross-site subrequests. */
export function sessionCookieOptions(c: Context): CookieOptions {
  return {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: isHttps(c),
    maxAge: SESSION_HOURS * 3600,
  };
}

/**
 * The client's address: the socket's, or the trusted proxy's X-Forwarded-For entry (never one the client
 * wrote itself, which it could forge to escape the login throttle).
 */
export function clientAddress(c: Context): string {
  return clientOrigin(c).address;
}

/** Resolves the caller and runs the rest of the request with it as {@link currentUser}. */
export function authenticate(db: Database): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    let user: CurrentUser | undefined;
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      const match = /^Bearer[ ]+([A-Za-z0-9_-]{1,200})[ ]*$/i.exec(authorization);
      const token = match ? await authenticateToken(db, match[1]) : undefined;
      if (!token) {
        c.header("WWW-Authenticate", 'Bearer realm="csv-sorter", error="invalid_token"');
        throw new ApiProblem(
          401,
          match
            ? "The API token is unknown or revoked, or its user is disabled"
            : 'Cannot read the Authorization header: expected "Bearer <token>"',
        );
      }
      user = { id: token.userId, name: token.name, role: token.role, via: "token", tokenId: token.tokenId };
    } else {
      const sessionId = getCookie(c, SESSION_COOKIE);
      const session = sessionId ? await readSession(db, sessionId) : undefined;
      if (session) {
        user = {
          id: session.userId,
          name: session.name,
          role: session.role,
          via: "session",
          csrfToken: session.csrfToken,
        };
      }
    }
    c.set("user", user);
    await runAsUser(user, next);
  };
}
