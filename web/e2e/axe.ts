/**
 * The accessibility check of the browser tests: axe-core (offline, its browser build from node_modules)
 * run on a page as it stands, reporting the critical and serious violations of WCAG 2.1 A and AA.
 *
 * axe is injected as a script, which the app's CSP (rightly) refuses, so the audited pages live in a
 * context of their own that bypasses the CSP and carries the signed-in context's cookies and headers.
 */
import { createRequire } from "node:module";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { settle } from "./app_process.ts";

/** axe-core's browser build. */
const AXE_SCRIPT = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** The critical and serious violations on `page` as it is now: `impact rule at selector, …` lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE_SCRIPT });
  return await page.evaluate(async () => {
    // deno-lint-ignore no-explicit-any
    const axe = (globalThis as any).axe;
    const result = await axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] });
    return (result.violations as { id: string; impact: string; nodes: { target: string[] }[] }[])
      .filter((violation) => violation.impact === "critical" || violation.impact === "serious")
      .map((violation) =>
        `${violation.impact} ${violation.id} at ${
          violation.nodes.slice(0, 3).map((node) => node.target.join(" ")).join(", ")
        }`
      );
  });
}

/**
 * A page for axe in a new CSP-bypassing context signed in as `signedIn` is (its cookies, and the extra
 * headers given, such as an API token). Close it with `page.context().close()`.
 */
export async function axePage(
  browser: Browser,
  signedIn?: BrowserContext,
  extraHTTPHeaders?: Record<string, string>,
): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    bypassCSP: true,
    storageState: signedIn ? await signedIn.storageState() : undefined,
    extraHTTPHeaders,
  });
  return await context.newPage();
}

/**
 * Audits `url` in the light and the dark theme; `ready` runs after each load (open a panel, choose a
 * file) so a state of the page is checked, not only its first paint. Returns `url (scheme): violation`
 * lines, none when the page is clean.
 */
export async function auditThemes(
  page: Page,
  url: string,
  ready: (page: Page) => Promise<void> = async () => {},
): Promise<string[]> {
  const found: string[] = [];
  for (const scheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(url);
    await settle(page);
    await ready(page);
    for (const violation of await axeViolations(page)) {
      found.push(`${new URL(url).pathname} (${scheme}): ${violation}`);
    }
  }
  return found;
}
