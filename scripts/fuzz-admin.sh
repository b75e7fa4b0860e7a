#!/usr/bin/env bash
# Schema-driven fuzzing of the admin REST API with Schemathesis (https://schemathesis.io).
#
# Starts one Parley node on real Redis + Cassandra (a reusable keyspace, migrated here),
# makes an admin with `npm run admin:create`, then lets Schemathesis generate requests
# from /openapi.json for every /admin operation and check the answers. Not part of
# `npm test` (it needs Python); CI covers the same ground with the fast-check property
# test in server/test/unit/admin-openapi.test.ts.
#
#   bash scripts/fuzz-admin.sh                       # 50 examples per operation
#   MAX_EXAMPLES=200 CHECKS=all bash scripts/fuzz-admin.sh
#
# Env: REDIS_URL (redis://127.0.0.1:6390), CASSANDRA_CONTACT_POINTS (127.0.0.1:9042),
# FUZZ_KEYSPACE (parley_fuzz), MAX_EXAMPLES (50), CHECKS (not_a_server_error,...).
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_DIR"

VENV="$REPO_DIR/.cache/fuzz-venv"
if [[ ! -x "$VENV/bin/schemathesis" ]]; then
  echo "[fuzz] installing schemathesis into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet schemathesis
fi

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6390}"
export CASSANDRA_CONTACT_POINTS="${CASSANDRA_CONTACT_POINTS:-127.0.0.1:9042}"
export CASSANDRA_KEYSPACE="${FUZZ_KEYSPACE:-parley_fuzz}"
export REDIS_KEY_PREFIX="fuzz$$:"
export NODE_ENV=development LOG_LEVEL="${LOG_LEVEL:-warn}" HOST=127.0.0.1
PORT="$(node -e 'const s=require("net").createServer().listen(0,()=>{console.log(s.address().port);s.close()})')"
export PORT
BASE="http://127.0.0.1:$PORT"
ADMIN_USER="fuzz_admin"
export PARLEY_ADMIN_PASSWORD="fuzz admin passphrase $CASSANDRA_KEYSPACE"

echo "[fuzz] migrating keyspace $CASSANDRA_KEYSPACE"
npm run --silent migrate >/dev/null
npm run --silent admin:create -- "$ADMIN_USER"

echo "[fuzz] starting a node on $BASE"
npm run --silent start >"$REPO_DIR/.cache/fuzz-node.log" 2>&1 &
NODE_PID=$!
cleanup() { kill "$NODE_PID" 2>/dev/null || true; wait "$NODE_PID" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf "$BASE/healthz" >/dev/null && break
  sleep 0.2
done

TOKEN="$(curl -sf -H 'content-type: application/json' \
  -d "{\"username\":\"$ADMIN_USER\",\"password\":\"$PARLEY_ADMIN_PASSWORD\"}" \
  "$BASE/auth/login" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).accessToken))')"

CHECKS="${CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection,ignored_auth}"
echo "[fuzz] schemathesis: checks=$CHECKS max-examples=${MAX_EXAMPLES:-50}"
STATUS=0
# Schemathesis keeps state in ./.schemathesis: run it from the git-ignored .cache/.
(cd "$REPO_DIR/.cache" && "$VENV/bin/schemathesis" run "$BASE/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --include-path-regex '^/admin' \
  --checks "$CHECKS" \
  --max-examples "${MAX_EXAMPLES:-50}" \
  --generation-deterministic \
  --report junit --report-dir "$REPO_DIR/.cache/fuzz-report" \
  "$@") || STATUS=$?
if grep -q '"level":50' "$REPO_DIR/.cache/fuzz-node.log"; then
  echo "[fuzz] the node logged errors:" >&2
  grep '"level":50' "$REPO_DIR/.cache/fuzz-node.log" | head -20 >&2
  exit 1
fi
exit "$STATUS"
