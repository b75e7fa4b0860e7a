/** Addresses of the real services that `npm test` started. Integration tests fail without them. */
export function testServices() {
  // PARLEY_TEST_REDIS_CLUSTER_NODES (comma-separated redis:// URLs) runs every Redis-backed
  // test against a Redis Cluster instead (npm run test:redis-cluster).
  const clusterNodes = process.env.PARLEY_TEST_REDIS_CLUSTER_NODES?.split(',').filter(Boolean);
  const redisUrl = clusterNodes?.[0] ?? process.env.PARLEY_TEST_REDIS_URL;
  const cassandra = process.env.PARLEY_TEST_CASSANDRA;
  if (!redisUrl || !cassandra) {
    throw new Error(
      'PARLEY_TEST_REDIS_URL and PARLEY_TEST_CASSANDRA are not set: run the suite with `npm test`, which starts real Redis and Cassandra',
    );
  }
  return {
    redisUrl,
    /** What openRedis() takes. */
    redisTarget: { url: redisUrl, clusterNodes },
    /** The node settings that point a node at this Redis (standalone or cluster). */
    redisEnv: (clusterNodes
      ? { REDIS_CLUSTER_NODES: clusterNodes.join(',') }
      : { REDIS_URL: redisUrl }) as Record<string, string>,
    cassandraContactPoints: cassandra.split(','),
  };
}

export function cassandraTestConfig(keyspace: string) {
  return {
    contactPoints: testServices().cassandraContactPoints,
    localDataCenter: 'datacenter1',
    keyspace,
    replication: { strategy: 'SimpleStrategy' as const, factor: 1 },
  };
}
