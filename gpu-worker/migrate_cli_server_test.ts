/** `npm run migrate` (gpu-worker/migrate_cli.ts) as a process, against a fresh server database. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import path from "node:path";
import process from "node:process";
import { promisify } from "node:util";
import { listMigrations } from "../core/db/migrate.ts";
import { createServerTestDatabase } from "../testing/test_server.ts";
import { REPO_ROOT } from "../testing/testing.ts";

const created = await createServerTestDatabase({ migrated: false });
after(() => created.drop());

async function migrateCli(databaseUrl: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      "node",
      ["--import", "tsx", path.join(REPO_ROOT, "gpu-worker/migrate_cli.ts")],
      { cwd: REPO_ROOT, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", DATABASE_URL: databaseUrl } },
    );
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

test("npm run migrate applies every migration to an empty database, then finds nothing to do", async () => {
  const first = await migrateCli(created.url);
  assert.equal(first.code, 0, first.output);
  const url = new URL(created.url);
  assert.match(first.output, new RegExp(`^Migrating ${url.hostname}:${url.port}/${created.name}\\n`));
  assert.ok(!first.output.includes(url.password), "the password is never printed");
  assert.match(first.output, new RegExp(`Applied: ${listMigrations().map((m) => m.name).join(", ")}`));
  assert.match(first.output, /pgvector \d+\.\d+\.\d+ is enabled/);
  const second = await migrateCli(created.url);
  assert.equal(second.code, 0, second.output);
  assert.match(second.output, /Schema is up to date/);
});

test("npm run migrate against an unreachable server exits 1 naming the server", async () => {
  const url = new URL(created.url);
  url.port = "1"; // nothing listens on port 1 of the loopback
  const result = await migrateCli(url.toString());
  assert.equal(result.code, 1);
  assert.match(result.output, /^Migrating 127\.0\.0\.1:1\//);
  assert.match(result.output, /ECONNREFUSED/);
});
