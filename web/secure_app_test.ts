/**
 * The served app's security layer against the real (in-memory PGlite) database: the route-by-role
 * matrix over every registered route, login and sessions, CSRF, API tokens, the login rate limit, the
 * one-time setup link, the audit trail, body limits and the security headers.
 */
import type { AppEnv } from "./http/app_env.ts";
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { Hono } from "hono";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Database } from "../core/db/database.ts";
import { sql } from "../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../testing/testing.ts";
import { accessControl } from "./http/access_control.ts";
import { createUser } from "../core/accounts/accounts.ts";
import { createApiToken } from "../core/accounts/api_tokens.ts";
import { handleError } from "./http/api_error.ts";
import { runAsUser } from "./http/current_user.ts";
import { LoginThrottle } from "../core/accounts/login_throttle.ts";
import { declaredPolicies, policyKey, routeKeys, type RoutePolicy } from "./http/route_policy.ts";
import { digestSecret } from "../core/accounts/secrets.ts";
import { SECURITY_HEADERS } from "./http/security_headers.ts";
import { formPost, sessionHeaders, signIn, type TestSession } from "../testing/test_sessions.ts";
import { createSecureApp } from "./secure_app.ts";

const OPS = { name: "olivia", password: "olivia-password-1" };
const REVIEWER = { name: "rita", password: "rita-password-12" };

const databases: Database[] = [];
after(async () => {
  for (const db of databases) await db.close();
});

interface Setup {
  db: Database;
  app: OpenAPIHono<AppEnv>;
  logs: string[];
  throttle: LoginThrottle;
  clock: { now: number };
}

/** A fresh database and served app; with `accounts`, an ops and a reviewer account exist. */
async function setUp(accounts = true): Promise<Setup> {
  const db = await openTestDatabase();
  databases.push(db);
  if (accounts) {
    await createUser(db, { ...OPS, role: "ops" });
    await createUser(db, { ...REVIEWER, role: "reviewer" });
  }
  const logs: string[] = [];
  const clock = { now: Date.now() };
  const throttle = new LoginThrottle({ maxFailures: 3, windowMs: 60_000, now: () => clock.now });
  const app = await createSecureApp(
    { db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 },
    { log: (line) => logs.push(line), throttle, host: "127.0.0.1", port: 8000 },
  );
  return { db, app, logs, throttle, clock };
}

/** A concrete path for a Hono pattern. */
function samplePath(pattern: string): string {
  return pattern
    .replace(/\/\*$/, "/build/app.css")
    .replace(/:name(\{[^}]*\})?\??/g, "nobody-here")
    .replace(/:[A-Za-z0-9_]+(\{[^}]*\})?\??/g, "999999");
}

/** The policy `app` declares for a route key as Hono lists it ("GET /imports/:id"). */
function policyOf(app: OpenAPIHono<AppEnv>): (key: string) => RoutePolicy | undefined {
  const table = declaredPolicies(app);
  return (key) => {
    const [method, pattern] = key.split(" ");
    return table[policyKey(method, pattern)];
  };
}

async function call(
  app: Pick<Hono, "request">,
  key: string,
  session: TestSession | undefined,
  accept = "application/json",
) {
  const [method, pattern] = key.split(" ");
  const init: RequestInit = { method, headers: sessionHeaders(session, method, { accept }) };
  if (method !== "GET" && method !== "HEAD") {
    (init.headers as Record<string, string>)["content-type"] = "application/json";
    init.body = "{}";
  }
  return await app.request(samplePath(pattern), init);
}

test("every route of the app has an access policy, and each role gets exactly its routes", async () => {
  const { app } = await setUp();
  const keys = routeKeys(app.routes);
  const policy = policyOf(app);
  const missing = keys.filter((key) => !policy(key));
  assert.deepEqual(
    missing,
    [],
    `routes registered without a declaration (defineRoute): ${missing.join(", ")}`,
  );
  // A declaration with no route would grant access to whatever later takes its path, unreviewed.
  const registered = keys.map((key) => policyKey(key.split(" ")[0], key.split(" ")[1]));
  const stale = Object.keys(declaredPolicies(app)).filter((key) => !registered.includes(key));
  assert.deepEqual(stale, [], `declarations for no route: ${stale.join(", ")}`);

  const reviewer = await signIn(app, REVIEWER);
  const ops = await signIn(app, OPS);
  // POST /logout ends the session it is sent with: it runs last, each role on a session of its own.
  const ordered = [...keys.filter((key) => key !== "POST /logout"), "POST /logout"];
  const rows: string[] = [];
  for (const key of ordered) {
    const access = policy(key)!.access;
    const [method] = key.split(" ");
    const anonymous = await call(app, key, undefined);
    if (access === "public") {
      assert.notEqual(anonymous.status, 403, `${key} anonymous`);
      if (key !== "POST /login") assert.notEqual(anonymous.status, 401, `${key} anonymous`);
    } else {
      assert.equal(anonymous.status, 401, `${key} without credentials: ${await anonymous.clone().text()}`);
      assert.match(anonymous.headers.get("www-authenticate") ?? "", /^Bearer/);
      if (method === "GET") {
        const page = await call(app, key, undefined, "text/html");
        assert.equal(page.status, 303, `${key} from a browser without a session`);
        assert.match(page.headers.get("location") ?? "", /^\/login\?next=%2F/);
      }
    }
    // An empty login form is a failed login (401) whoever sends it: not an access decision.
    const refusals = key === "POST /login" ? [403] : [401, 403];
    const asReviewer = await call(app, key, key === "POST /logout" ? await signIn(app, REVIEWER) : reviewer);
    if (access === "ops") assert.equal(asReviewer.status, 403, `${key} as a reviewer`);
    else assert.ok(!refusals.includes(asReviewer.status), `${key} as a reviewer: ${asReviewer.status}`);
    const asOps = await call(app, key, key === "POST /logout" ? await signIn(app, OPS) : ops);
    assert.ok(
      !refusals.includes(asOps.status),
      `${key} as ops: ${asOps.status} ${await asOps.clone().text()}`,
    );
    rows.push(
      `${key.padEnd(36)} ${
        access.padEnd(8)
      } anon ${anonymous.status} rev ${asReviewer.status} ops ${asOps.status}`,
    );
  }
  console.log(`route-by-role matrix (${rows.length} routes):\n${rows.join("\n")}`);
});

test("the served app's OpenAPI document describes every route it serves, pages and forms included", async () => {
  const { app } = await setUp();
  const reviewer = await signIn(app, REVIEWER);
  const response = await app.request("/openapi.json", { headers: { cookie: reviewer.cookie } });
  assert.equal(response.status, 200);
  const document = await response.json() as { paths: Record<string, Record<string, { "x-access": string }>> };
  const policy = policyOf(app);
  for (const key of routeKeys(app.routes)) {
    const [method, pattern] = key.split(" ");
    const operation = document.paths[policyKey(method, pattern).slice(method.length + 1)]
      ?.[method.toLowerCase()];
    assert.equal(operation?.["x-access"], policy(key)?.access, key);
  }
  assert.equal(document.paths["/login"].post["x-access"], "public");
  assert.equal(document.paths["/admin/tokens/{id}/revoke"].post["x-access"], "ops");
});

test("a route registered without a policy entry is refused to everyone, ops included", async () => {
  const app = new Hono();
  app.onError(handleError);
  const user = { id: 1, name: "olivia", role: "ops" as const, via: "token" as const };
  app.use("*", (_c, next) => runAsUser(user, next));
  app.use(
    "*",
    accessControl({ routes: () => app.routes, policy: () => ({ "GET /guarded": { access: "ops" } }) }),
  );
  app.get("/guarded", (c) => c.text("ok"));
  app.get("/forgotten/:id", (c) => c.text("secret"));
  assert.equal((await app.request("/guarded")).status, 200);
  const refused = await app.request("/forgotten/1");
  assert.equal(refused.status, 403);
  assert.match((await refused.json()).error.message, /No access policy for GET \/forgotten\/:id/);
  assert.equal((await app.request("/nowhere")).status, 404);
});

test("API tokens act as their user and role until revoked, and no role above the user's", async () => {
  const { app, db } = await setUp();
  const { token: reviewerToken } = await createApiToken(db, {
    name: "script",
    userName: REVIEWER.name,
    role: "reviewer",
    createdBy: null,
  });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const policy = policyOf(app);
  for (const key of routeKeys(app.routes)) {
    const [method, pattern] = key.split(" ");
    // Logging out and changing a password concern browser sessions; a token is refused there by design.
    if (["POST /logout", "POST /account/password"].includes(key) || policy(key)!.access === "public") {
      continue;
    }
    const response = await app.request(samplePath(pattern), {
      method,
      headers: { ...bearer(reviewerToken), "content-type": "application/json" },
      ...(method === "GET" ? {} : { body: "{}" }),
    });
    if (policy(key)!.access === "ops") {
      assert.equal(response.status, 403, `${key} with a reviewer token`);
    } else {assert.ok(
        ![401, 403].includes(response.status),
        `${key} with a reviewer token: ${response.status}`,
      );}
  }
  const wrong = await app.request("/me", { headers: bearer("csvs_not-a-real-token") });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get("www-authenticate") ?? "", /invalid_token/);
  assert.equal((await app.request("/me", { headers: { authorization: "Basic b2xpdmlh" } })).status, 401);
  await assert.rejects(
    createApiToken(db, { name: "too much", userName: REVIEWER.name, role: "ops", createdBy: null }),
    /the user is a reviewer/,
  );
});

test("ops create a token in the UI: shown once, stored hashed, then revoked and refused", async () => {
  const { app, db } = await setUp();
  const ops = await signIn(app, OPS);
  const created = await app.request("/admin/tokens", {
    ...formPost({ name: "nightly <import>", user: REVIEWER.name, role: "reviewer", _csrf: ops.csrf }),
    headers: { cookie: ops.cookie, "content-type": "application/x-www-form-urlencoded" },
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("cache-control"), "no-store");
  const html = await created.text();
  const token = /data-testid="new-token-value"[^>]*>([^<]+)</.exec(html)?.[1].trim();
  assert.ok(token && token.startsWith("csvs_"), "the page shows the new token");
  assert.ok(html.includes("nightly &lt;import>"), "the token's name is escaped");

  const [stored] = await db.query<{ token_hash: string }>(sql`SELECT token_hash FROM api_tokens`);
  assert.equal(stored.token_hash, await digestSecret(token));
  const [{ found }] = await db.query<{ found: number }>(sql`
    SELECT count(*)::int AS found FROM api_tokens WHERE token_hash = ${token} OR name = ${token}`);
  assert.equal(found, 0, "the token itself is not stored");
  const again = await (await app.request("/admin", { headers: { cookie: ops.cookie, accept: "text/html" } }))
    .text();
  assert.ok(!again.includes(token), "the token is shown only once");

  const me = await app.request("/me", { headers: { authorization: `Bearer ${token}` } });
  assert.equal(me.status, 200);
  assert.deepEqual(await me.json(), { name: REVIEWER.name, role: "reviewer", via: "token" });
  const [{ id }] = await db.query<{ id: number }>(sql`SELECT id FROM api_tokens`);
  const revoked = await app.request(`/admin/tokens/${id}/revoke`, {
    method: "POST",
    headers: { cookie: ops.cookie, "x-csrf-token": ops.csrf },
  });
  assert.equal(revoked.status, 303);
  assert.equal((await app.request("/me", { headers: { authorization: `Bearer ${token}` } })).status, 401);
});

test("login sets an HttpOnly SameSite=Lax session cookie, Secure over https, and logout ends it", async () => {
  const { app, db } = await setUp();
  const plain = await app.request("/login", formPost(OPS));
  assert.equal(plain.status, 303);
  assert.equal(plain.headers.get("location"), "/");
  const cookie = plain.headers.get("set-cookie") ?? "";
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Lax/);
  assert.match(cookie, /; Path=\//);
  assert.doesNotMatch(cookie, /; Secure/);
  const forwarded = {
    ...formPost({ ...OPS, next: "/review?import_id=3" }),
    headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https" },
  };
  const untrusted = await app.request("/login", forwarded);
  assert.doesNotMatch(
    untrusted.headers.get("set-cookie") ?? "",
    /; Secure/,
    "no proxy is trusted by default",
  );
  const proxied = await createSecureApp(
    { db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 * 1024 },
    { log: () => {}, trustProxy: true },
  );
  const behindProxy = await proxied.request("/login", forwarded);
  assert.match(behindProxy.headers.get("set-cookie") ?? "", /; Secure/);
  assert.equal(behindProxy.headers.get("location"), "/review?import_id=3");
  const offsite = await app.request("/login", formPost({ ...OPS, next: "//evil.example/" }));
  assert.equal(offsite.headers.get("location"), "/", "next never leaves the site");

  const [{ count }] = await db.query<{ count: number }>(sql`SELECT count(*)::int AS count FROM sessions`);
  assert.equal(count, 4);
  const [session] = await db.query<{ id_hash: string }>(sql`SELECT id_hash FROM sessions LIMIT 1`);
  assert.match(session.id_hash, /^[0-9a-f]{64}$/, "the session id is stored as a digest");

  const wrong = await app.request("/login", formPost({ name: OPS.name, password: "not the password" }));
  assert.equal(wrong.status, 401);
  assert.match(await wrong.text(), /Wrong name or password/);
  const nobody = await app.request("/login", formPost({ name: "nobody", password: "not the password" }));
  assert.equal(nobody.status, 401);
  assert.match(await nobody.text(), /Wrong name or password/);

  const session1 = cookie.split(";")[0];
  assert.equal((await app.request("/me", { headers: { cookie: session1 } })).status, 200);
  const page = await (await app.request("/", { headers: { cookie: session1, accept: "text/html" } })).text();
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page)![1];
  const logout = await app.request("/logout", {
    ...formPost({ _csrf: csrf }),
    headers: { cookie: session1, "content-type": "application/x-www-form-urlencoded" },
  });
  assert.equal(logout.status, 303);
  assert.equal(logout.headers.get("location"), "/login");
  assert.match(logout.headers.get("set-cookie") ?? "", /csv_sorter_session=; Max-Age=0/);
  assert.equal((await app.request("/me", { headers: { cookie: session1 } })).status, 401);
});

test("a disabled account cannot log in and its sessions end at once", async () => {
  const { app } = await setUp();
  const ops = await signIn(app, OPS);
  const reviewer = await signIn(app, REVIEWER);
  const disabled = await app.request(`/admin/users/${REVIEWER.name}/disable`, {
    method: "POST",
    headers: { cookie: ops.cookie, "x-csrf-token": ops.csrf },
  });
  assert.equal(disabled.status, 303);
  assert.equal((await app.request("/me", { headers: { cookie: reviewer.cookie } })).status, 401);
  assert.equal((await app.request("/login", formPost(REVIEWER))).status, 401);
  const self = await app.request(`/admin/users/${OPS.name}/disable`, {
    method: "POST",
    headers: { cookie: ops.cookie, "x-csrf-token": ops.csrf },
  });
  assert.equal(self.status, 422, "ops cannot lock themselves out");
});

test("state-changing requests on a session need the CSRF token; bearer tokens do not", async () => {
  const { app, db } = await setUp();
  const reviewer = await signIn(app, REVIEWER);
  const feedback = (headers: Record<string, string>) =>
    app.request("/submit-feedback", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: reviewer.cookie, ...headers },
      body: JSON.stringify({ product_id: 424242, approved: false, corrected_text: "x" }),
    });
  const missing = await feedback({});
  assert.equal(missing.status, 403);
  assert.match((await missing.json()).error.message, /CSRF token is missing or wrong/);
  assert.equal((await feedback({ "x-csrf-token": "guess" })).status, 403);
  assert.equal((await feedback({ "x-csrf-token": reviewer.csrf })).status, 404, "passes, then: no product");
  const crossSite = await feedback({ "x-csrf-token": reviewer.csrf, origin: "https://evil.example" });
  assert.equal(crossSite.status, 403);
  assert.match((await crossSite.json()).error.message, /came from another site/);
  const loginFromElsewhere = await app.request("/login", {
    ...formPost(OPS),
    headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "cross-site" },
  });
  assert.equal(loginFromElsewhere.status, 403, "login CSRF is refused");
  const upload = await app.request("/upload-csv", {
    method: "POST",
    headers: { "content-type": "text/csv", cookie: reviewer.cookie },
    body: "title\nhammer\n",
  });
  assert.equal(upload.status, 403, "an upload without the token is refused before it is read");
  const [{ imports }] = await db.query<{ imports: number }>(
    sql`SELECT count(*)::int AS imports FROM imports`,
  );
  assert.equal(imports, 0);
  const { token } = await createApiToken(db, {
    name: "t",
    userName: REVIEWER.name,
    role: "reviewer",
    createdBy: null,
  });
  const scripted = await app.request("/submit-feedback", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ product_id: 424242, approved: false, corrected_text: "x" }),
  });
  assert.equal(scripted.status, 404);
});

test("login attempts are limited per name and address, and a success resets the count", async () => {
  const { app, clock, db } = await setUp();
  const from = (address: string) => ({ remoteAddr: { hostname: address } });
  const attempt = (password: string, address = "10.0.0.1") =>
    app.request("/login", formPost({ name: OPS.name, password }), from(address));
  for (let i = 0; i < 3; i++) assert.equal((await attempt("wrong password")).status, 401);
  const blocked = await attempt(OPS.password);
  assert.equal(blocked.status, 429, "the right password is refused while blocked");
  assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  assert.match(await blocked.text(), /Too many failed attempts/);
  assert.equal((await attempt(OPS.password, "10.0.0.2")).status, 303, "another address is not blocked");
  clock.now += 61_000;
  assert.equal((await attempt(OPS.password)).status, 303, "the block ends with the window");
  const kinds = await db.query<{ kind: string }>(sql`
    SELECT kind FROM audit_log WHERE kind LIKE 'login%' ORDER BY id`);
  assert.deepEqual(kinds.map((row) => row.kind), [
    "login.failed",
    "login.failed",
    "login.failed",
    "login.throttled",
    "login",
    "login",
  ]);
});

test("the setup link creates the first ops account once, and no account exists before it", async () => {
  const { app, logs, db } = await setUp(false);
  assert.equal(logs.length, 1);
  const match =
    /^Open http:\/\/127\.0\.0\.1:8000\/setup\?token=([A-Za-z0-9_-]{43}) to create the first ops account$/
      .exec(logs[0]);
  assert.ok(match, logs[0]);
  const token = match[1];
  assert.equal((await app.request("/login", formPost(OPS))).status, 401, "there is no default account");
  assert.equal((await app.request("/setup?token=wrong")).status, 403);
  assert.equal((await app.request(`/setup?token=${token}`)).status, 200);
  const short = await app.request(
    "/setup",
    formPost({ token, name: OPS.name, password: "short", password_again: "short" }),
  );
  assert.equal(short.status, 422);
  const differ = await app.request(
    "/setup",
    formPost({ token, name: OPS.name, password: OPS.password, password_again: "something else!" }),
  );
  assert.equal(differ.status, 422);
  // A name the rule refuses: the page says which rule and keeps what was typed (escaped) for a retry.
  const spaced = await app.request(
    "/setup",
    formPost({ token, name: 'Olivia "Ops" <Lead>', password: OPS.password, password_again: OPS.password }),
  );
  assert.equal(spaced.status, 422);
  const retry = await spaced.text();
  assert.match(retry, /Name: use letters, digits and \. _ @ - only/);
  assert.match(retry, /value="Olivia &quot;Ops&quot; &lt;Lead>"/);
  assert.match(retry, /pattern="\[\\p\{L\}\\p\{N\}\._@\\-\]\+"/);
  const created = await app.request(
    "/setup",
    formPost({ token, name: OPS.name, password: OPS.password, password_again: OPS.password }),
  );
  assert.equal(created.status, 303);
  assert.equal(created.headers.get("location"), "/");
  const cookie = (created.headers.get("set-cookie") ?? "").split(";")[0];
  const me = await app.request("/me", { headers: { cookie } });
  assert.deepEqual(await me.json(), { name: OPS.name, role: "ops", via: "session" });

  assert.equal((await app.request(`/setup?token=${token}`)).status, 410, "the link works once");
  const second = await app.request(
    "/setup",
    formPost({ token, name: "mallory", password: "mallory-password", password_again: "mallory-password" }),
  );
  assert.equal(second.status, 303);
  assert.equal(second.headers.get("location"), "/setup");
  const users = await db.query<{ name: string; role: string }>(sql`SELECT name, role FROM users`);
  assert.deepEqual(users, [{ name: OPS.name, role: "ops" }]);
  const [entry] = await db.query<{ kind: string; actor: string }>(sql`
    SELECT kind, actor FROM audit_log WHERE kind = 'user.create'`);
  assert.deepEqual(entry, { kind: "user.create", actor: OPS.name });
  const restarted = await setUpWith(db);
  assert.deepEqual(restarted, [], "a restart with an account prints no setup link");
});

async function setUpWith(db: Database): Promise<string[]> {
  const logs: string[] = [];
  await createSecureApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 }, {
    log: (line) => logs.push(line),
  });
  return logs;
}

test("every state change is in the audit trail, ops can filter it, and nobody can edit it", async () => {
  const { app, db } = await setUp();
  const reviewer = await signIn(app, REVIEWER);
  const ops = await signIn(app, OPS);
  const uploaded = await app.request("/upload-csv?file_name=tools.csv", {
    method: "POST",
    headers: sessionHeaders(reviewer, "POST", { "content-type": "text/csv" }),
    body: "title,category\nclaw hammer,tools\nsaw,\n",
  });
  assert.equal(uploaded.status, 201);
  const { import_id } = await uploaded.json();
  const [product] = await db.query<{ id: number }>(sql`SELECT id FROM products WHERE seed_label IS NULL`);
  const decided = await app.request("/submit-feedback", {
    method: "POST",
    headers: sessionHeaders(reviewer, "POST", { "content-type": "application/json" }),
    body: JSON.stringify({
      product_id: product.id,
      approved: false,
      corrected_text: "saws",
      reviewer: "someone else",
    }),
  });
  assert.equal(decided.status, 201);
  const [feedback] = await db.query<{ reviewer: string }>(sql`SELECT reviewer FROM feedback`);
  assert.equal(feedback.reviewer, REVIEWER.name, "the account decides who the reviewer is, not the body");
  const user = await app.request("/admin/users", {
    ...formPost({ name: "ray", role: "reviewer", password: "ray-password-123", _csrf: ops.csrf }),
    headers: { cookie: ops.cookie, "content-type": "application/x-www-form-urlencoded" },
  });
  assert.equal(user.status, 303);

  const read = async (query: string, session = ops) => {
    const response = await app.request(`/audit${query}`, { headers: { cookie: session.cookie } });
    return { status: response.status, body: await response.json() };
  };
  const upload = await read(`?user=${REVIEWER.name}&kind=upload`);
  assert.equal(upload.status, 200);
  assert.equal(upload.body.entries.length, 1);
  assert.equal(upload.body.entries[0].actor, REVIEWER.name);
  assert.equal(upload.body.entries[0].details.result.import_id, import_id);
  assert.equal(upload.body.entries[0].details.result.row_count, 2);
  const decisions = await read("?kind=feedback");
  assert.equal(decisions.body.entries[0].details.result.product_id, product.id);
  const accounts = await read(`?user=${OPS.name}&kind=user.create`);
  assert.deepEqual(accounts.body.entries[0].details, { name: "ray", role: "reviewer" });
  assert.equal((await read("", reviewer)).status, 403, "reviewers cannot read the audit trail");
  const page = await app.request("/audit?kind=upload", {
    headers: { cookie: ops.cookie, accept: "text/html" },
  });
  assert.match(await page.text(), /data-testid="audit-entry"/);

  await assert.rejects(db.query(sql`UPDATE audit_log SET actor = 'nobody'`), /append-only/);
  await assert.rejects(db.query(sql`DELETE FROM audit_log`), /append-only/);
  await assert.rejects(db.query(sql`TRUNCATE audit_log`), /append-only/);
  const [{ count }] = await db.query<{ count: number }>(sql`
    SELECT count(*)::int AS count FROM audit_log WHERE actor = 'nobody'`);
  assert.equal(count, 0);
});

test("every response carries the security headers, and pages have no inline script or style", async () => {
  const { app } = await setUp();
  const ops = await signIn(app, OPS);
  const responses = [
    await app.request("/login"),
    await app.request("/health"),
    await app.request("/static/nothing.css"),
    await app.request("/no-such-route"),
    await app.request("/imports"),
    await app.request("/", { headers: { accept: "text/html" } }),
    await app.request("/admin", { headers: { cookie: ops.cookie } }),
    await app.request("/", { headers: { cookie: ops.cookie, accept: "text/html" } }),
    await app.request("/review", { headers: { cookie: ops.cookie, accept: "text/html" } }),
    await app.request("/export", { headers: { cookie: ops.cookie } }),
    await app.request("/submit-feedback", { method: "POST", headers: { cookie: ops.cookie } }),
    await app.request("/me", { headers: { authorization: "Bearer csvs_nope" } }),
  ];
  for (const response of responses) {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
      assert.equal(response.headers.get(name), value, `${name} on a ${response.status}`);
    }
  }
  assert.match(SECURITY_HEADERS["content-security-policy"], /script-src 'self';/);
  assert.match(SECURITY_HEADERS["content-security-policy"], /frame-ancestors 'none'/);
  // Every page a browser can open, including those added later: each GET route asked for HTML.
  const pages = routeKeys(app.routes).filter((key) => key.startsWith("GET ") && key !== "GET /static/*");
  const checked: string[] = [];
  for (const path of pages.map((key) => samplePath(key.slice(4)))) {
    const response = await app.request(path, { headers: { cookie: ops.cookie, accept: "text/html" } });
    if (!(response.headers.get("content-type") ?? "").startsWith("text/html")) continue;
    checked.push(path);
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, `${path} has an inline script`);
    assert.doesNotMatch(html, /\sstyle=/, `${path} has a style attribute`);
    assert.doesNotMatch(html, /\son[a-z]+=/i, `${path} has an inline event handler`);
  }
  for (const path of ["/", "/review", "/admin", "/audit", "/workers", "/api", "/login"]) {
    assert.ok(checked.includes(path), `${path} was not checked`);
  }
});

test("JSON and form bodies over 64 KiB are refused with 413 on every route", async () => {
  const { app } = await setUp();
  const reviewer = await signIn(app, REVIEWER);
  const big = JSON.stringify({ product_id: 1, approved: true, pad: "x".repeat(70_000) });
  const json = await app.request("/submit-feedback", {
    method: "POST",
    headers: sessionHeaders(reviewer, "POST", { "content-type": "application/json" }),
    body: big,
  });
  assert.equal(json.status, 413);
  const loginForm = await app.request("/login", formPost({ name: "x", password: "y".repeat(70_000) }));
  assert.equal(loginForm.status, 413);
});
