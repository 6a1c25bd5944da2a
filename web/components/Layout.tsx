/** The page frame: navigation, stylesheet, and the island loader script. */
import type { ComponentChildren } from "preact";
import { currentUser } from "../http/current_user.ts";
import { UserNav } from "./UserNav.tsx";

/** Props of {@link Layout}. */
export interface LayoutProps {
  title: string;
  active:
    | "imports"
    | "review"
    | "decisions"
    | "fields"
    | "models"
    | "api"
    | "workers"
    | "admin"
    | "audit"
    | "account"
    | "none";
  children: ComponentChildren;
  /** Hide the navigation (login and setup pages). */
  bare?: boolean;
}

/** Wraps a page; the island bundle hydrates every `[data-island]` element inside. */
export function Layout({ title, active, children, bare = false }: LayoutProps) {
  // The signed-in user (secure app only): the CSRF token for islands, the ops-only links.
  const user = currentUser();
  const ops = !user || user.role === "ops";
  const link = (href: string, label: string, key: LayoutProps["active"]) => (
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
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · CSV-Sorter`}</title>
        {user?.csrfToken && <meta name="csrf-token" content={user.csrfToken} />}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/static/build/app.css" />
        <script type="module" src="/static/build/islands.js" />
      </head>
      <body class="bg-slate-50 text-slate-900 min-h-screen">
        <header class="border-b border-slate-200 bg-white">
          <nav
            class={`mx-auto max-w-6xl flex flex-wrap items-center gap-2 px-4 py-3 ${bare ? "hidden" : ""}`}
          >
            <span class="font-semibold mr-4">CSV-Sorter</span>
            {link("/", "Imports", "imports")}
            {link("/review", "Review", "review")}
            {link("/decisions", "Decisions", "decisions")}
            {link("/fields", "Fields", "fields")}
            {ops && link("/models", "Models", "models")}
            {ops && link("/workers", "Workers", "workers")}
            {link("/api", "API", "api")}
            <UserNav user={user} active={active} />
          </nav>
        </header>
        <main class="mx-auto max-w-6xl px-4 py-6">{children}</main>
      </body>
    </html>
  );
}
