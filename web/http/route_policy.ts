/**
 * Who may call which route, read by the secure app on every request. Each route declares its access (and
 * audit kind) where it is declared (web/http/define_route.ts); this module derives the table from those
 * declarations and answers, per request, what the matching routes need. Deny by default: a route the app
 * registers without a declaration is refused for everyone (403 "No access policy for …"), and
 * web/secure_app_test.ts fails for it, so a new route cannot ship unguarded by accident. `audit` names the
 * audit-trail kind of a route's successful calls; every state-changing request is recorded anyway (kind
 * `METHOD /pattern` when none is named).
 */
import type { OpenAPIHono } from "@hono/zod-openapi";

/** Who may call a route: anyone, any signed-in user (reviewers and ops), or ops only. */
export type Access = "public" | "reviewer" | "ops";

/** What a route declares about its callers. */
export interface RoutePolicy {
  access: Access;
  /** Audit kind for this route (state-changing routes are audited even without one). */
  audit?: string;
}

/** The policy table: `METHOD /openapi/{path}` → policy. */
export type PolicyTable = Readonly<Record<string, RoutePolicy>>;

/** Converts a Hono path to an OpenAPI one: `/imports/:id` → `/imports/{id}`, `*` → `{path}`. */
export function toOpenApiPath(honoPath: string): string {
  return honoPath.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?\??/g, "{$1}").replace(/\*/g, "{path}");
}

/** The key of a route in a {@link PolicyTable}: its method and its path as the OpenAPI document writes it. */
export function policyKey(method: string, honoPath: string): string {
  return `${method.toUpperCase()} ${toOpenApiPath(honoPath)}`;
}

/** The policies the routes of `app` declare (their `x-access` and `x-audit`), by {@link policyKey}. */
export function declaredPolicies(app: Pick<OpenAPIHono, "openAPIRegistry">): PolicyTable {
  const table: Record<string, RoutePolicy> = {};
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    const route = definition.route as typeof definition.route & { "x-access"?: Access; "x-audit"?: string };
    if (!route["x-access"]) continue;
    table[policyKey(route.method, route.path)] = { access: route["x-access"], audit: route["x-audit"] };
  }
  return table;
}

const RANK: Record<Access, number> = { public: 0, reviewer: 1, ops: 2 };

/** Whether `role` reaches `access`. */
export function allows(access: Access, role: "reviewer" | "ops" | undefined): boolean {
  if (access === "public") return true;
  return role !== undefined && RANK[role] >= RANK[access];
}

/** A route as Hono lists it. */
export interface RouteEntry {
  method: string;
  path: string;
}

/** Whether `route` is middleware (`use("*")`) rather than a handler. */
export function isMiddleware(route: RouteEntry): boolean {
  return route.method === "ALL" && (route.path === "*" || route.path === "/*");
}

/** The handler routes of `routes`, each `METHOD /pattern` once. */
export function routeKeys(routes: readonly RouteEntry[]): string[] {
  return [...new Set(routes.filter((route) => !isMiddleware(route)).map((r) => `${r.method} ${r.path}`))];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A RegExp matching the request paths of a Hono pattern (`:param`, `:param{re}`, `:param?`, `*`). */
export function patternRegExp(pattern: string): RegExp {
  const parts = pattern.split("/").map((segment, index, all) => {
    if (segment === "*") return index === all.length - 1 ? "(?:/.*)?" : "/[^/]*";
    const param = /^:([A-Za-z0-9_]+)(\{(.+)\})?(\?)?$/.exec(segment);
    if (param) {
      return `${param[4] ? "(?:" : ""}/${param[3] ? `(?:${param[3]})` : "[^/]+"}${param[4] ? ")?" : ""}`;
    }
    return segment === "" && index === 0 ? "" : `/${escapeRegExp(segment)}`;
  });
  const body = parts.join("");
  return new RegExp(`^${body === "" ? "/" : body}$`);
}

/** What a request needs: the routes it matches and their policies. */
export interface Decision {
  /** No registered route matches: the request can only end in 404. */
  unrouted: boolean;
  /** Matching routes without a declared policy (the request is refused). */
  missing: string[];
  /** The strictest access over the matching routes. */
  access: Access;
  /** The matching route's audit kind, if it declares one. */
  audit: string | undefined;
  /** The first matching route's `METHOD /pattern`. */
  key: string | undefined;
}

/** Builds the per-request lookup over `routes` (the app's, read once) and `policy` (their declarations). */
export function policyLookup(
  routes: readonly RouteEntry[],
  policy: PolicyTable,
): (method: string, path: string) => Decision {
  const compiled = routes.filter((route) => !isMiddleware(route)).map((route) => ({
    method: route.method,
    key: `${route.method} ${route.path}`,
    regexp: patternRegExp(route.path),
  }));
  const policyOf = (key: string) => {
    const [method, path] = key.split(" ");
    return policy[policyKey(method, path)];
  };
  return (method, path) => {
    const wanted = method === "HEAD" ? "GET" : method;
    const matches = compiled.filter((route) =>
      (route.method === wanted || route.method === "ALL") && route.regexp.test(path)
    );
    const keys = [...new Set(matches.map((match) => match.key))];
    const missing = keys.filter((key) => !policyOf(key));
    let access: Access = "public";
    let audit: string | undefined;
    for (const key of keys) {
      const entry = policyOf(key);
      if (!entry) continue;
      if (RANK[entry.access] > RANK[access]) access = entry.access;
      audit ??= entry.audit;
    }
    return { unrouted: keys.length === 0, missing, access, audit, key: keys[0] };
  };
}
