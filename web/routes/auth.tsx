/**
 * Login, logout and the first ops account. Plain forms answered with a 303, as the rest of the product's
 * forms. The setup link is the one way in on an empty database without a shell: a random token printed
 * in the server log (who can read the log owns the machine), valid until the first account exists.
 */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { BUTTON, FIELD } from "../components/form_styles.ts";
import { readForm } from "../http/form_body.ts";
import { page } from "../http/html_page.ts";
import { startSession } from "../http/session_cookie.ts";
import { deleteCookie, getCookie } from "hono/cookie";
import { LoginInput, Role, SetupInput } from "../../contract/schemas.ts";
import type { Database } from "../../core/db/database.ts";
import { CsrfField } from "../components/CsrfField.tsx";
import { Layout } from "../components/Layout.tsx";
import { AccountError, countUsers, createFirstOps, findLogin } from "../../core/accounts/accounts.ts";
import { recordAudit } from "../../core/accounts/audit.ts";
import { clientAddress, SESSION_COOKIE, sessionCookieOptions } from "../http/authenticate.ts";
import { currentUser } from "../http/current_user.ts";
import { declaredRouter, defineRoute } from "../http/define_route.ts";
import type { LoginThrottle } from "../../core/accounts/login_throttle.ts";
import { timingSafeEqualText, verifyAgainstNothing, verifyPassword } from "../../core/accounts/passwords.ts";
import { deleteSession } from "../../core/accounts/sessions.ts";

/** The one-time setup token, while the first account does not exist. */
export interface SetupToken {
  value: string | undefined;
}

/** What the auth routes need. */
export interface AuthDependencies {
  db: Database;
  throttle: LoginThrottle;
  setup: SetupToken;
}

function LoginPage({ error, next, name }: { error?: string; next?: string; name?: string }) {
  return (
    <Layout title="Log in" active="none" bare>
      <form
        method="post"
        action="/login"
        class="max-w-sm mx-auto bg-white border border-slate-200 rounded-lg p-6 space-y-4"
      >
        <h1 class="text-xl font-semibold">Log in to CSV-Sorter</h1>
        <CsrfField />
        {next && <input type="hidden" name="next" value={next} />}
        <label class="block text-sm">
          Name
          <input
            class={FIELD}
            name="name"
            autocomplete="username"
            required
            maxLength={100}
            value={name ?? ""}
            autofocus
          />
        </label>
        <label class="block text-sm">
          Password
          <input
            class={FIELD}
            name="password"
            type="password"
            autocomplete="current-password"
            required
            maxLength={1024}
          />
        </label>
        {error && <p class="text-red-700 text-sm" role="alert" data-testid="login-error">{error}</p>}
        <button type="submit" class={BUTTON} data-testid="login-submit">Log in</button>
      </form>
    </Layout>
  );
}

/** The account-name rule of contract/schemas.ts, for the browser to check before sending (`v` flag syntax). */
const NAME_PATTERN = "[\\p{L}\\p{N}._@\\-]+";

function SetupPage({ token, error, name }: { token: string; error?: string; name?: string }) {
  return (
    <Layout title="Create the first ops account" active="none" bare>
      <form
        method="post"
        action="/setup"
        class="max-w-sm mx-auto bg-white border border-slate-200 rounded-lg p-6 space-y-4"
      >
        <h1 class="text-xl font-semibold">Create the first ops account</h1>
        <p class="text-sm text-slate-600">
          This link works once. Ops can then add reviewers and other ops under Accounts.
        </p>
        <input type="hidden" name="token" value={token} />
        <label class="block text-sm">
          Name (letters, digits and . _ @ -, no spaces)
          <input
            class={FIELD}
            name="name"
            autocomplete="username"
            required
            maxLength={100}
            pattern={NAME_PATTERN}
            title="Letters, digits and . _ @ - only, no spaces"
            value={name}
            autofocus
          />
        </label>
        <label class="block text-sm">
          Password (at least 12 characters)
          <input
            class={FIELD}
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minLength={12}
            maxLength={1024}
          />
        </label>
        <label class="block text-sm">
          Password again
          <input
            class={FIELD}
            name="password_again"
            type="password"
            autocomplete="new-password"
            required
            minLength={12}
            maxLength={1024}
          />
        </label>
        {error && <p class="text-red-700 text-sm" role="alert" data-testid="setup-error">{error}</p>}
        <button type="submit" class={BUTTON} data-testid="setup-submit">Create account and log in</button>
      </form>
    </Layout>
  );
}

function MessagePage({ title, message }: { title: string; message: string }) {
  return (
    <Layout title={title} active="none" bare>
      <div class="max-w-md mx-auto bg-white border border-slate-200 rounded-lg p-6 space-y-2">
        <h1 class="text-xl font-semibold">{title}</h1>
        <p class="text-sm" data-testid="message">{message}</p>
        <p class="text-sm">
          <a class="text-blue-700 underline" href="/login">Log in</a>
        </p>
      </div>
    </Layout>
  );
}

const PAGE = (description: string) => ({ description, content: { "text/html": z.string() } });
const FORM = "application/x-www-form-urlencoded";

// Anyone: the login and first-account pages, and their forms. The form handlers answer refusals with the
// page again (and a status), so they read their forms themselves.
const loginPage = defineRoute({
  method: "get",
  path: "/login",
  access: "public",
  tag: "Pages",
  summary: "The login page",
  described: { query: LoginInput.pick({ next: true }) },
  responses: { 200: PAGE("The form") },
});

// Audited by the handler: login, login.failed, login.throttled.
const login = defineRoute({
  method: "post",
  path: "/login",
  access: "public",
  tag: "Pages",
  summary: "Log in: starts a session (cookie) and goes to `next`",
  described: { body: { [FORM]: LoginInput } },
  responses: {
    303: { description: "Logged in: to `next`, or /" },
    401: PAGE("Wrong name or password: the form again"),
    429: PAGE("Too many failed attempts from this address for this name (Retry-After)"),
  },
  errors: [403, 413],
});

// Audited by the handler: logout.
const logout = defineRoute({
  method: "post",
  path: "/logout",
  access: "reviewer",
  tag: "Pages",
  summary: "Log out: ends this session",
  responses: { 303: { description: "To /login" } },
  errors: [403],
});

const me = defineRoute({
  method: "get",
  path: "/me",
  access: "reviewer",
  tag: "API",
  summary: "Who is signed in, and how (session or API token)",
  responses: {
    200: {
      description: "The account",
      content: {
        "application/json": z.object({ name: z.string(), role: Role, via: z.enum(["session", "token"]) }),
      },
    },
  },
});

const setupPage = defineRoute({
  method: "get",
  path: "/setup",
  access: "public",
  tag: "Pages",
  summary: "The first ops account's page, from the one-time link in the server log",
  described: { query: SetupInput.pick({ token: true }) },
  responses: {
    200: PAGE("The form"),
    403: PAGE("Not the link's token"),
    410: PAGE("An account exists: setup is done"),
  },
});

// Audited by the handler: user.create.
const setupAccount = defineRoute({
  method: "post",
  path: "/setup",
  access: "public",
  tag: "Pages",
  summary: "Create the first ops account and log in",
  described: { body: { [FORM]: SetupInput } },
  responses: {
    303: { description: "Created: to /; or to /setup when the token is not (or no longer) valid" },
    422: PAGE("Refused (name, password): the form again, saying why"),
  },
  errors: [403, 413],
});

/** Builds /login, /logout, /setup and /me. */
export function authRoutes(deps: AuthDependencies): OpenAPIHono<AppEnv> {
  const { db, throttle, setup } = deps;
  const routes = declaredRouter();

  routes.openapi(loginPage, (c) => {
    const next = LoginInput.shape.next.safeParse(c.req.query("next")).data;
    return page(c, <LoginPage next={next} />);
  });

  routes.openapi(login, async (c) => {
    c.set("audited", true);
    const form = await readForm(c);
    const parsed = LoginInput.safeParse(form);
    const address = clientAddress(c);
    const name = String(form.name ?? "").trim().slice(0, 100);
    if (!parsed.success) {
      return page(c, <LoginPage error="Wrong name or password" name={name} />, 401);
    }
    const input = parsed.data;
    const wait = throttle.retryAfter(input.name, address);
    if (wait > 0) {
      await recordAudit(db, { name: input.name, id: null, via: "anonymous" }, "login.throttled", { address });
      c.header("retry-after", String(wait));
      return page(
        c,
        <LoginPage
          error={`Too many failed attempts: try again in ${Math.ceil(wait / 60)} minutes`}
          name={name}
        />,
        429,
      );
    }
    const account = await findLogin(db, input.name);
    const ok = account
      ? (await verifyPassword(input.password, account.password_hash)) && !account.disabled
      : await verifyAgainstNothing(input.password);
    if (!ok || !account) {
      throttle.failed(input.name, address);
      await recordAudit(db, { name: input.name, id: account?.id ?? null, via: "anonymous" }, "login.failed", {
        address,
        ...(account?.disabled ? { reason: "disabled" } : {}),
      });
      return page(c, <LoginPage error="Wrong name or password" next={input.next} name={name} />, 401);
    }
    throttle.succeeded(input.name, address);
    await startSession(c, db, account.id);
    await recordAudit(db, { name: account.name, id: account.id, via: "session" }, "login", { address });
    return c.redirect(input.next ?? "/", 303);
  });

  routes.openapi(logout, async (c) => {
    c.set("audited", true);
    const id = getCookie(c, SESSION_COOKIE);
    if (id) await deleteSession(db, id);
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: sessionCookieOptions(c).secure });
    const user = currentUser();
    if (user) await recordAudit(db, { name: user.name, id: user.id, via: user.via }, "logout");
    return c.redirect("/login", 303);
  });

  routes.openapi(me, (c) => {
    const user = currentUser()!;
    return c.json({ name: user.name, role: user.role, via: user.via });
  });

  const setupState = async (token: string | undefined): Promise<"done" | "bad" | "ok"> => {
    if (!setup.value || (await countUsers(db)) > 0) return "done";
    return token && timingSafeEqualText(token, setup.value) ? "ok" : "bad";
  };

  routes.openapi(setupPage, async (c) => {
    const token = c.req.query("token");
    const state = await setupState(token);
    if (state === "done") {
      return page(c, <MessagePage title="Setup is done" message="The first account exists: log in." />, 410);
    }
    if (state === "bad") {
      return page(
        c,
        <MessagePage
          title="Not a valid setup link"
          message="Use the setup link printed in the server log."
        />,
        403,
      );
    }
    return page(c, <SetupPage token={token!} />);
  });

  routes.openapi(setupAccount, async (c) => {
    c.set("audited", true);
    const form = await readForm(c);
    const state = await setupState(form.token);
    if (state !== "ok") return c.redirect(`/setup`, 303);
    const parsed = SetupInput.safeParse(form);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return page(
        c,
        <SetupPage
          token={form.token}
          name={form.name}
          error={`${issue.path.join(".").replace(/^./, (first) => first.toUpperCase())}: ${issue.message}`}
        />,
        422,
      );
    }
    if (parsed.data.password !== parsed.data.password_again) {
      return page(c, <SetupPage token={form.token} name={form.name} error="The two passwords differ" />, 422);
    }
    let user;
    try {
      user = await createFirstOps(db, parsed.data);
    } catch (error) {
      if (error instanceof AccountError) {
        return page(c, <SetupPage token={form.token} name={form.name} error={error.message} />, 422);
      }
      throw error;
    }
    if (!user) return c.redirect(`/setup`, 303);
    setup.value = undefined;
    await recordAudit(db, { name: user.name, id: user.id, via: "setup" }, "user.create", {
      name: user.name,
      role: user.role,
      by: "setup link",
    });
    await startSession(c, db, user.id);
    return c.redirect("/", 303);
  });

  return routes;
}
