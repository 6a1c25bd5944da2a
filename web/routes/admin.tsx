/**
 * Accounts and API tokens, for ops: list, create, disable, reset a password, create and revoke tokens.
 * Plain forms answered with a 303 — except creating a token, which answers with the page showing the new
 * token, once (it is stored hashed and cannot be shown again). Each change writes its own audit entry.
 */
import type { AppEnv } from "../http/app_env.ts";
import { Hono } from "hono";
import type { Context } from "hono";
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

/** Confirmation messages by code: the redirect names a code, never echoes user text. */
const NOTICES: Record<string, string> = {
  "user-created": "Account created.",
  "user-disabled": "Account disabled; its sessions ended.",
  "user-enabled": "Account enabled.",
  "password-set": "Password changed; the account's sessions ended.",
  "token-revoked": "Token revoked.",
};

/** Builds the /admin routes. */
export function adminRoutes(deps: { db: Database }): Hono<AppEnv> {
  const { db } = deps;
  const routes = new Hono<AppEnv>();

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

  routes.get("/admin", (c) => {
    const notice = NOTICES[c.req.query("done") ?? ""];
    return render(c, { notice });
  });

  routes.post("/admin/users", (c) =>
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
  routes.post("/admin/users/:name/disable", setDisabled(true));
  routes.post("/admin/users/:name/enable", setDisabled(false));

  routes.post("/admin/users/:name/password", (c) =>
    change(c, async () => {
      const password = (await readForm(c)).password ?? "";
      const user = await setUserPassword(db, c.req.param("name"), password);
      await recordAudit(db, actor(), "user.password", { name: user.name });
      return c.redirect("/admin?done=password-set", 303);
    }));

  routes.post("/admin/tokens", (c) =>
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

  routes.post("/admin/tokens/:id/revoke", (c) =>
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
