import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A standalone Redis or a Redis Cluster: both run the same commands and scripts. */
export type RedisClient = Redis | Cluster;

export interface RedisTarget {
  url: string;
  /** Seed URLs of a Redis Cluster; absent for a standalone Redis. */
  clusterNodes?: string[];
}

/**
 * Opens a connection (standalone) or a slot-aware client (cluster). `sharded` marks the
 * client that subscribes to sharded pub/sub: on a cluster it must keep one subscriber
 * connection per shard (ioredis `shardedSubscribers`), since SSUBSCRIBE is served only
 * by the shard that owns the channel's slot.
 */
export function openRedis(
  target: RedisTarget,
  options: RedisOptions & { sharded?: boolean } = {},
): RedisClient {
  const { sharded = false, ...redisOptions } = options;
  if (!target.clusterNodes) return new Redis(target.url, redisOptions);
  const nodes = target.clusterNodes.map((u) => {
    const url = new URL(u);
    return { host: url.hostname, port: Number(url.port || 6379) };
  });
  const first = new URL(target.clusterNodes[0] ?? target.url);
  return new Cluster(nodes, {
    shardedSubscribers: sharded,
    enableAutoPipelining: redisOptions.enableAutoPipelining ?? false,
    redisOptions: {
      ...redisOptions,
      username: first.username || undefined,
      password: first.password ? decodeURIComponent(first.password) : undefined,
      tls: first.protocol === 'rediss:' ? {} : undefined,
    },
  });
}
