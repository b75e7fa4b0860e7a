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

/** How long a stopping node waits for Redis to answer QUIT before it just disconnects. */
export const REDIS_QUIT_TIMEOUT_MS = 1_000;

/**
 * Closes a client politely when Redis answers, at once when it does not. `quit` on a client
 * that is not connected waits in the offline queue through every reconnect attempt (about
 * 10 s with Redis down), which held a stopping node far beyond its drain budget; and there
 * is nothing to flush on a connection that is down.
 */
export async function closeRedis(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const answered = await Promise.race([
    client.quit().then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), REDIS_QUIT_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (!answered) client.disconnect();
}
