/**
 * Records every state-changing request that passed access control (and the reads the policy marks,
 * such as exports) in the audit trail: who, the route, the status, and the ids and counts of a JSON
 * answer. Handlers that write a more detailed entry themselves set `c.var.audited` to skip this one.
 * The entry is written after the change committed, so a failed write is logged, not answered as an
 * error: the change happened and the client must not retry it.
 */
import type { AppEnv } from "./app_env.ts";
import type { MiddlewareHandler } from "hono";
import type { Database } from "../../core/db/database.ts";
import { recordAudit } from "../../core/accounts/audit.ts";
import { currentUser } from "./current_user.ts";
import type { Decision } from "./route_policy.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const MAX_SUMMARY_KEYS = 12;

/** The scalar fields of a JSON object answer (ids, counts, names), strings cut to 200 characters. */
async function summarise(response: Response): Promise<Record<string, unknown> | undefined> {
  if (!(response.headers.get("content-type") ?? "").startsWith("application/json")) return undefined;
  const length = Number(response.headers.get("content-length") ?? 0);
  if (length > 256 * 1024) return undefined;
  try {
    const body = await response.clone().json();
    if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
    const summary: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      if (Object.keys(summary).length >= MAX_SUMMARY_KEYS) break;
      if (typeof value === "number" || typeof value === "boolean" || value === null) summary[key] = value;
      else if (typeof value === "string") summary[key] = value.slice(0, 200);
      else if (key === "error" && typeof value === "object") {
        summary.error = String((value as { message?: unknown }).message ?? "").slice(0, 500);
      }
    }
    return summary;
  } catch {
    return undefined;
  }
}

/** The audit middleware; runs after access control. */
export function auditRequests(db: Database): MiddlewareHandler<AppEnv> {
  return async function auditRequests(c, next) {
    await next();
    const decision = c.get("decision") as Decision | undefined;
    const changing = !SAFE_METHODS.has(c.req.method);
    if (!decision || (!changing && !decision.audit) || c.get("audited")) return;
    const user = currentUser();
    const status = c.res.status;
    const base = decision.audit ?? decision.key ?? `${c.req.method} ${c.req.path}`;
    const kind = status < 400 ? base : `${base}.${status < 500 ? "refused" : "failed"}`;
    const url = new URL(c.req.url);
    const details: Record<string, unknown> = { method: c.req.method, path: url.pathname, status };
    if (url.search) details.query = url.search.slice(0, 500);
    const summary = await summarise(c.res);
    if (summary) details.result = summary;
    try {
      await recordAudit(
        db,
        { name: user?.name ?? null, id: user?.id ?? null, via: user?.via ?? "anonymous" },
        kind,
        details,
      );
    } catch (error) {
      console.error(`Cannot record ${kind} by ${user?.name ?? "anonymous"} in the audit trail:`, error);
    }
  };
}
