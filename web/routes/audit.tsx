/**
 * GET /audit: the audit trail for ops, newest first, filtered by user and kind. JSON for tools, the page
 * for a browser (Accept: text/html). Read-only: there is no route that changes an entry, and the table's
 * trigger refuses UPDATE and DELETE whoever sends them.
 */
import { wantsHtml } from "../http/content_negotiation.ts";
import type { AppEnv } from "../http/app_env.ts";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { z } from "zod";
import { renderToString } from "preact-render-to-string";
import { AuditEntry, AuditQuery } from "../../contract/schemas.ts";
import type { Database } from "../../core/db/database.ts";
import { Layout } from "../components/Layout.tsx";
import { declaredRouter, defineRoute } from "../http/define_route.ts";
import { auditFacets, readAudit } from "../../core/accounts/audit.ts";
import { TableBox } from "../components/TableBox.tsx";

const FIELD = "border border-slate-300 rounded px-2 py-1 text-sm";

function AuditPage(
  { entries, query, actors, kinds }: {
    entries: AuditEntry[];
    query: AuditQuery;
    actors: string[];
    kinds: string[];
  },
) {
  const older = entries.length === query.limit ? entries[entries.length - 1].id : undefined;
  const olderLink = older && `/audit?${new URLSearchParams({
    ...(query.user ? { user: query.user } : {}),
    ...(query.kind ? { kind: query.kind } : {}),
    before_id: String(older),
  })}`;
  return (
    <Layout title="Audit trail" active="audit">
      <h1 class="text-2xl font-semibold mb-4">Audit trail</h1>
      <form
        method="get"
        action="/audit"
        class="flex flex-wrap items-end gap-2 mb-4"
        data-testid="audit-filter"
      >
        <label class="text-sm">
          User{" "}
          <select class={FIELD} name="user">
            <option value="">everyone</option>
            {actors.map((name) => (
              <option key={name} value={name} selected={name === query.user}>{name}</option>
            ))}
          </select>
        </label>
        <label class="text-sm">
          Kind{" "}
          <select class={FIELD} name="kind">
            <option value="">every kind</option>
            {kinds.map((kind) => (
              <option key={kind} value={kind} selected={kind === query.kind}>{kind}</option>
            ))}
          </select>
        </label>
        <button type="submit" class="bg-slate-900 text-white rounded px-3 py-1 text-sm">Filter</button>
      </form>
      <TableBox>
        <table class="w-full text-sm bg-white border border-slate-200" data-testid="audit-entries">
          <thead class="bg-slate-100 text-left">
            <tr>
              <th class="px-3 py-2">When</th>
              <th class="px-3 py-2">Who</th>
              <th class="px-3 py-2">What</th>
              <th class="px-3 py-2">Details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id} class="border-t border-slate-100 align-top" data-testid="audit-entry">
                <td class="px-3 py-2 whitespace-nowrap">{entry.at.slice(0, 19)}</td>
                <td class="px-3 py-2">
                  {entry.actor ?? "—"} <span class="text-slate-500">({entry.via})</span>
                </td>
                <td class="px-3 py-2 font-medium">{entry.kind}</td>
                <td class="px-3 py-2 break-all font-mono text-xs">{JSON.stringify(entry.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      {entries.length === 0 && <p class="text-slate-500 mt-2">No entries.</p>}
      {olderLink && <a class="text-blue-700 underline text-sm" href={olderLink}>Older entries</a>}
    </Layout>
  );
}

const readAuditRoute = defineRoute({
  method: "get",
  path: "/audit",
  access: "ops",
  tag: "API",
  summary: "The audit trail, newest first, filtered by user and kind",
  description: "JSON unless the Accept header lists text/html, which gets the page. `before_id` pages back.",
  request: { query: AuditQuery },
  names: { query: "audit query" },
  responses: {
    200: {
      description: "The entries",
      content: { "application/json": z.object({ entries: z.array(AuditEntry) }), "text/html": z.string() },
    },
  },
  errors: [422],
});

/** Builds GET /audit. */
export function auditRoutes(deps: { db: Database }): OpenAPIHono<AppEnv> {
  const routes = declaredRouter();
  routes.openapi(readAuditRoute, async (c) => {
    const query = c.req.valid("query");
    const entries = await readAudit(deps.db, query);
    c.header("Vary", "Accept");
    c.header("cache-control", "no-store");
    if (!wantsHtml(c.req.header("accept"))) return c.json({ entries });
    const { actors, kinds } = await auditFacets(deps.db);
    return c.html(
      `<!DOCTYPE html>${
        renderToString(<AuditPage entries={entries} query={query} actors={actors} kinds={kinds} />)
      }`,
    );
  });
  return routes;
}
