/**
 * Security headers on every response. The CSP allows only this origin's scripts and stylesheets: the
 * pages have no inline script (islands read their props from data attributes) and no style attributes
 * (bars are <meter>/<progress> elements), so nothing inline is allowed at all.
 */
import type { MiddlewareHandler } from "hono";

/** The Content-Security-Policy of every response. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** Every response's security headers. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  // same-origin, not no-referrer: under no-referrer browsers send "Origin: null" on form posts, which
  // would blind the CSRF origin check; other sites still get no referrer at all.
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=()",
};

/** Sets {@link SECURITY_HEADERS} on the response, whatever produced it (handler, error, 404). */
export function securityHeaders(): MiddlewareHandler {
  return async function securityHeaders(c, next) {
    await next();
    try {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    } catch {
      // A response with immutable headers (Response.redirect, a fetched one): copy it, then set.
      c.res = new Response(c.res.body, c.res);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    }
  };
}
