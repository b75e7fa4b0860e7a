import { afterAll, describe, expect, it } from 'vitest';
import { startOwnRedis } from '../helpers/own-redis';
import { createTestCluster } from '../helpers/start-node';

/**
 * The Socket.IO Redis adapter unsubscribes at close without handling the promise; with
 * Redis down, `quit` rejects the queued SUNSUBSCRIBE. That was an unhandled rejection
 * (seen first on Redis Cluster, where a node that closes before its cluster client is
 * ready hits the same path). And `quit` itself waited through every reconnect attempt:
 * such a node took about 10 s to stop, five times its drain budget.
 */
const DRAIN_TIMEOUT_MS = 2_000;
describe('a node shutting down while its Redis is down (private redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startOwnRedis>> | undefined;
  let cluster: ReturnType<typeof createTestCluster> | undefined;
  afterAll(async () => {
    await cluster?.stopAll();
    await redis?.stop();
  });

  it('drains and closes without an unhandled rejection, within its drain budget', async () => {
    redis = await startOwnRedis();
    cluster = createTestCluster({
      REDIS_URL: redis.url,
      DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
    });
    const node = await cluster.startNode();
    const rejections: unknown[] = [];
    let stoppedInMs = Number.NaN;
    const note = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', note);
    try {
      await redis.stop();
      // Let the subscriber notice the lost connection.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stopping = Date.now();
      await node.stop();
      stoppedInMs = Date.now() - stopping;
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      process.off('unhandledRejection', note);
    }
    expect(rejections.map((r) => (r instanceof Error ? r.message : String(r)))).toEqual([]);
    // Within its drain budget plus the Redis QUIT wait, not held by reconnect attempts.
    expect(stoppedInMs).toBeLessThan(DRAIN_TIMEOUT_MS + 2_000);
  }, 30_000);
});
