/**
 * Calls the API from a signed-in page as the islands do (session cookie + CSRF token from the page's meta
 * tag), so a browser test sets things up with the account it reviews with. `body` is sent as given with its
 * content type; the answer is parsed as JSON. Throws with the method, URL, status and body on a non-2xx.
 */
import type { Page } from "playwright-core";

export function pageApi<T>(
  page: Page,
  method: string,
  url: string,
  body?: { type: string; text: string },
): Promise<T> {
  return page.evaluate(async ({ method, url, body }) => {
    const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
    const response = await fetch(url, {
      method,
      headers: {
        "x-csrf-token": csrf,
        accept: "application/json",
        ...(body ? { "content-type": body.type } : {}),
      },
      body: body?.text,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
    return JSON.parse(text);
  }, { method, url, body }) as Promise<T>;
}
