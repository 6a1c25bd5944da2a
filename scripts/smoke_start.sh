#!/usr/bin/env bash
# Starts the app as a new user does (`npm start`: build, model, embedded database) on a fresh data dir and a
# free port, waits until it prints the setup link and answers /health and that link, then stops it with
# SIGINT and checks it exits cleanly. CI runs it from a clone with nothing beside it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work=$(mktemp -d)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
log="${work}/start.log"
pid=""
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL -- "-$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

started=$(date +%s)
# Its own process group, so stopping it stops npm, bash and deno alike.
setsid env PORT="$port" DATA_DIR="${work}/data" MODELS_DIR="${work}/versions" npm start >"$log" 2>&1 &
pid=$!

setup_url=""
for _ in $(seq 1 600); do
  setup_url=$(grep -oE 'http://[^ ]+/setup\?token=[A-Za-z0-9_-]+' "$log" | head -1 || true)
  if [[ -n $setup_url ]] && curl -fsS "http://127.0.0.1:${port}/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "smoke_start: npm start exited before serving:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 1
done
if [[ -z $setup_url ]]; then
  echo "smoke_start: no setup link after 600 s:" >&2
  cat "$log" >&2
  exit 1
fi
status=$(curl -s -o /dev/null -w '%{http_code}' "$setup_url")
if [[ $status != 200 ]]; then
  echo "smoke_start: the setup link answered ${status}" >&2
  exit 1
fi
echo "smoke_start: serving on port ${port} $(($(date +%s) - started)) s after npm start; setup link answers 200"

kill -INT -- "-$pid"
for _ in $(seq 1 30); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 1
done
if kill -0 "$pid" 2>/dev/null; then
  echo "smoke_start: still running 30 s after SIGINT" >&2
  exit 1
fi
wait "$pid" || true
echo "smoke_start: stopped cleanly"
