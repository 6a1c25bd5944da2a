/**
 * The request context's variables, typed once for every middleware and route of the app: Hono's
 * `Env["Variables"]` makes `c.get`/`c.set` checked by the compiler instead of cast.
 */
import type { Decision } from "./route_policy.ts";
import type { ClientOrigin } from "./client_origin.ts";
import type { CurrentUser } from "./current_user.ts";
import type { InputNames } from "./define_route.ts";

/** What the security layer sets on each request. */
export interface AppVariables {
  /** The signed-in user (authenticate.ts); undefined for a request without a session or token. */
  user: CurrentUser | undefined;
  /** The route policy's decision for this request (access_control.ts), read again by the audit log. */
  decision: Decision;
  /** Set by a route that wrote its own, more specific audit entry, so the generic one is skipped. */
  audited: boolean;
  /** What the route calls its inputs in refusals (define_route.ts). */
  inputNames: InputNames;
  /** The origin the client used, behind a trusted proxy or not (client_origin.ts). */
  clientOrigin: ClientOrigin;
}

/** The Hono environment of every app, router and middleware: `new Hono<AppEnv>()`. */
export interface AppEnv {
  Variables: AppVariables;
}
