#!/usr/bin/env bash
# The Redis-backed integration tests against a local Redis Cluster (3 masters + 3
# replicas, scripts/redis-cluster.sh) instead of a single Redis:
#
#   npm run test:redis-cluster                  # every integration/contract test file
#   npm run test:redis-cluster -- server/test/integration/messaging-cluster.test.ts
#
# Cassandra is reused or started like `npm test` does (PARLEY_TEST_CASSANDRA, or
# cassandra/launcher/cassandra.sh up). Tests that restart Redis start their own standalone
# redis-server as always. The cluster is left running; `bash scripts/redis-cluster.sh down`
# stops it. REDIS_CLUSTER_BASE_PORT moves it off 7100-7105.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cluster_out=$(bash scripts/redis-cluster.sh up 2>&1) || { echo "$cluster_out"; exit 1; }
echo "$cluster_out" | sed 's/^/[redis-cluster] /'
if [[ -z "${PARLEY_TEST_CASSANDRA:-}" ]]; then
  bash cassandra/launcher/cassandra.sh up 2>&1 | sed -u 's/^/[cassandra] /'
  export PARLEY_TEST_CASSANDRA="127.0.0.1:${CASSANDRA_PORT:-9042}"
fi
export PARLEY_TEST_REDIS_CLUSTER_NODES="${cluster_out##*REDIS_CLUSTER_URL=}"
# Still required by the suite's service check; every node and Redis client in the tests
# uses the cluster when PARLEY_TEST_REDIS_CLUSTER_NODES is set.
export PARLEY_TEST_REDIS_URL="${PARLEY_TEST_REDIS_CLUSTER_NODES%%,*}"
echo "== vitest --project integration (Redis Cluster $PARLEY_TEST_REDIS_CLUSTER_NODES, Cassandra $PARLEY_TEST_CASSANDRA)"
npx vitest run --project integration "$@"
