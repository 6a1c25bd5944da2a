/**
 * User accounts: one small named query per statement. Passwords arrive in the clear and leave as PBKDF2
 * hashes; nothing here returns a hash to a caller outside this module except {@link findLogin}.
 */
import type { Role, UserView } from "../../contract/schemas.ts";
import type { Database, Queryable } from "../db/database.ts";
import { DomainError } from "../domain_error.ts";
import { sql } from "../db/sql.ts";
import { hashPassword, passwordProblem } from "./passwords.ts";

/** An account that cannot be created or changed; `status` is the HTTP status to answer with. */
export class AccountError extends DomainError {
  constructor(kind: "not_found" | "conflict" | "invalid", message: string) {
    super(kind, message);
    this.name = "AccountError";
  }
}

const USER_COLUMNS = sql`id, name, role, disabled, created_at::text AS created_at`;

/** How many accounts exist (the setup link is offered only while there are none). */
export async function countUsers(db: Queryable): Promise<number> {
  const [row] = await db.query<{ count: number }>(sql`SELECT count(*)::int AS count FROM users`);
  return row.count;
}

/** Every account, by name. */
export function listUsers(db: Queryable): Promise<UserView[]> {
  return db.query<UserView>(sql`SELECT ${USER_COLUMNS} FROM users ORDER BY name`);
}

/** The account called `name`, if any. */
export async function findUser(db: Queryable, name: string): Promise<UserView | undefined> {
  const [user] = await db.query<UserView>(sql`SELECT ${USER_COLUMNS} FROM users WHERE name = ${name}`);
  return user;
}

/** The account and its password hash, for checking a login. */
export async function findLogin(
  db: Queryable,
  name: string,
): Promise<(UserView & { password_hash: string }) | undefined> {
  const [user] = await db.query<UserView & { password_hash: string }>(
    sql`SELECT ${USER_COLUMNS}, password_hash FROM users WHERE name = ${name}`,
  );
  return user;
}

/** Creates an account; refuses a weak password (422) or a name already taken (409). */
export async function createUser(
  db: Queryable,
  input: { name: string; role: Role; password: string },
): Promise<UserView> {
  const problem = passwordProblem(input.password);
  if (problem) throw new AccountError("invalid", `Cannot create user "${input.name}": ${problem}`);
  const hash = await hashPassword(input.password);
  const [user] = await db.query<UserView>(sql`
    INSERT INTO users (name, role, password_hash) VALUES (${input.name}, ${input.role}, ${hash})
    ON CONFLICT (name) DO NOTHING
    RETURNING ${USER_COLUMNS}`);
  if (!user) throw new AccountError("conflict", `Cannot create user "${input.name}": the name is taken`);
  return user;
}

/**
 * Creates the first ops account, only while there is no account at all. The check and the insert run in
 * one transaction under an advisory lock, so two setup forms sent at once cannot both succeed.
 */
export async function createFirstOps(
  db: Database,
  input: { name: string; password: string },
): Promise<UserView | undefined> {
  const problem = passwordProblem(input.password);
  if (problem) throw new AccountError("invalid", `Cannot create user "${input.name}": ${problem}`);
  const hash = await hashPassword(input.password);
  return await db.transaction(async (tx) => {
    await tx.query(sql`SELECT pg_advisory_xact_lock(7340005)`);
    if ((await countUsers(tx)) > 0) return undefined;
    const [user] = await tx.query<UserView>(sql`
      INSERT INTO users (name, role, password_hash) VALUES (${input.name}, 'ops', ${hash})
      RETURNING ${USER_COLUMNS}`);
    return user;
  });
}

/** Disables or re-enables an account; a disabled account's sessions end at once. */
export async function setUserDisabled(db: Database, name: string, disabled: boolean): Promise<UserView> {
  return await db.transaction(async (tx) => {
    const [user] = await tx.query<UserView>(sql`
      UPDATE users SET disabled = ${disabled}, updated_at = now() WHERE name = ${name}
      RETURNING ${USER_COLUMNS}`);
    if (!user) throw new AccountError("not_found", `No user named "${name}"`);
    if (disabled) await tx.query(sql`DELETE FROM sessions WHERE user_id = ${user.id}`);
    return user;
  });
}

/** Sets a new password; every session of the account ends (whoever had it is logged out). */
export async function setUserPassword(db: Database, name: string, password: string): Promise<UserView> {
  const problem = passwordProblem(password);
  if (problem) throw new AccountError("invalid", `Cannot change the password of "${name}": ${problem}`);
  const hash = await hashPassword(password);
  return await db.transaction(async (tx) => {
    const [user] = await tx.query<UserView>(sql`
      UPDATE users SET password_hash = ${hash}, updated_at = now() WHERE name = ${name}
      RETURNING ${USER_COLUMNS}`);
    if (!user) throw new AccountError("not_found", `No user named "${name}"`);
    await tx.query(sql`DELETE FROM sessions WHERE user_id = ${user.id}`);
    return user;
  });
}
