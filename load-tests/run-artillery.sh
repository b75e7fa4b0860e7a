#!/usr/bin/env bash
# Starts one embedded Parley node on 127.0.0.1 (free port), runs an Artillery scenario
# against it, writes the results to load-tests/reports/, and stops the node.
#
#   npm run load:artillery                       # artillery/chat.yml
#   npm run load:artillery -- --quiet            # extra flags go to `artillery run`
#   SCENARIO=artillery/other.yml npm run load:artillery
#   npm run load:artillery -- --target http://127.0.0.1:3100   # a running node/cluster:
#       no node is started. The before hook registers and logs in 200 users from one IP
#       (400 attempts), so the target must run with LOGIN_MAX_ATTEMPTS_PER_IP >= 400
#       (default 100 per 15 min), e.g. LOGIN_MAX_ATTEMPTS_PER_IP=1000 bash scripts/local-cluster.sh up
#
# Artillery 2 is NOT a dependency of the repo (it brings ~750 MB of node_modules and a
# Playwright browser download): npx fetches it on first use into the npm cache, with the
# browser download switched off.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
scenario="$here/${SCENARIO:-artillery/chat.yml}"
reports="$here/reports"
mkdir -p "$reports"
stamp="$(date -u +%Y-%m-%dT%H-%M-%SZ)"
node_log="$reports/$stamp-artillery-node.log"
json_out="$reports/$stamp-artillery.json"

# --target URL / --target=URL: use that server instead of starting one. Artillery refuses
# a second --target, so it is taken out of the pass-through flags.
target=""
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) [ $# -ge 2 ] || { echo "--target needs a URL" >&2; exit 2; }; target="$2"; shift 2 ;;
    --target=*) target="${1#--target=}"; shift ;;
    *) passthrough+=("$1"); shift ;;
  esac
done
set -- ${passthrough[@]+"${passthrough[@]}"}

if [ -n "$target" ]; then
  if ! [[ "$target" =~ ^https?://(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost)(:[0-9]+)?/?$ ]]; then
    echo "load tests only target loopback; refusing $target" >&2
    exit 2
  fi
  if ! curl -fsS -o /dev/null "${target%/}/healthz"; then
    echo "no Parley answering ${target%/}/healthz" >&2
    exit 1
  fi
  echo "target ${target} (not started by this script; it needs LOGIN_MAX_ATTEMPTS_PER_IP >= 400)"
  status=0
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ARTILLERY_DISABLE_TELEMETRY=true timeout 900 \
    npx --yes artillery@2 run --target "$target" --output "$json_out" "$scenario" "$@" || status=$?
  echo "artillery exit status ${status}; results: ${json_out#"$root"/}"
  exit "$status"
fi

cd "$root"
# Cheap argon2 so the before hook registers its user pool quickly (never in production);
# high login/send limits because every virtual user comes from 127.0.0.1.
env -u REDIS_URL -u CASSANDRA_CONTACT_POINTS \
  HOST=127.0.0.1 PORT=0 LOG_LEVEL=info NODE_ID=artillery \
  ARGON2_MEMORY_KIB=8192 ARGON2_TIME_COST=1 ARGON2_PARALLELISM=1 \
  LOGIN_MAX_ATTEMPTS_PER_IP=10000000 MESSAGES_PER_USER_PER_10S=100000 \
  node --import tsx server/src/main.ts >"$node_log" 2>&1 &
node_pid=$!

stop_node() {
  if kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$node_pid" 2>/dev/null || true
  fi
}
trap stop_node EXIT
trap 'exit 130' INT TERM

url=""
for _ in $(seq 1 600); do
  url="$(grep -o 'parley listening on http://127\.0\.0\.1:[0-9]*' "$node_log" | head -n1 | awk '{print $4}' || true)"
  [ -n "$url" ] && break
  if ! kill -0 "$node_pid" 2>/dev/null; then
    echo "the node exited before listening:" >&2
    cat "$node_log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "the node did not start within 60 s:" >&2
  cat "$node_log" >&2
  exit 1
fi
echo "node ${url} (pid ${node_pid}, log ${node_log#"$root"/})"

status=0
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 ARTILLERY_DISABLE_TELEMETRY=true timeout 900 \
  npx --yes artillery@2 run --target "$url" --output "$json_out" "$scenario" "$@" || status=$?

echo "artillery exit status ${status}; results: ${json_out#"$root"/}"
exit "$status"
