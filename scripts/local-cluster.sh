#!/usr/bin/env bash
# A three-node Parley cluster from local processes, the no-Docker twin of docker-compose.yml:
# Redis + Cassandra (reused when running), migrations, compiled nodes on 127.0.0.1:3101-3103,
# each under a supervisor loop that restarts it when it exits, and HAProxy on 127.0.0.1:3100
# (installed from Debian's packages when missing; server states at 127.0.0.1:3199/stats).
#   local-cluster.sh up [NODES]   build, start (default 3 nodes); idempotent per node
#   local-cluster.sh roll         rolling restart: SIGTERM each node in turn, the supervisor
#                                 starts it again (new code after `npm run build`), next one
#                                 only when HAProxy has it back
#   local-cluster.sh down         stop the nodes and HAProxy (services stay up)
#   local-cluster.sh status
# Logs: .cache/cluster/nodeN.log (current run) and nodeN.log.1 (the run before it),
# supervisor.log (exits and restarts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
STATE=.cache/cluster
LB_PORT=${LB_PORT:-3100}
STATS_PORT=${STATS_PORT:-$((LB_PORT + 99))}
# Longer than HAProxy needs to take a failing node out (~1.25 s, ops/haproxy.cfg.template).
export DRAIN_LB_DELAY_MS=${DRAIN_LB_DELAY_MS:-2000}
mkdir -p "$STATE"

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }
say() { echo "$(date -u +%FT%TZ) $*" >>"$STATE/supervisor.log"; }

# Runs one node forever: a crash (or a drain after SIGTERM) is followed by a fresh start,
# until `down` leaves a stop file. The previous run's log is kept as nodeN.log.1.
supervise() {
  local i=$1 port=$2 log="$STATE/node$1.log"
  while [[ ! -f "$STATE/node$i.stop" ]]; do
    [[ -f "$log" ]] && mv -f "$log" "$log.1"
    NODE_ID=node$i PORT=$port HOST=127.0.0.1 TRUST_PROXY_HOPS=1 node server/dist/main.js >"$log" 2>&1 &
    local child=$!
    echo "$child" >"$STATE/node$i.pid"
    say "node$i started (pid $child, port $port)"
    local code=0
    wait "$child" || code=$?
    [[ -f "$STATE/node$i.stop" ]] && break
    say "node$i exited with status $code; restarting in 1 s"
    sleep 1
  done
  rm -f "$STATE/node$i.pid" "$STATE/node$i.supervisor.pid"
}

server_state() {
  curl -fs "http://127.0.0.1:$STATS_PORT/stats;csv" | awk -F, -v s="$1" '$1 == "nodes" && $2 == s { print $18 }'
}

wait_up() {
  for _ in $(seq 1 150); do
    [[ "$(server_state "$1")" == "UP" ]] && return 0
    sleep 0.2
  done
  echo "$1 did not come back in HAProxy; see $STATE/$1.log" >&2
  return 1
}

up() {
  local count=${1:-3}
  bash scripts/services-up.sh
  export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6390}
  export CASSANDRA_CONTACT_POINTS=${CASSANDRA_CONTACT_POINTS:-127.0.0.1:9042}
  export CASSANDRA_KEYSPACE=${CASSANDRA_KEYSPACE:-parley_local}
  # One signing key for all nodes, kept out of the repo (in the git-ignored .cache).
  if [[ ! -f "$STATE/jwt.pem" ]]; then
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$STATE/jwt.pem" 2>/dev/null
  fi
  export JWT_PRIVATE_KEY="$(cat "$STATE/jwt.pem")"
  npm run --silent build >/dev/null
  node server/dist/migrate-cli.js
  local servers=""
  for i in $(seq 1 "$count"); do
    local port=$((LB_PORT + i))
    servers+="    server node$i 127.0.0.1:$port cookie node$i"$'\n'
    rm -f "$STATE/node$i.stop"
    if alive "$STATE/node$i.supervisor.pid"; then echo "node$i already running on :$port"; continue; fi
    setsid nohup bash "$0" supervise "$i" "$port" >/dev/null 2>&1 &
    echo $! >"$STATE/node$i.supervisor.pid"
    echo "node$i starting on :$port (log $STATE/node$i.log)"
  done
  command -v haproxy >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }
  LB_PORT=$LB_PORT STATS_PORT=$STATS_PORT SERVERS="$servers" envsubst '${LB_PORT} ${STATS_PORT} ${SERVERS}' \
    <ops/haproxy.cfg.template >"$STATE/haproxy.cfg"
  if alive "$STATE/haproxy.pid"; then kill "$(cat "$STATE/haproxy.pid")"; fi
  haproxy -D -f "$STATE/haproxy.cfg" -p "$STATE/haproxy.pid"
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$LB_PORT/readyz" >/dev/null && { echo "cluster ready behind http://127.0.0.1:$LB_PORT"; return 0; }
    sleep 0.2
  done
  echo "cluster did not become ready; see $STATE/*.log" >&2
  return 1
}

roll() {
  npm run --silent build >/dev/null
  for pidfile in "$STATE"/node*.supervisor.pid; do
    [[ -f "$pidfile" ]] || continue
    local name old
    name=$(basename "$pidfile" .supervisor.pid)
    old=$(cat "$STATE/$name.pid")
    echo "$name: SIGTERM (pid $old), waiting for its drain and restart"
    kill -TERM "$old"
    while kill -0 "$old" 2>/dev/null; do sleep 0.2; done
    wait_up "$name"
    echo "$name: back (pid $(cat "$STATE/$name.pid"))"
  done
}

down() {
  for pidfile in "$STATE"/node*.supervisor.pid; do
    [[ -f "$pidfile" ]] || continue
    local name
    name=$(basename "$pidfile" .supervisor.pid)
    touch "$STATE/$name.stop"
    # SIGTERM: the node drains (tells clients to move, finishes in-flight writes).
    alive "$STATE/$name.pid" && kill "$(cat "$STATE/$name.pid")" || true
  done
  for pidfile in "$STATE"/node*.supervisor.pid; do
    [[ -f "$pidfile" ]] || continue
    while alive "$pidfile"; do sleep 0.2; done
    rm -f "$pidfile"
  done
  alive "$STATE/haproxy.pid" && kill "$(cat "$STATE/haproxy.pid")" || true
  rm -f "$STATE/haproxy.pid"
  echo "cluster stopped"
}

status() {
  for pidfile in "$STATE"/node*.supervisor.pid "$STATE"/haproxy.pid; do
    [[ -f "$pidfile" ]] || continue
    name=$(basename "$pidfile" .pid)
    name=${name%.supervisor}
    if alive "$pidfile"; then
      local lb=""
      [[ $name == node* ]] && lb=", HAProxy: $(server_state "$name" || echo '?')"
      echo "$name: running$lb"
    else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  roll) roll ;;
  down) down ;;
  status) status ;;
  supervise) supervise "$2" "$3" ;;
  *) echo "usage: $0 up [NODES] | roll | down | status" >&2; exit 2 ;;
esac
