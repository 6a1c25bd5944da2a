/**
 * CSRF protection for state-changing requests (anything but GET, HEAD, OPTIONS). Two checks:
 * - Origin: a browser says where such a request came from (Sec-Fetch-Site, Origin); one from another
 *   origin is refused, on every route including the public login form (login CSRF).
 * - Synchroniser token: a request authenticated by the session cookie must carry the session's token,
 *   as the X-CSRF-Token header (islands: read from <meta name="csrf-token">) or the `_csrf` field of a
 *   form. Requests with a bearer token are exempt: browsers never attach one by themselves.
 */
import type { Context, MiddlewareHandler } from "hono";
import { ApiProblem } from "./api_error.ts";
import { clientOrigin } from "./client_origin.ts";
import { currentUser } from "./current_user.ts";
import { timingSafeEqualText } from "../../core/accounts/passwords.ts";

/** Multipart bodies larger than this are not searched for `_csrf` (send the header instead). */
const MAX_FORM_BYTES = 1024 * 1024;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** The `_csrf` field of a form body, read from a copy so the handler can still read the body. */
async function formToken(c: Context): Promise<string | undefined> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded" && type !== "multipart/form-data") return undefined;
  // Urlencoded bodies are already capped by the secure app's body limit; a multipart one is read only
  // when it says it is small (an upload sends the header instead of a field).
  const length = Number(c.req.header("content-length") ?? NaN);
  if (type === "multipart/form-data" && !(length <= MAX_FORM_BYTES)) return undefined;
  try {
    const form = await c.req.raw.clone().formData();
    const value = form.get("_csrf");
    return typeof value === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a browser says the request came from another origin. Sec-Fetch-Site first (every current
 * browser sends it; "same-site" is refused too: another app on this host, another port, is same-site);
 * else the Origin header against the host the client addressed (or the public URL's).
 */
function crossSite(c: Context, publicHost: string | undefined): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site) return site !== "same-origin" && site !== "none";
  const origin = c.req.header("origin");
  if (!origin) return false;
  if (origin === "null") return true;
  try {
    const host = new URL(origin).host;
    return host !== clientOrigin(c).host && host !== publicHost;
  } catch {
    return true;
  }
}

/** The CSRF middleware; runs after {@link authenticate}. `publicUrl`: the address users open (PUBLIC_URL). */
export function csrfProtection(options: { publicUrl?: string } = {}): MiddlewareHandler {
  const publicHost = options.publicUrl ? new URL(options.publicUrl).host : undefined;
  return async function csrfProtection(c, next) {
    if (SAFE_METHODS.has(c.req.method)) return await next();
    const user = currentUser();
    if (user?.via === "token") return await next();
    if (crossSite(c, publicHost)) {
      throw new ApiProblem(403, `Refused ${c.req.method} ${c.req.path}: the request came from another site`);
    }
    if (user?.via === "session") {
      const sent = c.req.header("x-csrf-token") ?? await formToken(c);
      if (!sent || !user.csrfToken || !timingSafeEqualText(sent, user.csrfToken)) {
        throw new ApiProblem(
          403,
          `Refused ${c.req.method} ${c.req.path}: the CSRF token is missing or wrong; reload the page`,
        );
      }
    }
    await next();
  };
}
