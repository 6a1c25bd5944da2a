/**
 * The app as served: the inner app of web/app.ts (every feature route) behind the security layer —
 * security headers on every response, authentication (session cookie or API token), the access each
 * route declares (web/http/route_policy.ts; deny by default), CSRF checks, a JSON body limit, and the
 * audit trail — plus the login, setup, accounts and audit pages. Its OpenAPI document describes all of
 * them. Feature tests keep calling createApp() directly.
 */
import type { AppEnv } from "./http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { createApp } from "./app.ts";
import { accessControl } from "./http/access_control.ts";
import { countUsers } from "../core/accounts/accounts.ts";
import { ApiProblem, handleError } from "./http/api_error.ts";
import { auditRequests } from "./http/audit_requests.ts";
import { declaredRouter } from "./http/define_route.ts";
import { declaredPolicies } from "./http/route_policy.ts";
import { authenticate } from "./http/authenticate.ts";
import { clientOriginMiddleware } from "./http/client_origin.ts";
import { csrfProtection } from "./http/csrf.ts";
import { LoginThrottle } from "../core/accounts/login_throttle.ts";
import { randomSecret } from "../core/accounts/secrets.ts";
import { securityHeaders } from "./http/security_headers.ts";
import { accountRoutes } from "./routes/account.tsx";
import { adminRoutes } from "./routes/admin.tsx";
import { auditRoutes } from "./routes/audit.tsx";
import { authRoutes, type SetupToken } from "./routes/auth.tsx";

/** What the inner app needs (whatever createApp takes). */
export type AppDependencies = Parameters<typeof createApp>[0];

/**
 * Largest JSON or urlencoded request body on any route (uploads have their own limit, MAX_UPLOAD_BYTES):
 * a bulk decision's 500 ids of ten digits fit in 6 KiB, and 64 KiB leaves room for a long correction.
 */
export const MAX_FORM_OR_JSON_BYTES = 64 * 1024;

/** Options of {@link createSecureApp}. */
export interface SecureAppOptions {
  /** Where the server listens, for the setup link printed on an empty database. */
  host?: string;
  port?: number;
  /** Where the setup link is printed (console.log by default). */
  log?: (line: string) => void;
  /** The login rate limit (tests pass one with a small window). */
  throttle?: LoginThrottle;
  /** Trust a reverse proxy's X-Forwarded-Proto, -Host and -For (TRUST_PROXY). */
  trustProxy?: boolean;
  /** The address users open, e.g. https://sorter.example.com (PUBLIC_URL): the setup link uses it. */
  publicUrl?: string;
}

/** The base URL a person on this machine opens: a wildcard listen address becomes 127.0.0.1. */
function localUrl(host = "127.0.0.1", port = 8000): string {
  const shown = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
  return `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}`;
}

/** Refuses oversized JSON and form bodies as they arrive (multipart and CSV uploads are not limited here). */
function smallBodies() {
  const limit = bodyLimit({
    maxSize: MAX_FORM_OR_JSON_BYTES,
    onError: () => {
      throw new ApiProblem(413, `Request body is over ${MAX_FORM_OR_JSON_BYTES} bytes`);
    },
  });
  return async function smallBodies(c: Parameters<typeof limit>[0], next: () => Promise<void>) {
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (
      type === "application/json" || type.endsWith("+json") || type === "application/x-www-form-urlencoded"
    ) {
      return await limit(c, next);
    }
    await next();
  };
}

/**
 * Builds the served app. On an empty users table it makes a one-time setup token and logs the link
 * that creates the first ops account (valid until an account exists, by that link or by the CLI).
 */
export async function createSecureApp(
  deps: AppDependencies,
  options: SecureAppOptions = {},
): Promise<OpenAPIHono<AppEnv>> {
  const setup: SetupToken = { value: undefined };
  const app = declaredRouter();
  app.onError(handleError);
  app.notFound((c) =>
    c.json({ error: { status: 404, message: `No route for ${c.req.method} ${c.req.path}` } }, 404)
  );
  app.use("*", clientOriginMiddleware({ trustProxy: options.trustProxy }));
  app.use("*", securityHeaders());
  app.use("*", authenticate(deps.db));
  app.use("*", accessControl({ routes: () => app.routes, policy: () => declaredPolicies(app) }));
  app.use("*", smallBodies());
  app.use("*", csrfProtection({ publicUrl: options.publicUrl }));
  app.use("*", auditRequests(deps.db));
  // One throttle for logins and password changes: a wrong current password counts as a failed login.
  const throttle = options.throttle ?? new LoginThrottle();
  app.route("/", authRoutes({ db: deps.db, throttle, setup }));
  app.route("/", accountRoutes({ db: deps.db, throttle }));
  app.route("/", adminRoutes(deps));
  app.route("/", auditRoutes(deps));
  app.route("/", createApp(deps, { documented: () => app }));

  if ((await countUsers(deps.db)) === 0) {
    setup.value = randomSecret();
    (options.log ?? console.log)(
      `Open ${
        options.publicUrl?.replace(/\/+$/, "") ?? localUrl(options.host, options.port)
      }/setup?token=${setup.value} to create the first ops account`,
    );
  }
  return app;
}
