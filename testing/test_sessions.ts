/**
 * Signing in for tests of the served app (createSecureApp) without a browser: the login form, the
 * session cookie it sets, and the CSRF token the pages carry.
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";

/** A signed-in browser: its cookie header and the CSRF token of its pages. */
export interface TestSession {
  cookie: string;
  csrf: string;
}

/** A urlencoded form POST. */
export function formPost(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  };
}

/** Logs `account` in through POST /login and reads the CSRF token from the home page. */
export async function signIn(
  app: Pick<Hono, "request">,
  account: { name: string; password: string },
): Promise<TestSession> {
  const response = await app.request("/login", formPost(account));
  assert.equal(response.status, 303, `login of ${account.name}: ${await response.text()}`);
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0];
  assert.match(cookie, /^csv_sorter_session=[A-Za-z0-9_-]{43}$/);
  const page = await (await app.request("/", { headers: { cookie, accept: "text/html" } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page)?.[1];
  assert.ok(csrf, "the page has no csrf-token meta tag");
  return { cookie, csrf };
}

/** Headers of a request from `session` (with its CSRF token on anything but GET). */
export function sessionHeaders(
  session: TestSession | undefined,
  method: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const headers: Record<string, string> = { ...extra };
  if (session) {
    headers.cookie = session.cookie;
    if (method !== "GET") headers["x-csrf-token"] = session.csrf;
  }
  return headers;
}
