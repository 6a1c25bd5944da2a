/**
 * Who may call which route: ONE table, method + Hono path pattern → access, read by the secure app on
 * every request. Deny by default: a route the app registers without an entry here is refused for everyone
 * (403 "No access policy for …"), and web/secure_app_test.ts fails for it, so a new route cannot ship
 * unguarded by accident. `audit` names the audit-trail kind of a route's successful calls; every
 * state-changing request is recorded anyway (kind `METHOD /pattern` when none is named here).
 */

/** Who may call a route: anyone, any signed-in user (reviewers and ops), or ops only. */
export type Access = "public" | "reviewer" | "ops";

/** One entry of {@link ROUTE_POLICY}. */
export interface RoutePolicy {
  access: Access;
  /** Audit kind for this route (state-changing routes are audited even without one). */
  audit?: string;
}

const open = (audit?: string): RoutePolicy => ({ access: "public", audit });
const reviewer = (audit?: string): RoutePolicy => ({ access: "reviewer", audit });
const ops = (audit?: string): RoutePolicy => ({ access: "ops", audit });

/** The table. Keys are `METHOD /pattern` exactly as Hono lists them in `app.routes`. */
export const ROUTE_POLICY: Readonly<Record<string, RoutePolicy>> = {
  // Anyone: liveness for load balancers (says only "ok" and the driver), the island bundles and
  // stylesheet (the login page needs them), and the login and first-account pages themselves.
  "GET /health": open(),
  "GET /static/*": open(),
  "GET /login": open(),
  "POST /login": open(), // audited by the handler: login, login.failed, login.throttled
  "GET /setup": open(),
  "POST /setup": open(), // audited by the handler: user.create

  // Reviewers (and ops): import, follow progress, review, export, read the API description.
  "GET /": reviewer(),
  "GET /upload": reviewer(),
  "GET /review": reviewer(),
  "POST /upload-csv": reviewer("upload"),
  "POST /imports/sample": reviewer("upload"),
  "GET /imports": reviewer(),
  "GET /imports/:id": reviewer(),
  // The uploader follows and cancels their own upload (the registry refuses another account's key).
  "GET /uploads/:key": reviewer(),
  "POST /uploads/:key/cancel": reviewer("upload.cancel"),
  // Reviewers upload, so they may take an upload back while it embeds; deleting rows that people
  // reviewed needs confirm=true (the decisions go with them), and every delete is audited.
  "DELETE /imports/:id": reviewer("import.delete"),
  "GET /products-for-review": reviewer(),
  "POST /submit-feedback": reviewer("feedback"),
  // Audited by the handler: feedback.undo, in the transaction that withdraws the decision.
  "POST /feedback/:id/undo": reviewer(),
  "GET /products/:id/similar": reviewer(),
  // Audited by the handler: one feedback.bulk entry per decided row; previews change nothing.
  "POST /submit-feedback-bulk": reviewer(),
  "GET /suggested-values": reviewer(),
  "GET /label-values": reviewer(),
  "GET /decisions": reviewer(),
  // Reads the whole catalogue, so who exported what is worth keeping although nothing changes.
  "GET /export": reviewer("export"),
  // The API description lists every route: signed-in users only, tools with a token.
  "GET /openapi.json": reviewer(),
  "GET /api": reviewer(),
  "GET /me": reviewer(),
  "GET /account": reviewer(),
  "POST /account/password": reviewer(), // audited by the handler: user.password, user.password.refused
  "POST /logout": reviewer(), // audited by the handler: logout

  // Ops: models, settings, workers, accounts, tokens and the audit trail.
  "POST /trigger-retrain": ops("retrain"),
  "POST /load-model": ops("model.load"),
  "GET /models": ops(),
  "GET /models/:version": ops(),
  "POST /upload-taxonomy": ops("taxonomy"),
  "GET /settings/auto-accept": ops(),
  "PUT /settings/auto-accept": ops("settings.auto_accept"),
  "POST /settings/auto-accept/preview": ops(),
  "GET /settings/auto-retrain": ops(),
  "PUT /settings/auto-retrain": ops("settings.auto_retrain"),
  "GET /jobs/:id": ops(),
  "GET /workers": ops(),
  "GET /admin": ops(),
  "POST /admin/users": ops(), // the admin handlers write detailed entries: user.*, token.*
  "POST /admin/users/:name/disable": ops(),
  "POST /admin/users/:name/enable": ops(),
  "POST /admin/users/:name/password": ops(),
  "POST /admin/tokens": ops(),
  "POST /admin/tokens/:id/revoke": ops(),
  "GET /audit": ops(),
};

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
  /** Matching routes with no entry in the table (the request is refused). */
  missing: string[];
  /** The strictest access over the matching routes. */
  access: Access;
  /** The matching route's audit kind, if the table names one. */
  audit: string | undefined;
  /** The first matching route's `METHOD /pattern`. */
  key: string | undefined;
}

/** Builds the per-request lookup over `routes` (the app's, read once) and `policy`. */
export function policyLookup(
  routes: readonly RouteEntry[],
  policy: Readonly<Record<string, RoutePolicy>> = ROUTE_POLICY,
): (method: string, path: string) => Decision {
  const compiled = routes.filter((route) => !isMiddleware(route)).map((route) => ({
    method: route.method,
    key: `${route.method} ${route.path}`,
    regexp: patternRegExp(route.path),
  }));
  return (method, path) => {
    const wanted = method === "HEAD" ? "GET" : method;
    const matches = compiled.filter((route) =>
      (route.method === wanted || route.method === "ALL") && route.regexp.test(path)
    );
    const keys = [...new Set(matches.map((match) => match.key))];
    const missing = keys.filter((key) => !policy[key]);
    let access: Access = "public";
    let audit: string | undefined;
    for (const key of keys) {
      const entry = policy[key];
      if (!entry) continue;
      if (RANK[entry.access] > RANK[access]) access = entry.access;
      audit ??= entry.audit;
    }
    return { unrouted: keys.length === 0, missing, access, audit, key: keys[0] };
  };
}
