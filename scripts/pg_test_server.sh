#!/usr/bin/env bash
# pg_test_server.sh — a throwaway, real PostgreSQL 16 + pgvector server on loopback for tests.
#
# Binaries come from the PyPI wheel `pgserver` (pinned below), which bundles PostgreSQL 16.2
# and pgvector 0.6.2 (vector.so + vector.control + SQL files). Only its binaries are used;
# the Python API is not. Nothing is fetched from anywhere but PyPI.
#
# Usage:
#   scripts/pg_test_server.sh start            # install (cached) + initdb in a temp dir + start; prints URL on stdout
#   scripts/pg_test_server.sh url              # print postgres://USER:PASS@127.0.0.1:PORT/csv_sorter_test
#   scripts/pg_test_server.sh status           # exit 0 if running
#   scripts/pg_test_server.sh restart [MODE] [DOWN_SECONDS]
#                                              # pg_ctl restart; MODE = fast (default) | immediate (crash-like) | smart;
#                                              # DOWN_SECONDS > 0: stop, stay down that long, then start (an outage)
#   scripts/pg_test_server.sh stop             # stop the server and delete its data dir
#
#   export DATABASE_URL="$(scripts/pg_test_server.sh start)"   # stdout is only the URL; messages go to stderr
#
# The restart subcommand runs (as the server's OS user):
#   pg_ctl -D "$PGDATA" -l "$RUN_DIR/server.log" -w -t 60 -m fast restart
# `-m immediate` kills all backends without a checkpoint (like a crash) and the server does crash
# recovery on the way back up: use it for "database restarts while workers run" tests.
#
# Environment (all optional):
#   CSV_SORTER_CACHE   cache root (default: $HOME/.cache/csv-sorter); the venv lives in $CSV_SORTER_CACHE/pgserver/
#   PGTEST_PORT        TCP port on 127.0.0.1 (default 54329); one independent server per port
#   PGTEST_USER        login role (default csv_sorter), created SUPERUSER (set PGTEST_SUPERUSER=0 for a plain owner)
#   PGTEST_PASSWORD    its password (default csv_sorter_pw)
#   PGTEST_DB          database (default csv_sorter_test)
#   PGTEST_OS_USER     when run as root: the unprivileged OS user that runs postgres (default pgserver)
#   PGTEST_LOCALE      initdb locale (default C.UTF-8 if the system has it, else C)
#   PGTEST_DURABLE=1   keep fsync/synchronous_commit/full_page_writes on (default: off, faster tests)
#   PYTHON             python used to create the venv (default python3)
#
# Running as root: initdb, pg_ctl and postgres all refuse to run as root. Like pgserver itself does,
# the script creates a system user (`pgserver`, no login shell, no home) and runs them through
# `runuser -u pgserver --`. That user must be able to traverse to the binaries, so any directory
# above the cache that lacks the "others may traverse" bit (typically /root, mode 700) gets `o+x`
# (traverse only, no listing; pgserver's Python code goes further and adds g+rx,o+rx).
set -euo pipefail

PGSERVER_VERSION="0.1.4"                      # PostgreSQL 16.2, pgvector 0.6.2

CACHE_ROOT="${CSV_SORTER_CACHE:-$HOME/.cache/csv-sorter}"
CACHE="$CACHE_ROOT/pgserver"
VENV="$CACHE/venv"
MARKER="$VENV/.pgserver-$PGSERVER_VERSION.ok"     # holds the path of the pgserver package dir
PORT="${PGTEST_PORT:-54329}"
DB_USER="${PGTEST_USER:-csv_sorter}"
DB_PASS="${PGTEST_PASSWORD:-csv_sorter_pw}"
DB_NAME="${PGTEST_DB:-csv_sorter_test}"
OS_USER="${PGTEST_OS_USER:-pgserver}"
STATE_DIR="$CACHE/run"
STATE="$STATE_DIR/$PORT.env"
PYTHON="${PYTHON:-python3}"

log() { printf '[pg_test_server] %s\n' "$*" >&2; }
die() { printf '[pg_test_server] ERROR: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
}

is_root() { [ "$(id -u)" = 0 ]; }

# Run a command as the OS user that owns the cluster (root is not allowed by postgres).
# 9>&- : the lock fd must not leak into the postmaster, or the lock would be held while it runs.
as_pg() {
  if is_root; then
    runuser -u "$OS_USER" -- "$@" 9>&-
  else
    "$@" 9>&-
  fi
}

take_lock() {
  mkdir -p "$STATE_DIR"
  exec 9>"$CACHE/.lock"
  flock -w 300 9 || die "could not take lock $CACHE/.lock within 300s"
}

url() { printf 'postgres://%s:%s@127.0.0.1:%s/%s\n' "$DB_USER" "$DB_PASS" "$PORT" "$DB_NAME"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- install ---------------------------------------------------------------------------------
ensure_install() {
  if [ -f "$MARKER" ] && PKG_DIR="$(cat "$MARKER")" && [ -x "$PKG_DIR/pginstall/bin/postgres" ]; then
    return 0
  fi
  log "installing pgserver==$PGSERVER_VERSION into $VENV (one-time)"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >&2 \
    || die "'$PYTHON -m venv' failed (on Debian's own python: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
      --only-binary=:all: --no-deps "pgserver==$PGSERVER_VERSION" >&2 \
    || die "pip install pgserver==$PGSERVER_VERSION failed (is PyPI reachable? is there a wheel for this python/platform?)"
  # find_spec does not execute pgserver/__init__.py (whose deps we did not install)
  PKG_DIR="$("$VENV/bin/python" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("pgserver").origin))')"
  local b
  for b in initdb pg_ctl postgres psql; do
    [ -x "$PKG_DIR/pginstall/bin/$b" ] || die "wheel has no $PKG_DIR/pginstall/bin/$b"
  done
  [ -f "$PKG_DIR/pginstall/lib/postgresql/vector.so" ] || die "wheel has no pgvector (vector.so)"
  [ -f "$PKG_DIR/pginstall/share/postgresql/extension/vector.control" ] || die "wheel has no vector.control"
  # the server's OS user must be able to read the binaries, libraries and share files
  chmod -R go+rX "$PKG_DIR" "$(dirname "$PKG_DIR")/pgserver.libs"
  printf '%s\n' "$PKG_DIR" > "$MARKER"
  log "installed: $("$PKG_DIR/pginstall/bin/postgres" --version)"
}

# --- root handling ---------------------------------------------------------------------------
ensure_os_user() {
  if ! getent passwd "$OS_USER" >/dev/null; then
    log "creating system user '$OS_USER' to run postgres (it refuses to run as root)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$OS_USER" \
      || die "useradd $OS_USER failed"
  fi
}

# Give "others" the traverse bit on every directory above $1 that lacks it.
ensure_traversable() {
  local target="$1" d
  if runuser -u "$OS_USER" -- test -x "$target"; then return 0; fi
  d="$target"
  while :; do
    if [ -d "$d" ] && [ "$(( 0$(stat -c '%a' "$d") & 1 ))" = 0 ]; then
      log "chmod o+x $d (so '$OS_USER' can traverse it)"
      chmod o+x "$d"
    fi
    [ "$d" = / ] && break
    d="$(dirname "$d")"
  done
  runuser -u "$OS_USER" -- test -x "$target" || die "user '$OS_USER' still cannot reach $target"
}

# --- state -----------------------------------------------------------------------------------
load_state() {
  [ -f "$STATE" ] || return 1
  # shellcheck disable=SC1090
  . "$STATE"
}

postmaster_pid() { head -n1 "$PGDATA/postmaster.pid" 2>/dev/null; }

server_running() {
  [ -n "${PGDATA:-}" ] && [ -f "$PGDATA/postmaster.pid" ] || return 1
  # a killed postmaster can linger as a zombie until init reaps it; pg_ctl status counts that as alive
  local pid st; pid="$(postmaster_pid)"; [ -n "$pid" ] || return 1
  if [ -d /proc/self ]; then
    [ -r "/proc/$pid/stat" ] || return 1
    st="$(sed 's/.*) //' "/proc/$pid/stat" | cut -d' ' -f1)"
    [ "$st" != Z ] || return 1
  fi
  (cd / && as_pg "$BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1)
}

show_log_tail() {
  if [ -n "${RUN_DIR:-}" ] && [ -f "$RUN_DIR/server.log" ]; then
    log "last lines of $RUN_DIR/server.log:"
    tail -n 25 "$RUN_DIR/server.log" >&2 || true
  fi
}

kill_leftover() {
  # Stop whatever is left of a previous server for this state (stale or half-started).
  if server_running; then
    (cd / && as_pg "$BIN/pg_ctl" -D "$PGDATA" -w -t 30 -m fast stop >/dev/null 2>&1) \
      || (cd / && as_pg "$BIN/pg_ctl" -D "$PGDATA" -w -t 10 -m immediate stop >/dev/null 2>&1) \
      || { local pid; pid="$(postmaster_pid || true)";
           [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; }
  fi
}

cleanup_state() {
  if [ -n "${RUN_DIR:-}" ] && [ -d "$RUN_DIR" ]; then
    case "$RUN_DIR" in */csv-sorter-pg.*) rm -rf "$RUN_DIR" ;; *) log "not removing unexpected dir $RUN_DIR" ;; esac
  fi
  rm -f "$STATE"
}

psql_admin() { # superuser over the unix socket (trust), as the invoking user
  "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$RUN_DIR" -p "$PORT" -U postgres "$@"
}

# --- subcommands -----------------------------------------------------------------------------
cmd_start() {
  local t0=$SECONDS
  take_lock
  if load_state; then
    if server_running; then
      log "already running on 127.0.0.1:$PORT (data: $PGDATA)"
      url; return 0
    fi
    log "found stale state for port $PORT; cleaning it up"
    kill_leftover; cleanup_state
  fi
  port_in_use "$PORT" && die "127.0.0.1:$PORT is already in use by another program (set PGTEST_PORT)"

  ensure_install
  BIN="$PKG_DIR/pginstall/bin"
  if is_root; then
    command -v runuser >/dev/null || die "runuser (util-linux) is needed when running as root"
    ensure_os_user
    ensure_traversable "$BIN/postgres"
  fi

  local tmp="${TMPDIR:-/tmp}"
  [ ${#tmp} -le 60 ] || tmp=/tmp   # unix socket paths must stay short (< 108 bytes)
  RUN_DIR="$(mktemp -d "$tmp/csv-sorter-pg.XXXXXX")"
  PGDATA="$RUN_DIR/data"
  cat > "$STATE" <<EOF
RUN_DIR='$RUN_DIR'
PGDATA='$PGDATA'
BIN='$BIN'
EOF
  if is_root; then
    chown "$OS_USER:" "$RUN_DIR"
    ensure_traversable "$RUN_DIR"
  fi
  chmod 700 "$RUN_DIR"

  local loc="${PGTEST_LOCALE:-}"
  if [ -z "$loc" ]; then
    if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then loc=C.UTF-8; else loc=C; fi
  fi
  log "initdb in $PGDATA (locale $loc)"
  if ! (cd "$RUN_DIR" && as_pg "$BIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale="$loc" \
          --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$RUN_DIR/initdb.log" 2>&1); then
    cat "$RUN_DIR/initdb.log" >&2; cleanup_state; die "initdb failed"
  fi

  {
    echo ""
    echo "# --- pg_test_server.sh ---"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PORT"
    echo "unix_socket_directories = '$RUN_DIR'"
    echo "max_connections = 200"
    if [ "${PGTEST_DURABLE:-0}" != 1 ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >> "$PGDATA/postgresql.conf"

  log "starting postgres on 127.0.0.1:$PORT"
  if ! (cd "$RUN_DIR" && as_pg "$BIN/pg_ctl" -D "$PGDATA" -l "$RUN_DIR/server.log" -w -t 60 start >/dev/null); then
    show_log_tail; kill_leftover; cleanup_state; die "server failed to start"
  fi

  if ! psql_admin -d postgres -v u="$DB_USER" -v p="$DB_PASS" -v d="$DB_NAME" \
        -v su="$([ "${PGTEST_SUPERUSER:-1}" = 1 ] && echo SUPERUSER || echo NOSUPERUSER)" <<'SQL'
CREATE ROLE :"u" LOGIN CREATEDB :su PASSWORD :'p';
CREATE DATABASE :"d" OWNER :"u";
\c :"d"
CREATE EXTENSION IF NOT EXISTS vector;
SQL
  then
    show_log_tail; kill_leftover; cleanup_state; die "creating role/database/extension failed"
  fi

  # prove it over TCP with the password, exactly as a client would connect
  local v
  if ! v="$("$BIN/psql" -X -At -v ON_ERROR_STOP=1 "$(url)" \
        -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'" \
        -c "SELECT '[1,2,3]'::vector <=> '[1,2,3]'::vector" 2>&1)"; then
    printf '%s\n' "$v" >&2; show_log_tail; kill_leftover; cleanup_state; die "TCP/password check failed"
  fi
  log "ready in $((SECONDS - t0))s: $("$BIN/postgres" --version | sed 's/.*) //') + pgvector $(head -n1 <<<"$v"), data $PGDATA, log $RUN_DIR/server.log"
  url
}

cmd_stop() {
  take_lock
  if ! load_state; then
    log "no server recorded for port $PORT; nothing to stop"
    return 0
  fi
  if server_running; then
    log "stopping postgres on 127.0.0.1:$PORT"
    kill_leftover
  else
    log "server for port $PORT was not running; cleaning up"
  fi
  cleanup_state
  log "stopped; removed $RUN_DIR"
}

cmd_restart() {
  local mode="${1:-fast}" down="${2:-0}"
  case "$mode" in fast|immediate|smart) ;; *) die "restart mode must be fast, immediate or smart" ;; esac
  [[ "$down" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "restart DOWN_SECONDS must be a number of seconds, not '$down'"
  take_lock
  load_state || die "no server recorded for port $PORT; run start first"
  server_running || die "server for port $PORT is not running; run start"
  if [ "$down" != 0 ]; then
    # An outage clients can notice: connections are refused for DOWN_SECONDS, then the server returns
    # with the same data (crash recovery first with -m immediate).
    log "stopping (-m $mode) for ${down}s"
    (cd "$RUN_DIR" && as_pg "$BIN/pg_ctl" -D "$PGDATA" -w -t 60 -m "$mode" stop >/dev/null) \
      || { show_log_tail; die "stop failed"; }
    sleep "$down"
    (cd "$RUN_DIR" && as_pg "$BIN/pg_ctl" -D "$PGDATA" -l "$RUN_DIR/server.log" -w -t 60 start >/dev/null) \
      || { show_log_tail; die "start after the outage failed"; }
    log "restarted after ${down}s down"
    return 0
  fi
  log "restarting (-m $mode)"
  # -l keeps the log in the file; without it the new postmaster would inherit our stdout/stderr
  if ! (cd "$RUN_DIR" && as_pg "$BIN/pg_ctl" -D "$PGDATA" -l "$RUN_DIR/server.log" -w -t 60 -m "$mode" restart >/dev/null); then
    show_log_tail; die "restart failed"
  fi
  log "restarted"
}

cmd_url() {
  if load_state && server_running; then url; return 0; fi
  die "no server running on port $PORT; run: $0 start"
}

cmd_status() {
  if load_state && server_running; then
    log "running on 127.0.0.1:$PORT (data: $PGDATA)"; url; return 0
  fi
  log "not running on port $PORT"; return 3
}

case "${1:-}" in
  start)   cmd_start ;;
  stop)    cmd_stop ;;
  restart) shift; cmd_restart "$@" ;;
  url)     cmd_url ;;
  status)  cmd_status ;;
  -h|--help|help) usage ;;
  *) usage; exit 2 ;;
esac
