/**
 * Signing in for browser tests: the served app has no default account, so a test makes the first ops
 * account the way a newcomer does — through the one-time setup link the server prints in its log — then
 * logs out and in again through the login form. One call per test: `await createOpsAndLogin(page,
 * baseUrl, appOutput)`.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";

/** The account the browser tests create. */
export const E2E_OPS = { name: "e2e-ops", password: "e2e-ops-password-1" };

/** The setup token from the server's log line `Open http://…/setup?token=… to create …`. */
export function setupTokenFrom(log: string): string {
  const match = /\/setup\?token=([A-Za-z0-9_-]+) to create the first ops account/.exec(log);
  assert.ok(match, `the app printed no setup link; its output:\n${log}`);
  return match[1];
}

/** Logs in through the login form as `account`. */
export async function loginAs(page: Page, baseUrl: string, account = E2E_OPS): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.locator('input[name="name"]').fill(account.name);
  await page.locator('input[name="password"]').fill(account.password);
  await page.locator("[data-testid=login-submit]").click();
  await page.locator("[data-testid=signed-in-as]").filter({ hasText: account.name }).waitFor();
}

/** Creates the first ops account through the setup link in `appLog`, logs out, and logs in again. */
export async function createOpsAndLogin(page: Page, baseUrl: string, appLog: string, account = E2E_OPS) {
  await page.goto(`${baseUrl}/setup?token=${setupTokenFrom(appLog)}`);
  await page.locator('input[name="name"]').fill(account.name);
  await page.locator('input[name="password"]').fill(account.password);
  await page.locator('input[name="password_again"]').fill(account.password);
  await page.locator("[data-testid=setup-submit]").click();
  await page.locator("[data-testid=signed-in-as]").filter({ hasText: account.name }).waitFor();
  await page.locator("[data-testid=logout]").click();
  await page.locator("[data-testid=login-submit]").waitFor();
  await loginAs(page, baseUrl, account);
}
