/**
 * The signed-in user of the request being handled, for code that has no Hono context at hand: the
 * Layout (name, role, CSRF meta tag) and route handlers of the inner app that record who acted. The
 * secure app sets it per request (AsyncLocalStorage follows the request's awaits); outside it — the
 * inner app in feature tests — there is no user, and callers keep their old behaviour.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Role } from "../../contract/schemas.ts";

/** Who is making the request, and how they proved it. */
export interface CurrentUser {
  id: number;
  name: string;
  role: Role;
  via: "session" | "token";
  /** The session's CSRF token (sessions only). */
  csrfToken?: string;
  /** The API token's id (tokens only). */
  tokenId?: number;
}

const storage = new AsyncLocalStorage<CurrentUser | undefined>();

/** Runs `fn` with `user` as the current user. */
export function runAsUser<T>(user: CurrentUser | undefined, fn: () => T): T {
  return storage.run(user, fn);
}

/**
 * The signed-in user of a route that access control lets through only when signed in (every route that
 * records who acted); throws when there is none, which would be a route-policy mistake.
 */
export function requireUser(): CurrentUser {
  const user = storage.getStore();
  if (!user) throw new Error("No signed-in user: the route policy must require an account here");
  return user;
}

/** The current request's user, if the secure app authenticated one. */
export function currentUser(): CurrentUser | undefined {
  return storage.getStore();
}
