/**
 * Enforces the access each route declares (web/http/route_policy.ts) on every request, before any
 * handler runs: 404 for a path no route serves, 403 for a route without a declaration (deny by default),
 * 401 without credentials — or, for a browser navigating to a page, a redirect to the login page — and
 * 403 for a role below the route's.
 */
import type { AppEnv } from "./app_env.ts";
import type { MiddlewareHandler } from "hono";
import { ApiProblem } from "./api_error.ts";
import { currentUser } from "./current_user.ts";
import { wantsHtml } from "./content_negotiation.ts";
import { allows, type Decision, policyLookup, type PolicyTable, type RouteEntry } from "./route_policy.ts";

/** Options of {@link accessControl}. */
export interface AccessControlOptions {
  /** The app's routes; read on the first request, when every route is registered. */
  routes: () => readonly RouteEntry[];
  /** The routes' declared policies; read with the routes, on the first request. */
  policy: () => PolicyTable;
}

/** The policy middleware; stores the request's {@link Decision} as `c.var.decision`. */
export function accessControl(options: AccessControlOptions): MiddlewareHandler<AppEnv> {
  let lookup: ((method: string, path: string) => Decision) | undefined;
  return async function accessControl(c, next) {
    lookup ??= policyLookup(options.routes(), options.policy());
    const decision = lookup(c.req.method, c.req.path);
    c.set("decision", decision);
    if (decision.unrouted) {
      // Answered here, not by falling through: a path this matcher missed never reaches a handler.
      throw new ApiProblem(404, `No route for ${c.req.method} ${c.req.path}`);
    }
    if (decision.missing.length > 0) {
      console.error(
        `Refused ${c.req.method} ${c.req.path}: no access policy for ${decision.missing.join(", ")}`,
      );
      throw new ApiProblem(403, `No access policy for ${decision.missing.join(", ")}: refused`);
    }
    const user = currentUser();
    if (decision.access === "public" || allows(decision.access, user?.role)) return await next();
    if (!user) {
      if ((c.req.method === "GET" || c.req.method === "HEAD") && wantsHtml(c.req.header("accept"))) {
        const url = new URL(c.req.url);
        return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
      }
      c.header("WWW-Authenticate", 'Bearer realm="csv-sorter"');
      throw new ApiProblem(401, "Log in first, or send an API token as Authorization: Bearer <token>");
    }
    throw new ApiProblem(
      403,
      `${user.name} (${user.role}) may not ${c.req.method} ${c.req.path}: it needs the ${decision.access} role`,
    );
  };
}
