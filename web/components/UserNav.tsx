/** The right end of the navigation: ops pages, who is signed in, and the logout button. */
import type { CurrentUser } from "../http/current_user.ts";
import { CsrfField } from "./CsrfField.tsx";

/** Props of {@link UserNav}. */
export interface UserNavProps {
  user: CurrentUser | undefined;
  active: string;
}

/** Ops links and the signed-in user; nothing when no one is signed in. */
export function UserNav({ user, active }: UserNavProps) {
  if (!user) return null;
  const link = (href: string, label: string, key: string) => (
    <a
      href={href}
      class={`px-2 sm:px-3 py-2 rounded-md text-sm font-medium ${
        active === key ? "bg-slate-900 text-white" : "text-slate-700 hover:bg-slate-200"
      }`}
    >
      {label}
    </a>
  );
  return (
    <>
      {user.role === "ops" && link("/admin", "Accounts", "admin")}
      {user.role === "ops" && link("/audit", "Audit", "audit")}
      <a
        href="/account"
        class={`ml-auto text-sm hover:underline ${
          active === "account" ? "text-slate-900" : "text-slate-600"
        }`}
        data-testid="signed-in-as"
        title="Your account"
      >
        {user.name} <span class="text-slate-500">({user.role})</span>
      </a>
      {user.via === "session" && (
        <form method="post" action="/logout" class="inline">
          <CsrfField />
          <button type="submit" class="px-3 py-2 text-sm text-slate-700 hover:underline" data-testid="logout">
            Log out
          </button>
        </form>
      )}
    </>
  );
}
