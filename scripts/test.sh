#!/usr/bin/env bash
# `npm test`: format check, lint, type check, then every suite — the core under Deno on PGlite and under
# Node on PostgreSQL, the web server under Deno on both, the browser test under Node with Debian's
# Chromium. Ends with the one line CI reads: "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export ALLOW_REMOTE_MODELS=0
deno=./node_modules/.bin/deno
passed=0
failed=0
log=$(mktemp)
pg_port=""
# The test PostgreSQL server is ours alone (own port) and stopped on any exit, failed or not.
cleanup() {
  rm -f "$log"
  if [[ -n $pg_port ]]; then PGTEST_PORT=$pg_port bash scripts/pg_test_server.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

step() { # name, command...
  local name=$1
  shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else echo "!! $name failed"; failed=$((failed + 1)); fi
}

suite() { # name, runner (node|deno), command...
  local name=$1 runner=$2
  shift 2
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]} p=0 f=0
  if [[ $runner == node ]]; then
    p=$(grep -E '^(ℹ|#) pass [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || echo 0)
    f=$(grep -E '^(ℹ|#) fail [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || echo 0)
  else
    local line
    line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^(ok|FAILED) \| [0-9]+ passed' | tail -1)
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || echo 0)
    f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0)
  fi
  p=${p:-0}
  f=${f:-0}
  # A runner that crashed before counting still counts as a failure.
  if [[ $status -ne 0 && $f -eq 0 ]]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
}

step "build" node --import tsx web/build.ts
step "deno fmt --check" "$deno" fmt --check
step "deno lint" "$deno" lint
step "deno check" "$deno" check web/ gpu-worker/ core/ testing/ contract/ bench/ cli/ scripts/
step "deployment files" bash scripts/check_deploy.sh
step "layering" node scripts/check_layers.mjs

# *_server_test.ts need a real server (TEST_DATABASE_URL): they run in the PostgreSQL block only.
# The core's web-side concepts (imports, review, export, accounts) run in the web server only, under Deno:
# their tests run with the web suites. The rest of the core runs where it runs in production: under Deno
# on PGlite (the embedded default, one Deno process) and under Node on PostgreSQL (separate workers, which
# refuse the embedded database: gpu-worker/main.ts).
web_side=(core/imports core/review core/export core/accounts)
mapfile -t worker_tests < <(find gpu-worker core testing -name '*_test.ts' ! -name '*_server_test.ts' |
  grep -vE '^core/(imports|review|export|accounts)/' | sort)
mapfile -t server_tests < <(find gpu-worker core testing -name '*_server_test.ts' | sort)
mapfile -t web_tests < <(find web contract "${web_side[@]}" -name '*_test.ts' | sort)
mapfile -t e2e_tests < <(find web/e2e -name '*_e2e.ts' 2>/dev/null | sort)

suite "worker tests under Deno" deno "$deno" test -A --no-check "${worker_tests[@]}"
suite "web tests under Deno" deno "$deno" test -A --no-check "${web_tests[@]}"

# The same suites on a real PostgreSQL 16 + pgvector server (scripts/pg_test_server.sh, PyPI's pgserver
# wheel) on a free loopback port, plus the tests only a server can run (many worker processes, lost
# connections). Each test file gets its own database. Node runs the worker side (as in production),
# Deno the web side and the driver tests (the web server's postgres.js runs under Deno).
pg_port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
echo "== PostgreSQL test server on 127.0.0.1:${pg_port}"
if pg_url=$(PGTEST_PORT=$pg_port bash scripts/pg_test_server.sh start); then
  suite "worker tests on PostgreSQL under Node" node env TEST_DATABASE_URL="$pg_url" PGTEST_PORT="$pg_port" \
    node --import tsx --test --test-concurrency=1 "${worker_tests[@]}" "${server_tests[@]}"
  suite "driver tests on PostgreSQL under Deno" deno env TEST_DATABASE_URL="$pg_url" \
    "$deno" test -A --no-check core/db/database_postgres_server_test.ts
  suite "web tests on PostgreSQL under Deno" deno env TEST_DATABASE_URL="$pg_url" \
    "$deno" test -A --no-check "${web_tests[@]}"
else
  echo "!! cannot start the PostgreSQL test server: its suites did not run"
  failed=$((failed + 1))
fi
# The csv-sorter bin as a child process against the real app (one app start for the whole file).
suite "command-line tests" node node --import tsx --test --test-concurrency=1 cli/*_test.ts
if [[ ${#e2e_tests[@]} -gt 0 ]]; then
  suite "browser tests" node node --import tsx --test --test-concurrency=1 "${e2e_tests[@]}"
fi

echo
echo "${passed} passed, ${failed} failed"
[[ $failed -eq 0 ]]
