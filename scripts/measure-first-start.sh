#!/usr/bin/env bash
# How long the README's first command takes on a fresh checkout: clones this repository's
# HEAD into a temporary directory, runs `npm ci` with an EMPTY npm cache, then `npm start`,
# and stops the clock when the chat page is served and a user can register and sign in
# through the node (what the browser does first). Prints one line; removes what it made.
#   bash scripts/measure-first-start.sh [PORT]     (default port 17100)
set -euo pipefail
port="${1:-17100}"
repo="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
work="$(mktemp -d)"
cache="$work/npm-cache"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then kill -- -"$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
git clone -q "$repo" "$work/parley"
cd "$work/parley"
now() { date +%s.%N; }
t0=$(now)
npm ci --cache "$cache" > "$work/ci.log" 2>&1 || { tail -20 "$work/ci.log"; exit 1; }
t1=$(now)
# Its own process group, so the cleanup stops npm and the node it started.
PORT="$port" HOST=127.0.0.1 setsid npm start > "$work/start.log" 2>&1 &
pid=$!
until curl -sf "http://127.0.0.1:$port/" 2>/dev/null | grep -q '<title>Parley chat</title>'; do
  kill -0 "$pid" 2>/dev/null || { tail -20 "$work/start.log"; exit 1; }
  sleep 0.2
done
user="u$RANDOM$RANDOM"
body="{\"username\":\"$user\",\"password\":\"correct horse battery staple\"}"
curl -sf -X POST -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$port/auth/register" > /dev/null
curl -sf -X POST -H 'content-type: application/json' -d "$body" "http://127.0.0.1:$port/auth/login" | grep -q accessToken
t2=$(now)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
  printf "npm ci (empty cache) %.1f s; npm start to chat page + sign-up/sign-in %.1f s; total %.1f s (load average %s)\n", b - a, c - b, c - a, load
}'
