/** Addresses of the real services that `npm test` started. Integration tests fail without them. */
export function testServices() {
  const redisUrl = process.env.PARLEY_TEST_REDIS_URL;
  const cassandra = process.env.PARLEY_TEST_CASSANDRA;
  if (!redisUrl || !cassandra) {
    throw new Error(
      'PARLEY_TEST_REDIS_URL and PARLEY_TEST_CASSANDRA are not set: run the suite with `npm test`, which starts real Redis and Cassandra',
    );
  }
  return { redisUrl, cassandraContactPoints: cassandra.split(',') };
}

export function cassandraTestConfig(keyspace: string) {
  return {
    contactPoints: testServices().cassandraContactPoints,
    localDataCenter: 'datacenter1',
    keyspace,
    replication: { strategy: 'SimpleStrategy' as const, factor: 1 },
  };
}
