/** Small fetch helpers for islands: JSON in, JSON out, the API's error message surfaced as an Error. */
import type { ApiError } from "../../contract/schemas.ts";

/** The session's CSRF token, from the page's `<meta name="csrf-token">` (empty outside a session). */
export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

/** Fetches `url` and returns its JSON body, or throws with the API's error message. */
export async function fetchJson<T>(url: string, init?: RequestInit): Promise<T> {
  const method = (init?.method ?? "GET").toUpperCase();
  if (method !== "GET" && method !== "HEAD") {
    // State-changing requests carry the CSRF token (web/http/csrf.ts).
    const headers = new Headers(init?.headers);
    headers.set("x-csrf-token", csrfToken());
    init = { ...init, headers };
  }
  const response = await fetch(url, init);
  const body = await response.json().catch(() => undefined);
  if (!response.ok) {
    const message = (body as ApiError | undefined)?.error?.message ??
      `${response.status} ${response.statusText}`;
    throw new Error(message);
  }
  return body as T;
}

/** POSTs `body` as JSON. */
export function postJson<T>(url: string, body: unknown): Promise<T> {
  return fetchJson<T>(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/**
 * POSTs `body` as JSON and resolves to the status and parsed body whatever the status (body undefined
 * when it is not JSON); rejects only when no answer came (network, server down). A redirect is not
 * followed (the page it leads to is no answer to the POST): it resolves as 401, as when a proxy in front
 * of the app sends a signed-out browser to its login page.
 */
export async function postJsonForStatus(
  url: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": csrfToken() },
    body: JSON.stringify(body),
    redirect: "manual",
  });
  if (response.type === "opaqueredirect") return { status: 401, body: undefined };
  return { status: response.status, body: await response.json().catch(() => undefined) };
}

/**
 * Reads the current session's CSRF token again (after signing in again in another tab, the page's token
 * belongs to the ended session) from a fresh copy of this page, and puts it in the page's meta tag.
 * Resolves to whether a session token was found.
 */
export async function refreshCsrfToken(): Promise<boolean> {
  const response = await fetch(location.href, { headers: { accept: "text/html" }, cache: "no-store" });
  if (!response.ok) return false;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const token = page.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content;
  if (!token) return false;
  let meta = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]');
  if (!meta) {
    meta = document.createElement("meta");
    meta.name = "csrf-token";
    document.head.append(meta);
  }
  meta.content = token;
  return true;
}
