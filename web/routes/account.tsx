/**
 * /account: the signed-in user's own page — who they are, and changing their password (ops no longer
 * have to reset it for them). Changing it ends every session of the account, as an ops reset does, so a
 * browser someone else left signed in is logged out; this browser gets a fresh session. Wrong current
 * passwords count against the same throttle as logins: the form must not become a way around it.
 */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { PasswordChangeInput } from "../../contract/schemas.ts";
import type { Database } from "../../core/db/database.ts";
import { CsrfField } from "../components/CsrfField.tsx";
import { Layout } from "../components/Layout.tsx";
import { AccountError, findLogin, setUserPassword } from "../../core/accounts/accounts.ts";
import { recordAudit } from "../../core/accounts/audit.ts";
import { clientAddress } from "../http/authenticate.ts";
import { type CurrentUser, currentUser } from "../http/current_user.ts";
import { declaredRouter, defineRoute } from "../http/define_route.ts";
import type { LoginThrottle } from "../../core/accounts/login_throttle.ts";
import { verifyPassword } from "../../core/accounts/passwords.ts";
import { BUTTON, FIELD } from "../components/form_styles.ts";
import { readForm } from "../http/form_body.ts";
import { page } from "../http/html_page.ts";
import { startSession } from "../http/session_cookie.ts";

/** What the account routes need. */
export interface AccountDependencies {
  db: Database;
  throttle: LoginThrottle;
}

function AccountPage({ user, error, done }: { user: CurrentUser; error?: string; done?: boolean }) {
  const password = (name: string, label: string, autocomplete: string) => (
    <label class="block text-sm">
      {label}
      <input
        class={FIELD}
        name={name}
        type="password"
        autocomplete={autocomplete}
        required
        minLength={name === "current_password" ? 1 : 12}
        maxLength={1024}
      />
    </label>
  );
  return (
    <Layout title="Your account" active="account">
      <div class="max-w-sm space-y-4">
        <h1 class="text-xl font-semibold">Your account</h1>
        <p class="text-sm" data-testid="account-name">
          {user.name} <span class="text-slate-500">({user.role})</span>
        </p>
        {user.via === "session"
          ? (
            <form
              method="post"
              action="/account/password"
              class="bg-white border border-slate-200 rounded-lg p-6 space-y-4"
            >
              <h2 class="font-semibold">Change your password</h2>
              <CsrfField />
              {password("current_password", "Current password", "current-password")}
              {password("password", "New password (at least 12 characters)", "new-password")}
              {password("password_again", "New password again", "new-password")}
              {error && <p class="text-red-700 text-sm" role="alert" data-testid="account-error">{error}</p>}
              {done && (
                <p class="text-green-700 text-sm" role="status" data-testid="account-done">
                  Password changed; other browsers signed in as you were logged out.
                </p>
              )}
              <button type="submit" class={BUTTON} data-testid="password-submit">Change password</button>
            </form>
          )
          : (
            <p class="text-sm text-slate-600" role={error ? "alert" : undefined} data-testid="account-error">
              {error ?? "Signed in with an API token: passwords are changed from a browser session."}
            </p>
          )}
      </div>
    </Layout>
  );
}

const PAGE = (description: string) => ({ description, content: { "text/html": z.string() } });

const accountPage = defineRoute({
  method: "get",
  path: "/account",
  access: "reviewer",
  tag: "Pages",
  summary: "Your account: who you are, and changing your password",
  described: { query: z.object({ done: z.literal("password").optional() }) },
  responses: { 200: PAGE("The page") },
});

// Audited by the handler: user.password, user.password.refused. The form is answered with the page.
const changePassword = defineRoute({
  method: "post",
  path: "/account/password",
  access: "reviewer",
  tag: "Pages",
  summary: "Change your password; every other session of the account ends",
  described: { body: { "application/x-www-form-urlencoded": PasswordChangeInput } },
  responses: {
    303: { description: "Changed: to /account?done=password, with a fresh session" },
    401: PAGE("The current password is wrong"),
    403: PAGE("Signed in with an API token"),
    422: PAGE("The new passwords differ or are refused"),
    429: PAGE("Too many failed attempts (Retry-After)"),
  },
  errors: [413],
});

/** Builds GET /account and POST /account/password. */
export function accountRoutes(deps: AccountDependencies): OpenAPIHono<AppEnv> {
  const { db, throttle } = deps;
  const routes = declaredRouter();

  routes.openapi(accountPage, (c) => {
    const user = currentUser()!;
    return page(c, <AccountPage user={user} done={c.req.query("done") === "password"} />);
  });

  routes.openapi(changePassword, async (c) => {
    c.set("audited", true);
    const user = currentUser()!;
    const refuse = (error: string, status: 401 | 403 | 422 | 429) =>
      page(c, <AccountPage user={user} error={error} />, status);
    if (user.via !== "session") {
      return refuse("Cannot change a password with an API token: sign in with a browser", 403);
    }
    const address = clientAddress(c);
    const wait = throttle.retryAfter(user.name, address);
    if (wait > 0) {
      c.header("retry-after", String(wait));
      return refuse(`Too many failed attempts: try again in ${Math.ceil(wait / 60)} minutes`, 429);
    }
    const parsed = PasswordChangeInput.safeParse(await readForm(c));
    if (!parsed.success) return refuse("Fill in the current password and the new one twice", 422);
    const input = parsed.data;
    const account = await findLogin(db, user.name);
    if (!account || !(await verifyPassword(input.current_password, account.password_hash))) {
      throttle.failed(user.name, address);
      await recordAudit(db, { name: user.name, id: user.id, via: user.via }, "user.password.refused", {
        address,
      });
      return refuse("The current password is wrong", 401);
    }
    if (input.password !== input.password_again) return refuse("The two new passwords differ", 422);
    try {
      await setUserPassword(db, user.name, input.password);
    } catch (error) {
      if (error instanceof AccountError) return refuse(error.message, 422);
      throw error;
    }
    throttle.succeeded(user.name, address);
    await startSession(c, db, user.id);
    await recordAudit(db, { name: user.name, id: user.id, via: user.via }, "user.password", {
      name: user.name,
      by: "self",
    });
    return c.redirect("/account?done=password", 303);
  });

  return routes;
}
