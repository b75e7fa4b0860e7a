#!/usr/bin/env bash
# A three-node Parley cluster from local processes, the no-Docker twin of docker-compose.yml:
# Redis + Cassandra (reused when running), migrations, nodes on 127.0.0.1:3101-3103 and
# HAProxy on 127.0.0.1:3100 (installed from Debian's packages when missing).
#   local-cluster.sh up [NODES]   start (default 3 nodes); idempotent per node
#   local-cluster.sh down         stop the nodes and HAProxy (services stay up)
#   local-cluster.sh status
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
STATE=.cache/cluster
LB_PORT=${LB_PORT:-3100}
mkdir -p "$STATE"

alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

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
  npm run --silent migrate
  local servers=""
  for i in $(seq 1 "$count"); do
    local port=$((LB_PORT + i))
    servers+="    server node$i 127.0.0.1:$port check cookie node$i inter 2s fall 2 rise 1"$'\n'
    if alive "$STATE/node$i.pid"; then echo "node$i already running on :$port"; continue; fi
    NODE_ID=node$i PORT=$port HOST=127.0.0.1 TRUST_PROXY_HOPS=1 \
      setsid nohup node --import tsx server/src/main.ts >"$STATE/node$i.log" 2>&1 &
    echo $! >"$STATE/node$i.pid"
    echo "node$i starting on :$port (log $STATE/node$i.log)"
  done
  command -v haproxy >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }
  LB_PORT=$LB_PORT SERVERS="$servers" envsubst <ops/haproxy.cfg.template >"$STATE/haproxy.cfg"
  if alive "$STATE/haproxy.pid"; then kill "$(cat "$STATE/haproxy.pid")"; fi
  haproxy -D -f "$STATE/haproxy.cfg" -p "$STATE/haproxy.pid"
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$LB_PORT/readyz" >/dev/null && { echo "cluster ready behind http://127.0.0.1:$LB_PORT"; return 0; }
    sleep 0.2
  done
  echo "cluster did not become ready; see $STATE/*.log" >&2
  return 1
}

down() {
  for pidfile in "$STATE"/node*.pid "$STATE"/haproxy.pid; do
    [[ -f "$pidfile" ]] || continue
    # SIGTERM: nodes drain (tell clients to reconnect, finish in-flight writes).
    alive "$pidfile" && kill "$(cat "$pidfile")" || true
    rm -f "$pidfile"
  done
  echo "cluster stopped"
}

status() {
  for pidfile in "$STATE"/node*.pid "$STATE"/haproxy.pid; do
    [[ -f "$pidfile" ]] || continue
    name=$(basename "$pidfile" .pid)
    if alive "$pidfile"; then echo "$name: running (pid $(cat "$pidfile"))"; else echo "$name: stopped"; fi
  done
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [NODES] | down | status" >&2; exit 2 ;;
esac
