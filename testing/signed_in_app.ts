/**
 * The served app (createSecureApp) as tests and benchmarks reach it: signed in with an API token of a
 * fresh account, exactly as a script or the CLI would be. `request` is Hono's app.request with the
 * token's Authorization header added (unless the call sets its own).
 */
import crypto from "node:crypto";
import type { Hono } from "hono";
import type { Role } from "../contract/schemas.ts";
import { createUser } from "../core/accounts/accounts.ts";
import { createApiToken } from "../core/accounts/api_tokens.ts";
import type { AppEnv } from "../web/http/app_env.ts";
import { type AppDependencies, createSecureApp } from "../web/secure_app.ts";

/** A served app with a signed-in caller. */
export interface SignedInApp {
  /** Sends a request as the signed-in account. */
  request(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** The app itself, for requests without the token (as nobody, or with another account's). */
  app: Hono<AppEnv>;
  /** The account's name: what decisions and the audit log record. */
  name: string;
  /** The API token (Bearer). */
  token: string;
}

/**
 * Builds the served app over `deps` and signs in a new account of `role` (default ops, who may call
 * every route). Each call makes its own account, so several apps may share one database.
 */
export async function signedInApp(
  deps: AppDependencies,
  options: { role?: Role; name?: string } = {},
): Promise<SignedInApp> {
  const role = options.role ?? "ops";
  const name = options.name ?? `test-${role}-${crypto.randomBytes(4).toString("hex")}`;
  await createUser(deps.db, { name, role, password: crypto.randomBytes(18).toString("base64url") });
  const { token } = await createApiToken(deps.db, { name: "tests", userName: name, role, createdBy: null });
  const app = await createSecureApp(deps, { log: () => {} });
  return {
    app,
    name,
    token,
    request(input, init) {
      // A Request keeps its own headers, body and signal; the token is added unless it names its own.
      const url = typeof input === "string" && input.startsWith("/") ? `http://localhost${input}` : input;
      const request = new Request(url, init);
      if (!request.headers.has("authorization")) request.headers.set("authorization", `Bearer ${token}`);
      return Promise.resolve(app.request(request));
    },
  };
}
