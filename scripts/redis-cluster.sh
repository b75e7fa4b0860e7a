#!/usr/bin/env bash
# A local Redis Cluster for development and tests: 3 masters + 3 replicas of Debian's
# redis-server in cluster mode on 127.0.0.1, ports BASE..BASE+5 (default 7100-7105).
#
# Usage: redis-cluster.sh up|down|status
#   up      Starts the six instances (installing redis-server when missing), creates the
#           cluster when it does not exist yet, waits for cluster_state:ok. Idempotent.
#           Last line: REDIS_CLUSTER_URL=redis://127.0.0.1:BASE,redis://127.0.0.1:BASE+1,...
#   down    Stops the instances this script started and deletes their state.
#   status  Prints CLUSTER INFO's state and the slot map.
#
# Nothing is persisted (--save "" --appendonly no): like scripts/redis.sh, this is for
# throwaway data. Env: REDIS_CLUSTER_BASE_PORT (default 7100).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE="${REDIS_CLUSTER_BASE_PORT:-7100}"
STATE_DIR="$REPO_DIR/.cache/redis-cluster-$BASE"
PORTS=()
for i in 0 1 2 3 4 5; do PORTS+=("$((BASE + i))"); done

log() { echo "redis-cluster.sh: $*"; }
die() { echo "redis-cluster.sh: ERROR: $*" >&2; exit 1; }

ensure_redis() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return 0
  log "redis-server not found; installing Debian's redis-server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q
  apt-get -o DPkg::Lock::Timeout=600 install -y -q redis-server
}

ping() { [[ "$(timeout 3 redis-cli -p "$1" ping 2>/dev/null)" == PONG ]]; }
cluster_ok() { timeout 3 redis-cli -p "$BASE" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }

urls() {
  local out=() p
  for p in "${PORTS[@]:0:3}"; do out+=("redis://127.0.0.1:$p"); done
  (IFS=,; echo "${out[*]}")
}

cmd_up() {
  ensure_redis
  mkdir -p "$STATE_DIR"
  [[ -f "$REPO_DIR/.cache/.gitignore" ]] || echo '*' > "$REPO_DIR/.cache/.gitignore"
  local p
  for p in "${PORTS[@]}"; do
    if ping "$p"; then continue; fi
    # Start clean: a stale nodes.conf from an earlier run would make the node rejoin a
    # cluster that no longer exists, and a replica's dump.rdb (written by its full sync
    # even with --save "") would be loaded, so `cluster create` refuses a non-empty node.
    rm -rf "${STATE_DIR:?}/$p"
    mkdir -p "$STATE_DIR/$p"
    redis-server --bind 127.0.0.1 --port "$p" --cluster-enabled yes \
      --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --save "" --appendonly no --daemonize yes --dir "$STATE_DIR/$p" \
      --pidfile "$STATE_DIR/$p/redis.pid" --logfile "$STATE_DIR/$p/redis.log"
  done
  for p in "${PORTS[@]}"; do
    for _ in $(seq 100); do ping "$p" && break; sleep 0.1; done
    ping "$p" || die "redis-server on $p did not answer PING (log: $STATE_DIR/$p/redis.log)"
  done
  if ! cluster_ok; then
    local known
    known="$(redis-cli -p "$BASE" cluster info | sed -n 's/^cluster_known_nodes:\([0-9]*\).*/\1/p')"
    if [[ "${known:-1}" -le 1 ]]; then
      log "creating the cluster (3 masters, 1 replica each)"
      local addrs=()
      for p in "${PORTS[@]}"; do addrs+=("127.0.0.1:$p"); done
      redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$STATE_DIR/create.log" 2>&1 ||
        { cat "$STATE_DIR/create.log" >&2; die "cluster create failed"; }
    fi
    for _ in $(seq 300); do cluster_ok && break; sleep 0.1; done
    cluster_ok || die "cluster_state is not ok after 30 s"
  fi
  # Every node must agree before clients connect, or a client can hit a node that still
  # answers CLUSTERDOWN.
  for p in "${PORTS[@]}"; do
    for _ in $(seq 300); do
      timeout 3 redis-cli -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && break
      sleep 0.1
    done
  done
  log "Redis Cluster ready on 127.0.0.1:${PORTS[0]}-${PORTS[5]} ($(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'))"
  echo "REDIS_CLUSTER_URL=$(urls)"
}

cmd_down() {
  local p pid
  for p in "${PORTS[@]}"; do
    [[ -f "$STATE_DIR/$p/redis.pid" ]] || continue
    pid="$(cat "$STATE_DIR/$p/redis.pid")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
  done
  rm -rf "$STATE_DIR"
  log "stopped"
}

cmd_status() {
  redis-cli -p "$BASE" cluster info | grep -E '^cluster_(state|slots_ok|known_nodes|size)'
  # id, address, role, slot ranges of each node
  redis-cli -p "$BASE" cluster nodes | awk '{ printf "%s %s %s", substr($1, 1, 8), $2, $3; for (i = 9; i <= NF; i++) printf " %s", $i; print "" }'
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
