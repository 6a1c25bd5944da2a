/**
 * Accounts and API tokens, for ops: list, create, disable, reset a password, create and revoke tokens.
 * Plain forms answered with a 303 — except creating a token, which answers with the page showing the new
 * token, once (it is stored hashed and cannot be shown again). Each change writes its own audit entry.
 */
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { z } from "zod";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { renderToString } from "preact-render-to-string";
import { CreateTokenInput, CreateUserInput, IdParam } from "../../contract/schemas.ts";
import type { Database } from "../../core/db/database.ts";
import { sql } from "../../core/db/sql.ts";
import { AdminPage, type AdminPageProps } from "../components/AdminPage.tsx";
import {
  AccountError,
  createUser,
  listUsers,
  setUserDisabled,
  setUserPassword,
} from "../../core/accounts/accounts.ts";
import { createApiToken, listApiTokens, revokeApiToken } from "../../core/accounts/api_tokens.ts";
import { type AuditActor, recordAudit } from "../../core/accounts/audit.ts";
import { currentUser } from "../http/current_user.ts";
import { statusOf } from "../http/api_error.ts";
import { readForm } from "../http/form_body.ts";
import { declaredRouter, defineRoute } from "../http/define_route.ts";

/** Confirmation messages by code: the redirect names a code, never echoes user text. */
const NOTICES: Record<string, string> = {
  "user-created": "Account created.",
  "user-disabled": "Account disabled; its sessions ended.",
  "user-enabled": "Account enabled.",
  "password-set": "Password changed; the account's sessions ended.",
  "token-revoked": "Token revoked.",
};

const PAGE = (description: string) => ({ description, content: { "text/html": z.string() } });
const FORM = "application/x-www-form-urlencoded";
/** The forms answer a refusal with the page saying why (and the refusal's status). */
const REFUSED = { 404: PAGE("No such account or token"), 422: PAGE("Refused: the page, saying why") };
const NameParam = z.object({ name: CreateUserInput.shape.name });

// Ops: accounts and tokens. The handlers read their forms and write detailed entries: user.*, token.*.
const adminPage = defineRoute({
  method: "get",
  path: "/admin",
  access: "ops",
  tag: "Pages",
  summary: "Accounts and API tokens",
  described: { query: z.object({ done: z.enum(Object.keys(NOTICES) as [string, ...string[]]).optional() }) },
  responses: { 200: PAGE("The page") },
});

const createUserRoute = defineRoute({
  method: "post",
  path: "/admin/users",
  access: "ops",
  tag: "Pages",
  summary: "Create an account",
  described: { body: { [FORM]: CreateUserInput } },
  responses: { 303: { description: "Created: to /admin" }, ...REFUSED },
  errors: [403, 413],
});

const accountChange = (action: "disable" | "enable", summary: string) =>
  defineRoute({
    method: "post",
    path: `/admin/users/{name}/${action}`,
    access: "ops",
    tag: "Pages",
    summary,
    described: { params: NameParam },
    responses: { 303: { description: "Done: to /admin" }, ...REFUSED },
    errors: [403],
  });
const disableUser = accountChange("disable", "Disable an account (its sessions end; never the last ops)");
const enableUser = accountChange("enable", "Enable an account");

const resetPassword = defineRoute({
  method: "post",
  path: "/admin/users/{name}/password",
  access: "ops",
  tag: "Pages",
  summary: "Set an account's password (its sessions end)",
  described: { params: NameParam, body: { [FORM]: CreateUserInput.pick({ password: true }) } },
  responses: { 303: { description: "Changed: to /admin" }, ...REFUSED },
  errors: [403, 413],
});

const createToken = defineRoute({
  method: "post",
  path: "/admin/tokens",
  access: "ops",
  tag: "Pages",
  summary: "Create an API token: the page shows it, once",
  described: { body: { [FORM]: CreateTokenInput } },
  responses: { 201: PAGE("The page with the new token"), ...REFUSED },
  errors: [403, 413],
});

const revokeToken = defineRoute({
  method: "post",
  path: "/admin/tokens/{id}/revoke",
  access: "ops",
  tag: "Pages",
  summary: "Revoke an API token",
  described: { params: IdParam },
  responses: { 303: { description: "Revoked: to /admin" }, ...REFUSED },
  errors: [403],
});

/** Builds the /admin routes. */
export function adminRoutes(deps: { db: Database }): OpenAPIHono<AppEnv> {
  const { db } = deps;
  const routes = declaredRouter();

  const actor = (): AuditActor => {
    const user = currentUser()!;
    return { name: user.name, id: user.id, via: user.via };
  };

  const render = async (c: Context, extra: Omit<AdminPageProps, "users" | "tokens">, status = 200) => {
    c.header("cache-control", "no-store");
    const [users, tokens] = [await listUsers(db), await listApiTokens(db)];
    return c.html(
      `<!DOCTYPE html>${renderToString(<AdminPage users={users} tokens={tokens} {...extra} />)}`,
      status as ContentfulStatusCode,
    );
  };

  /** Runs a change; an expected refusal re-renders the page with the reason. */
  const change = async (c: Context, fn: () => Promise<Response>): Promise<Response> => {
    c.set("audited", true);
    try {
      return await fn();
    } catch (error) {
      if (error instanceof AccountError) return await render(c, { error: error.message }, statusOf(error));
      throw error;
    }
  };

  routes.openapi(adminPage, (c) => {
    const notice = NOTICES[c.req.query("done") ?? ""];
    return render(c, { notice });
  });

  routes.openapi(createUserRoute, (c) =>
    change(c, async () => {
      const parsed = CreateUserInput.safeParse(await readForm(c));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AccountError(
          "invalid",
          `Cannot create the account: ${issue.path.join(".")}: ${issue.message}`,
        );
      }
      const user = await createUser(db, parsed.data);
      await recordAudit(db, actor(), "user.create", { name: user.name, role: user.role });
      return c.redirect("/admin?done=user-created", 303);
    }));

  const setDisabled = (disabled: boolean) => (c: Context) =>
    change(c, async () => {
      const name = c.req.param("name")!;
      if (name === currentUser()!.name && disabled) {
        throw new AccountError("invalid", "Cannot disable your own account");
      }
      if (disabled) {
        // Never lock everyone out: the last enabled ops account stays.
        const [{ others }] = await db.query<{ others: number }>(sql`
          SELECT count(*)::int AS others FROM users WHERE role = 'ops' AND NOT disabled AND name <> ${name}`);
        if (others === 0) {
          throw new AccountError("invalid", `Cannot disable "${name}": it is the last ops account`);
        }
      }
      const user = await setUserDisabled(db, name, disabled);
      await recordAudit(db, actor(), disabled ? "user.disable" : "user.enable", { name: user.name });
      return c.redirect(`/admin?done=user-${disabled ? "disabled" : "enabled"}`, 303);
    });
  routes.openapi(disableUser, setDisabled(true));
  routes.openapi(enableUser, setDisabled(false));

  routes.openapi(resetPassword, (c) =>
    change(c, async () => {
      const password = (await readForm(c)).password ?? "";
      const user = await setUserPassword(db, c.req.param("name"), password);
      await recordAudit(db, actor(), "user.password", { name: user.name });
      return c.redirect("/admin?done=password-set", 303);
    }));

  routes.openapi(createToken, (c) =>
    change(c, async () => {
      const parsed = CreateTokenInput.safeParse(await readForm(c));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AccountError(
          "invalid",
          `Cannot create the token: ${issue.path.join(".")}: ${issue.message}`,
        );
      }
      const me = currentUser()!;
      const created = await createApiToken(db, {
        name: parsed.data.name,
        userName: parsed.data.user ?? me.name,
        role: parsed.data.role,
        createdBy: me.id,
      });
      await recordAudit(db, actor(), "token.create", {
        id: created.view.id,
        name: created.view.name,
        user: created.view.user,
        role: created.view.role,
      });
      return await render(c, { newToken: created }, 201);
    }));

  routes.openapi(revokeToken, (c) =>
    change(c, async () => {
      const id = IdParam.safeParse(c.req.param()).data?.id;
      if (id === undefined) {
        throw new AccountError("not_found", `Cannot revoke token "${c.req.param("id")}": no such token`);
      }
      const token = await revokeApiToken(db, id);
      await recordAudit(db, actor(), "token.revoke", { id: token.id, name: token.name, user: token.user });
      return c.redirect("/admin?done=token-revoked", 303);
    }));

  return routes;
}
