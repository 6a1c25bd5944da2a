/**
 * Browser sessions: the cookie holds a random id, the table only its SHA-256, so a copy of the database
 * cannot be used to log in. Each session carries its CSRF synchroniser token. Sessions last
 * {@link SESSION_HOURS} hours from login (absolute, not sliding: a stolen cookie stops working the same day).
 */
import type { Role } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { digestSecret, randomSecret } from "./secrets.ts";

/** How long a login lasts. */
export const SESSION_HOURS = 12;

/** A live session and its user. */
export interface SessionUser {
  userId: number;
  name: string;
  role: Role;
  csrfToken: string;
}

/** Starts a session for `userId`; returns the secret id for the cookie and the CSRF token. */
export async function createSession(
  db: Queryable,
  userId: number,
): Promise<{ id: string; csrfToken: string }> {
  const id = randomSecret();
  const csrfToken = randomSecret();
  await db.query(sql`
    INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)
    VALUES (${await digestSecret(id)}, ${userId}, ${csrfToken},
            now() + make_interval(hours => ${SESSION_HOURS}))`);
  // Expired sessions are cleared as new ones start: no timer needed, and the table stays small.
  await db.query(sql`DELETE FROM sessions WHERE expires_at < now()`);
  return { id, csrfToken };
}

/** The user of session `id`, unless it expired, was ended, or the account is disabled. */
export async function readSession(db: Queryable, id: string): Promise<SessionUser | undefined> {
  if (id.length > 200) return undefined;
  const [row] = await db.query<SessionUser>(sql`
    SELECT users.id AS "userId", users.name, users.role, sessions.csrf_token AS "csrfToken"
    FROM sessions JOIN users ON users.id = sessions.user_id
    WHERE sessions.id_hash = ${await digestSecret(id)} AND sessions.expires_at > now()
      AND NOT users.disabled`);
  return row;
}

/** Ends session `id` (logout). */
export async function deleteSession(db: Queryable, id: string): Promise<void> {
  await db.query(sql`DELETE FROM sessions WHERE id_hash = ${await digestSecret(id)}`);
}
