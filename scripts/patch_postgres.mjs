#!/usr/bin/env node
// postinstall: guards postgres.js 3.4.9 against a crash on a lost connection (porsager/postgres#1208,
// #1154, #1066; fixes proposed in PRs #1168, #1176, #1209, none released as of 3.4.9).
//
// When the server closes a connection inside `sql.begin()` (a restart, a failover, pg_terminate_backend),
// postgres.js sends ROLLBACK on the dead connection: the write is deferred with setImmediate and then
// runs `socket.write` on a socket already set to null. The TypeError is thrown from the immediate, so
// no try/catch can stop it and the whole process (worker or web server) dies. Reproduced here with
// `scripts/pg_test_server.sh restart immediate 3` under three busy workers.
//
// A second defect shows on the same path: the query in flight when the server sent its last
// ErrorResponse ("terminating connection …", 57P01) stays recorded on the connection object with that
// error, and after the reconnect the pool's next query on it is rejected with the stale error (or
// hangs). Seen with pg_terminate_backend and with a server restart.
//
// The patch: nextWrite() on a closed socket drops the buffered bytes and rejects the pending query with
// CONNECTION_CLOSED, a normal catchable error (as PR #1209 does); when a socket closes, the write timer,
// the buffer and the in-flight query state are forgotten with it, so a reconnected socket starts clean.
// Idempotent; on any other version it changes nothing and says so (check whether upstream fixed it,
// then drop this script).
// gpu-worker/lib/database_postgres_server_test.ts fails if the guard is missing.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = path.join(root, "node_modules/postgres");
const MARKER = "csv-sorter patch: porsager/postgres#1208";
const VERSION = "3.4.9";

const replacements = [
  [
    "  function nextWrite(fn) {\n    const x = socket.write(chunk, fn)\n",
    "  function nextWrite(fn) {\n" +
    `    if (socket === null) { // ${MARKER}\n` +
    "      nextWriteTimer !== null && clearImmediate(nextWriteTimer)\n" +
    "      chunk = nextWriteTimer = null\n" +
    "      error(Errors.connection('CONNECTION_CLOSED', options))\n" +
    "      query = results = errorResponse = null\n" +
    "      return true\n" +
    "    }\n" +
    "    const x = socket.write(chunk, fn)\n",
  ],
  [
    "    terminated = true\n    if (stream || query || initial || sent.length)\n" +
    "      error(Errors.connection('CONNECTION_DESTROYED', options))\n\n    clearImmediate(nextWriteTimer)\n",
    "    terminated = true\n    if (stream || query || initial || sent.length)\n" +
    "      error(Errors.connection('CONNECTION_DESTROYED', options))\n\n    clearImmediate(nextWriteTimer)\n" +
    "    chunk = nextWriteTimer = null\n",
  ],
  [
    "    incomings = null\n    clearImmediate(nextWriteTimer)\n",
    "    incomings = null\n    clearImmediate(nextWriteTimer)\n    chunk = nextWriteTimer = null\n",
  ],
  [
    "    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n",
    "    !hadError && (query || sent.length) && error(Errors.connection('CONNECTION_CLOSED', options, socket))\n" +
    "    query = results = errorResponse = null\n",
  ],
];

function main() {
  const pkgFile = path.join(pkgDir, "package.json");
  if (!fs.existsSync(pkgFile)) return; // not installed (yet): nothing to guard
  const { version } = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  if (version !== VERSION) {
    console.warn(
      `patch_postgres: postgres@${version} installed, patch written for ${VERSION}: not applied. ` +
        "Check porsager/postgres#1208 and update or remove scripts/patch_postgres.mjs",
    );
    return;
  }
  for (const dir of ["src", "cjs/src", "cf/src"]) {
    const file = path.join(pkgDir, dir, "connection.js");
    if (!fs.existsSync(file)) continue;
    let text = fs.readFileSync(file, "utf8");
    if (text.includes(MARKER)) continue;
    for (const [before, after] of replacements) {
      if (text.split(before).length !== 2) {
        throw new Error(`Cannot patch "${path.relative(root, file)}": the expected code is not there once`);
      }
      text = text.replace(before, after);
    }
    fs.writeFileSync(file, text);
    console.log(`patch_postgres: guarded ${path.relative(root, file)} (porsager/postgres#1208)`);
  }
}

main();
