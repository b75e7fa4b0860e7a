import { Cluster } from 'ioredis';
import { openRedis, type RedisClient } from '../../src/cluster/redis-client';
import { testServices } from './services';

/** A client on the suite's Redis, standalone or Redis Cluster (test:redis-cluster). */
export function openTestRedis(): RedisClient {
  return openRedis(testServices().redisTarget);
}

/**
 * Deletes every key matching `pattern`. On Redis Cluster, KEYS answers for one node only,
 * so each master is asked, and keys are deleted one by one (they live in different slots).
 */
export async function deleteKeys(client: RedisClient, pattern: string) {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    const keys = await node.keys(pattern);
    await Promise.all(keys.map((k) => client.del(k)));
  }
}
