#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (`npm test`, called by .ci/run):
# lint, typecheck, start real Redis + Cassandra when they are not running, then vitest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

echo "== lint (eslint + prettier)"
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "== typecheck"
npx tsc -p tsconfig.json --noEmit
npx tsc -p web/tsconfig.json --noEmit

echo "== browser (Debian's chromium for the web app tests; installed with apt-get when missing)"
( bash scripts/chromium.sh 2>&1 | sed -u 's/^/[chromium] /' ) &
chromium_job=$!

echo "== services (real Cassandra 5.0 + Redis; reused when already running)"
( bash cassandra/launcher/cassandra.sh up 2>&1 | sed -u 's/^/[cassandra] /' ) &
cassandra_job=$!
redis_out=$(bash scripts/redis.sh up 2>&1) || { echo "$redis_out"; exit 1; }
echo "$redis_out" | sed 's/^/[redis] /'
wait "$cassandra_job"
wait "$chromium_job"
echo "== build (client SDK + web app, when older than their sources)"
node scripts/ensure-web-build.mjs

export PARLEY_TEST_REDIS_URL="${redis_out##*REDIS_URL=}"
export PARLEY_TEST_CASSANDRA="${PARLEY_TEST_CASSANDRA:-127.0.0.1:${CASSANDRA_PORT:-9042}}"
echo "== vitest (Redis $PARLEY_TEST_REDIS_URL, Cassandra $PARLEY_TEST_CASSANDRA)"
mkdir -p .cache
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-report.json "$@" || status=$?
# One plain closing line that any CI reader understands.
node -e '
  const r = JSON.parse(require("fs").readFileSync(".cache/vitest-report.json", "utf8"));
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
