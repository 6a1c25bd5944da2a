/** `npm run user` and `npm run token` against the real (in-memory PGlite) database. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "../core/db/sql.ts";
import { openTestDatabase, TEST_MODEL_ID } from "../testing/testing.ts";
import { type CliIo, runAccountCli } from "./account_cli.ts";
import { createSecureApp } from "./secure_app.ts";

const db = await openTestDatabase();
after(() => db.close());

function io(passwords: string[] = []): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    readPassword: () => Promise.resolve(passwords.shift() ?? ""),
    osUser: "tester",
  };
}

test("the CLI creates the first ops account, which can then log in and no setup link is printed", async () => {
  const first = io(["ops-password-123"]);
  assert.equal(await runAccountCli(db, ["user", "create", "--name", "olivia", "--role", "ops"], first), 0);
  assert.deepEqual(first.lines, ['Created ops account "olivia"']);
  const weak = io(["short"]);
  assert.equal(await runAccountCli(db, ["user", "create", "--name", "weak", "--role", "reviewer"], weak), 1);
  assert.match(weak.errors[0], /at least 12 characters/);
  const taken = io(["another-password"]);
  assert.equal(await runAccountCli(db, ["user", "create", "--name", "olivia"], taken), 1);
  assert.match(taken.errors[0], /the name is taken/);

  const logs: string[] = [];
  const app = await createSecureApp({ db, modelId: TEST_MODEL_ID, maxUploadBytes: 1024 }, {
    log: (line) => logs.push(line),
  });
  assert.deepEqual(logs, []);
  const login = await app.request("/login", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "name=olivia&password=ops-password-123",
  });
  assert.equal(login.status, 303);
  const [entry] = await db.query<{ actor: string | null; via: string; details: Record<string, string> }>(sql`
    SELECT actor, via, details FROM audit_log WHERE kind = 'user.create'`);
  assert.deepEqual(entry, {
    actor: null,
    via: "cli",
    details: { name: "olivia", role: "ops", os_user: "tester" },
  });
});

test("the CLI creates a token shown once, lists it without the secret, and revokes it", async () => {
  await runAccountCli(
    db,
    ["user", "create", "--name", "robot", "--role", "reviewer"],
    io(["robot-password-1"]),
  );
  const created = io();
  assert.equal(
    await runAccountCli(db, ["token", "create", "--name", "nightly", "--user", "robot"], created),
    0,
  );
  const [token] = created.lines;
  assert.match(token, /^csvs_[A-Za-z0-9_-]{43}$/);
  assert.match(created.errors[0], /acts as robot \(reviewer\)\. It is shown only now/);
  const listed = io();
  await runAccountCli(db, ["token", "list"], listed);
  assert.equal(listed.lines.length, 1);
  assert.ok(!listed.lines[0].includes(token));
  const id = listed.lines[0].split("\t")[0];
  assert.equal(await runAccountCli(db, ["token", "revoke", "--id", id], io()), 0);
  const again = io();
  assert.equal(await runAccountCli(db, ["token", "revoke", "--id", id], again), 1);
  assert.match(again.errors[0], /already revoked/);
  const usage = io();
  assert.equal(await runAccountCli(db, ["token", "frobnicate"], usage), 2);
  assert.match(usage.errors[0], /^Usage:/);
});
