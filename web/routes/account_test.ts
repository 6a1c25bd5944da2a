/**
 * /account through the served app: a user changes their own password with the current one; every
 * other session of the account ends; wrong current passwords are throttled like logins; API tokens
 * cannot change passwords; nothing is changed by a refused request.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "../../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../../testing/testing.ts";
import { createUser } from "../../core/accounts/accounts.ts";
import { createApiToken } from "../../core/accounts/api_tokens.ts";
import { LoginThrottle } from "../../core/accounts/login_throttle.ts";
import { formPost, sessionHeaders, signIn } from "../../testing/test_sessions.ts";
import { createSecureApp } from "../secure_app.ts";

const RITA = { name: "rita", password: "rita-password-12" };
const NEW_PASSWORD = "a-new-password-for-rita";

const db = await openTestDatabase();
after(() => db.close());
await createUser(db, { ...RITA, role: "reviewer" });
const clock = { now: Date.now() };
const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, now: () => clock.now });
const app = await createSecureApp(
  { db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 },
  { log: () => {}, throttle, host: "127.0.0.1", port: 8000 },
);

function change(session: { cookie: string; csrf: string }, fields: Record<string, string>) {
  return app.request(
    "/account/password",
    formPost({ _csrf: session.csrf, ...fields }, sessionHeaders(session, "POST", { accept: "text/html" })),
  );
}

async function passwordHash(): Promise<string> {
  const [row] = await db.query<{ password_hash: string }>(
    sql`SELECT password_hash FROM users WHERE name = ${RITA.name}`,
  );
  return row.password_hash;
}

test("GET /account shows the signed-in user and the password form", async () => {
  const session = await signIn(app, RITA);
  const response = await app.request("/account", { headers: sessionHeaders(session, "GET") });
  assert.equal(response.status, 200);
  const html = await response.text();
  assert.match(html, /data-testid="account-name">rita/);
  assert.match(html, /action="\/account\/password"/);
});

test("a wrong current password, a mismatch or a weak password change nothing", async () => {
  const session = await signIn(app, RITA);
  const before = await passwordHash();
  const wrong = await change(session, {
    current_password: "not-the-password",
    password: NEW_PASSWORD,
    password_again: NEW_PASSWORD,
  });
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /The current password is wrong/);
  const mismatch = await change(session, {
    current_password: RITA.password,
    password: NEW_PASSWORD,
    password_again: `${NEW_PASSWORD}!`,
  });
  assert.equal(mismatch.status, 422);
  assert.match(await mismatch.text(), /The two new passwords differ/);
  const weak = await change(session, {
    current_password: RITA.password,
    password: "short",
    password_again: "short",
  });
  assert.equal(weak.status, 422);
  assert.equal(await passwordHash(), before);
  const [refused] = await db.query<{ n: number }>(
    sql`SELECT count(*)::int AS n FROM audit_log WHERE kind = 'user.password.refused' AND actor = ${RITA.name}`,
  );
  assert.equal(refused.n, 1);
});

test("wrong current passwords are throttled like failed logins", async () => {
  clock.now += 61_000;
  const session = await signIn(app, RITA);
  const statuses: number[] = [];
  for (let i = 0; i < 4; i++) {
    const response = await change(session, {
      current_password: `wrong-${i}`,
      password: NEW_PASSWORD,
      password_again: NEW_PASSWORD,
    });
    statuses.push(response.status);
  }
  assert.deepEqual(statuses, [401, 401, 401, 429]);
  // Throttled: even the right password is refused until the window passes.
  const right = await change(session, {
    current_password: RITA.password,
    password: NEW_PASSWORD,
    password_again: NEW_PASSWORD,
  });
  assert.equal(right.status, 429);
});

test("changing the password ends the other sessions, keeps this browser signed in, and is audited", async () => {
  clock.now += 61_000; // the previous test used this name's attempts up
  const served = app;
  const here = await signIn(served, RITA);
  const elsewhere = await signIn(served, RITA);
  const response = await served.request(
    "/account/password",
    formPost(
      {
        _csrf: here.csrf,
        current_password: RITA.password,
        password: NEW_PASSWORD,
        password_again: NEW_PASSWORD,
      },
      sessionHeaders(here, "POST", { accept: "text/html" }),
    ),
  );
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/account?done=password");
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0];
  assert.match(cookie, /^csv_sorter_session=/);
  const mine = await served.request("/me", { headers: { cookie, accept: "application/json" } });
  assert.equal(mine.status, 200, "this browser stays signed in with its new session");
  const other = await served.request("/me", {
    headers: { cookie: elsewhere.cookie, accept: "application/json" },
  });
  assert.equal(other.status, 401, "the other browser was logged out");
  const old = await served.request("/me", { headers: { cookie: here.cookie, accept: "application/json" } });
  assert.equal(old.status, 401, "the session the change was sent with ended too");

  await assert.rejects(signIn(served, RITA), /login of rita/);
  await signIn(served, { name: RITA.name, password: NEW_PASSWORD });
  const [audit] = await db.query<{ actor: string; details: { by: string } }>(
    sql`SELECT actor, details FROM audit_log WHERE kind = 'user.password' ORDER BY id DESC LIMIT 1`,
  );
  assert.deepEqual({ actor: audit.actor, by: audit.details.by }, { actor: RITA.name, by: "self" });
});

test("an API token cannot change a password", async () => {
  const { token } = await createApiToken(db, {
    name: "script",
    userName: RITA.name,
    role: "reviewer",
    createdBy: null,
  });
  const before = await passwordHash();
  const response = await app.request("/account/password", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      current_password: NEW_PASSWORD,
      password: "x".repeat(20),
      password_again: "x".repeat(20),
    })
      .toString(),
  });
  assert.equal(response.status, 403);
  assert.match(await response.text(), /Cannot change a password with an API token/);
  assert.equal(await passwordHash(), before);
});
