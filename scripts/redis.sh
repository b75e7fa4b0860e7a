#!/usr/bin/env bash
# Redis for Parley development and tests.
#
# Usage: redis.sh up|down
#   up    If $REDIS_URL is set and answers PING, use it. Otherwise start our
#         own throwaway instance (installing Debian's redis-server if needed)
#         on 127.0.0.1:${PARLEY_TEST_REDIS_PORT:-6390}. Idempotent. Prints
#         the REDIS_URL to use as the last line: REDIS_URL=redis://...
#   down  Stop the instance this script started (never a foreign one).
#
# Our instance keeps nothing on disk (--save "" --appendonly no): test data
# is throwaway, and tests restart Redis themselves when they need to.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="$REPO_DIR/.cache/redis"
PID_FILE="$STATE_DIR/redis.pid"
LOG_FILE="$STATE_DIR/redis.log"
PORT="${PARLEY_TEST_REDIS_PORT:-6390}"
OUR_URL="redis://127.0.0.1:$PORT"

log() { echo "redis.sh: $*"; }
die() { echo "redis.sh: ERROR: $*" >&2; exit 1; }

# True if the Redis at URL answers PING. Uses redis-cli when installed,
# otherwise a raw PING over bash's /dev/tcp (handles redis://[auth@]host:port).
ping_url() {
  local url="$1" hostport host port
  if command -v redis-cli >/dev/null; then
    [[ "$(timeout 3 redis-cli -u "$url" ping 2>/dev/null)" == PONG ]]
    return
  fi
  hostport="${url#*://}"; hostport="${hostport##*@}"; hostport="${hostport%%/*}"
  host="${hostport%:*}"; port="${hostport##*:}"
  [[ "$port" == "$hostport" ]] && port=6379
  timeout 3 bash -c '
    exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "PING\r\n" >&3
    IFS= read -r line <&3
    [[ "$line" == "+PONG"* ]]
  ' _ "$host" "$port" 2>/dev/null
}

# Pid of the instance we started, if alive.
our_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

install_redis() {
  log "redis-server not found; installing Debian's redis-server"
  # Another process may be running apt already; wait for it instead of
  # failing on the dpkg/apt locks.
  while pgrep -x apt-get >/dev/null || pgrep -x apt >/dev/null || pgrep -x dpkg >/dev/null; do
    log "waiting for another apt/dpkg to finish"
    sleep 5
  done
  command -v redis-server >/dev/null && return 0
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q redis-server
  # Debian's package may start a system instance on 6379; we do not use it.
}

cmd_up() {
  if [[ -n "${REDIS_URL:-}" ]]; then
    if ping_url "$REDIS_URL"; then
      log "using existing Redis at $REDIS_URL"
      echo "REDIS_URL=$REDIS_URL"
      return 0
    fi
    log "REDIS_URL=$REDIS_URL does not answer PING; starting our own instead"
  fi
  if ping_url "$OUR_URL"; then
    log "Redis already running on 127.0.0.1:$PORT"
    echo "REDIS_URL=$OUR_URL"
    return 0
  fi
  command -v redis-server >/dev/null || install_redis
  mkdir -p "$STATE_DIR"
  # Keep the state dir out of git without touching the repo's .gitignore.
  [[ -f "$REPO_DIR/.cache/.gitignore" ]] || echo '*' > "$REPO_DIR/.cache/.gitignore"
  redis-server --bind 127.0.0.1 --port "$PORT" \
    --save "" --appendonly no --daemonize yes \
    --dir "$STATE_DIR" --pidfile "$PID_FILE" --logfile "$LOG_FILE"
  for _ in $(seq 100); do
    if ping_url "$OUR_URL"; then
      log "Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') ready on 127.0.0.1:$PORT (pid $(cat "$PID_FILE" 2>/dev/null || echo '?'))"
      echo "REDIS_URL=$OUR_URL"
      return 0
    fi
    sleep 0.1
  done
  tail -n 30 "$LOG_FILE" >&2 || true
  die "Redis did not answer PING on 127.0.0.1:$PORT"
}

cmd_down() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$PID_FILE"
    log "Redis not running (nothing started by this script on port $PORT)"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$PID_FILE"
  log "Redis stopped (pid $pid)"
}

case "${1:-}" in
  up)   cmd_up ;;
  down) cmd_down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
