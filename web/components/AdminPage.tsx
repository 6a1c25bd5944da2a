/** The accounts page: users and API tokens with their forms (rendered by web/routes/admin.tsx). */
import type { ApiTokenView, UserView } from "../../contract/schemas.ts";
import { currentUser } from "../http/current_user.ts";
import { CsrfField } from "./CsrfField.tsx";
import { Layout } from "./Layout.tsx";
import { TableBox } from "./TableBox.tsx";

const FIELD = "border border-slate-300 rounded px-2 py-1 text-sm";
const BUTTON = "bg-slate-900 text-white rounded px-3 py-1 text-sm";

/** Props of {@link AdminPage}. */
export interface AdminPageProps {
  users: UserView[];
  tokens: ApiTokenView[];
  notice?: string;
  error?: string;
  newToken?: { token: string; view: ApiTokenView };
}

/** Accounts and tokens, with a new token shown once when `newToken` is set. */
export function AdminPage({ users, tokens, notice, error, newToken }: AdminPageProps) {
  const me = currentUser();
  return (
    <Layout title="Accounts" active="admin">
      <h1 class="text-2xl font-semibold mb-4">Accounts and API tokens</h1>
      {notice && <p class="mb-4 text-emerald-800 text-sm" role="status" data-testid="notice">{notice}</p>}
      {error && <p class="mb-4 text-red-700 text-sm" role="alert" data-testid="admin-error">{error}</p>}
      {newToken && (
        <div
          class="mb-6 border-2 border-amber-500 bg-amber-50 rounded-lg p-4 space-y-2"
          data-testid="new-token"
        >
          <p class="font-medium">
            Token “{newToken.view.name}” for {newToken.view.user}{" "}
            ({newToken.view.role}). Copy it now: it is shown only this once.
          </p>
          <code
            class="block break-all bg-white border border-slate-300 rounded p-2"
            data-testid="new-token-value"
          >
            {newToken.token}
          </code>
          <p class="text-sm text-slate-600">
            Send it as <code>Authorization: Bearer &lt;token&gt;</code>.
          </p>
        </div>
      )}

      <h2 class="text-xl font-semibold mb-2">Accounts</h2>
      <TableBox>
        <table class="w-full text-sm bg-white border border-slate-200 mb-4" data-testid="users">
          <thead class="bg-slate-100 text-left">
            <tr>
              <th class="px-3 py-2">Name</th>
              <th class="px-3 py-2">Role</th>
              <th class="px-3 py-2">Created</th>
              <th class="px-3 py-2">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id} class="border-t border-slate-100" data-testid={`user-${user.name}`}>
                <td class="px-3 py-2 font-medium">
                  {user.name} {user.disabled && <span class="text-red-700">(disabled)</span>}
                </td>
                <td class="px-3 py-2">{user.role}</td>
                <td class="px-3 py-2">{user.created_at.slice(0, 16)}</td>
                <td class="px-3 py-2 flex flex-wrap gap-2">
                  {user.name !== me?.name && (
                    <form
                      method="post"
                      action={`/admin/users/${encodeURIComponent(user.name)}/${
                        user.disabled ? "enable" : "disable"
                      }`}
                    >
                      <CsrfField />
                      <button type="submit" class="text-blue-700 underline">
                        {user.disabled ? "Enable" : "Disable"}
                      </button>
                    </form>
                  )}
                  <form
                    method="post"
                    action={`/admin/users/${encodeURIComponent(user.name)}/password`}
                    class="flex gap-1"
                  >
                    <CsrfField />
                    <input
                      class={FIELD}
                      name="password"
                      type="password"
                      autocomplete="new-password"
                      minLength={12}
                      maxLength={1024}
                      required
                      placeholder="new password"
                      aria-label={`New password for ${user.name}`}
                    />
                    <button type="submit" class="text-blue-700 underline">Set password</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      <form
        method="post"
        action="/admin/users"
        class="flex flex-wrap items-end gap-2 mb-8"
        data-testid="create-user"
      >
        <CsrfField />
        <label class="text-sm">
          Name <input class={FIELD} name="name" required maxLength={100} autocomplete="off" />
        </label>
        <label class="text-sm">
          Role{" "}
          <select class={FIELD} name="role">
            <option value="reviewer">reviewer</option>
            <option value="ops">ops</option>
          </select>
        </label>
        <label class="text-sm">
          Password{" "}
          <input
            class={FIELD}
            name="password"
            type="password"
            autocomplete="new-password"
            minLength={12}
            maxLength={1024}
            required
          />
        </label>
        <button type="submit" class={BUTTON}>Create account</button>
      </form>

      <h2 class="text-xl font-semibold mb-2">API tokens</h2>
      <TableBox>
        <table class="w-full text-sm bg-white border border-slate-200 mb-4" data-testid="tokens">
          <thead class="bg-slate-100 text-left">
            <tr>
              <th class="px-3 py-2">Name</th>
              <th class="px-3 py-2">Acts as</th>
              <th class="px-3 py-2">Created</th>
              <th class="px-3 py-2">Last used</th>
              <th class="px-3 py-2">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.map((token) => (
              <tr key={token.id} class="border-t border-slate-100" data-testid={`token-${token.id}`}>
                <td class="px-3 py-2 font-medium">{token.name}</td>
                <td class="px-3 py-2">{token.user} ({token.role})</td>
                <td class="px-3 py-2">{token.created_at.slice(0, 16)} by {token.created_by ?? "—"}</td>
                <td class="px-3 py-2">{token.last_used_at?.slice(0, 16) ?? "never"}</td>
                <td class="px-3 py-2">
                  {token.revoked_at
                    ? <span class="text-slate-500">revoked {token.revoked_at.slice(0, 16)}</span>
                    : (
                      <form method="post" action={`/admin/tokens/${token.id}/revoke`}>
                        <CsrfField />
                        <button type="submit" class="text-red-700 underline">Revoke</button>
                      </form>
                    )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      <form
        method="post"
        action="/admin/tokens"
        class="flex flex-wrap items-end gap-2"
        data-testid="create-token"
      >
        <CsrfField />
        <label class="text-sm">
          Name <input class={FIELD} name="name" required maxLength={100} placeholder="e.g. nightly import" />
        </label>
        <label class="text-sm">
          Acts as{" "}
          <select class={FIELD} name="user">
            {users.filter((user) => !user.disabled).map((user) => (
              <option key={user.id} value={user.name} selected={user.name === me?.name}>{user.name}</option>
            ))}
          </select>
        </label>
        <label class="text-sm">
          Role{" "}
          <select class={FIELD} name="role">
            <option value="reviewer">reviewer</option>
            <option value="ops">ops</option>
          </select>
        </label>
        <button type="submit" class={BUTTON}>Create token</button>
      </form>
    </Layout>
  );
}
