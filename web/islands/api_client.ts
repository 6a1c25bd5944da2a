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
