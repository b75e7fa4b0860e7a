#!/usr/bin/env bash
# Start the backing services Parley's tests need: Cassandra on 127.0.0.1:9042
# and Redis (see scripts/redis.sh). Both are idempotent, so this is safe to run
# before every test run. Cassandra is slow to start, so it starts in the
# background while Redis comes up, then we wait for both.
# Output lines are prefixed [cassandra] / [redis]; the last Redis line is
# REDIS_URL=... for the caller.
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

( bash "$REPO_DIR/cassandra/launcher/cassandra.sh" up 2>&1 | sed -u 's/^/[cassandra] /' ) &
cassandra_job=$!

redis_status=0
bash "$REPO_DIR/scripts/redis.sh" up 2>&1 | sed -u 's/^/[redis] /' || redis_status=$?

cassandra_status=0
wait "$cassandra_job" || cassandra_status=$?

if (( redis_status != 0 || cassandra_status != 0 )); then
  echo "services-up: FAILED (cassandra exit $cassandra_status, redis exit $redis_status)" >&2
  exit 1
fi
echo "services-up: Cassandra and Redis are ready"
