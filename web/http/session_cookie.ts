import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Database } from "../../core/db/database.ts";
import { createSession, deleteSession } from "../../core/accounts/sessions.ts";
import { SESSION_COOKIE, sessionCookieOptions } from "./authenticate.ts";

/** Starts a session for `userId` in this browser, ending the one its cookie held. */
export async function startSession(c: Context, db: Database, userId: number): Promise<void> {
  const old = getCookie(c, SESSION_COOKIE);
  if (old) await deleteSession(db, old);
  const session = await createSession(db, userId);
  setCookie(c, SESSION_COOKIE, session.id, sessionCookieOptions(c));
}
