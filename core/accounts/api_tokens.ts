/**
 * API tokens for scripts: `Authorization: Bearer csvs_…`. The token is shown once when created; the table
 * keeps its SHA-256 only. A token acts as its user with at most its own role, and stops working when it
 * is revoked or its user is disabled.
 */
import type { ApiTokenView, Role } from "../../contract/schemas.ts";
import type { Queryable } from "../db/database.ts";
import { sql } from "../db/sql.ts";
import { AccountError } from "./accounts.ts";
import { digestSecret, randomSecret } from "./secrets.ts";

/** Tokens start with this, so a leaked one is easy to recognise (and to search for in repositories). */
export const TOKEN_PREFIX = "csvs_";

/** The user a valid token acts as. */
export interface TokenUser {
  tokenId: number;
  userId: number;
  name: string;
  role: Role;
}

const VIEW = sql`
  SELECT api_tokens.id, api_tokens.name, owner.name AS user, api_tokens.role, creator.name AS created_by,
         api_tokens.created_at::text AS created_at, api_tokens.last_used_at::text AS last_used_at,
         api_tokens.revoked_at::text AS revoked_at
  FROM api_tokens
  JOIN users AS owner ON owner.id = api_tokens.user_id
  LEFT JOIN users AS creator ON creator.id = api_tokens.created_by`;

/** Creates a token for user `userName`; returns it in the clear (the only time) with its stored view. */
export async function createApiToken(
  db: Queryable,
  input: { name: string; userName: string; role: Role; createdBy: number | null },
): Promise<{ token: string; view: ApiTokenView }> {
  const [owner] = await db.query<{ id: number; role: Role }>(sql`
    SELECT id, role FROM users WHERE name = ${input.userName} AND NOT disabled`);
  if (!owner) {
    throw new AccountError("not_found", `Cannot create a token: no active user named "${input.userName}"`);
  }
  if (input.role === "ops" && owner.role !== "ops") {
    throw new AccountError(
      "invalid",
      `Cannot create an ops token for "${input.userName}": the user is a reviewer`,
    );
  }
  const token = randomSecret(TOKEN_PREFIX);
  const [row] = await db.query<{ id: number }>(sql`
    INSERT INTO api_tokens (name, token_hash, user_id, role, created_by)
    VALUES (${input.name}, ${await digestSecret(token)}, ${owner.id}, ${input.role}, ${input.createdBy})
    RETURNING id`);
  const [view] = await db.query<ApiTokenView>(sql`${VIEW} WHERE api_tokens.id = ${row.id}`);
  return { token, view };
}

/** Every token, newest first (revoked ones too: they are history). */
export function listApiTokens(db: Queryable): Promise<ApiTokenView[]> {
  return db.query<ApiTokenView>(sql`${VIEW} ORDER BY api_tokens.id DESC`);
}

/** Revokes token `id`; returns its view, or throws 404 when there is no such live token. */
export async function revokeApiToken(db: Queryable, id: number): Promise<ApiTokenView> {
  const [row] = await db.query<{ id: number }>(sql`
    UPDATE api_tokens SET revoked_at = now() WHERE id = ${id} AND revoked_at IS NULL RETURNING id`);
  if (!row) {
    throw new AccountError("not_found", `Cannot revoke token ${id}: no such token, or already revoked`);
  }
  const [view] = await db.query<ApiTokenView>(sql`${VIEW} WHERE api_tokens.id = ${id}`);
  return view;
}

/**
 * The user `token` acts as, with the lower of the token's and the user's role; undefined when unknown,
 * revoked or the user is disabled. Records the time of use.
 */
export async function authenticateToken(db: Queryable, token: string): Promise<TokenUser | undefined> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return undefined;
  const [row] = await db.query<TokenUser>(sql`
    UPDATE api_tokens SET last_used_at = now()
    FROM users
    WHERE api_tokens.token_hash = ${await digestSecret(token)} AND api_tokens.revoked_at IS NULL
      AND users.id = api_tokens.user_id AND NOT users.disabled
    RETURNING api_tokens.id AS "tokenId", users.id AS "userId", users.name,
              CASE WHEN users.role = 'ops' AND api_tokens.role = 'ops' THEN 'ops' ELSE 'reviewer' END AS role`);
  return row;
}
