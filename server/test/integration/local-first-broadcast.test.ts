import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { userChannel } from '../../src/realtime/socket-types';
import { signUp } from '../helpers/http-client';
import { startOwnRedis } from '../helpers/own-redis';
import { connect, type TestSocket } from '../helpers/socket-client';
import { createTestCluster } from '../helpers/start-node';

const PAUSE_MS = 2_000;

/**
 * A broadcast reaches this node's own sockets without waiting for Redis: the sharded
 * adapter used to deliver locally only after Redis answered the SPUBLISH (one round trip
 * plus a loop turn per message). Redis is paused here (CLIENT PAUSE, a private
 * redis-server) so that wait shows as seconds, not milliseconds.
 */
describe('cluster engine, sharded adapter: local sockets first (private redis-server)', () => {
  let redis: Awaited<ReturnType<typeof startOwnRedis>> | undefined;
  let cluster: ReturnType<typeof createTestCluster> | undefined;
  let admin: Redis | undefined;
  const sockets: TestSocket[] = [];
  afterAll(async () => {
    for (const s of sockets) s.close();
    await cluster?.stopAll();
    admin?.disconnect();
    await redis?.stop();
  });

  it('delivers to sockets on the same node while Redis has not answered the publish', async () => {
    redis = await startOwnRedis();
    cluster = createTestCluster({ REDIS_URL: redis.url, REDIS_ADAPTER: 'sharded' });
    const here = await cluster.startNode();
    const there = await cluster.startNode();
    const user = await signUp(here.url);
    const local = await connect(here.url, user.accessToken);
    const remote = await connect(there.url, user.accessToken);
    sockets.push(local, remote);
    const arrival = (socket: TestSocket) =>
      new Promise<number>((resolve) => socket.once('room:removed', () => resolve(Date.now())));
    const gotLocal = arrival(local);
    const gotRemote = arrival(remote);

    admin = new Redis(redis.url);
    await admin.client('PAUSE', PAUSE_MS, 'ALL');
    const sentAt = Date.now();
    here.app.io
      .to(userChannel(user.user.id))
      .emit('room:removed', { roomId: 'probe', reason: 'left' });

    const [localAt, remoteAt] = await Promise.all([gotLocal, gotRemote]);
    // Before: both waited for the pause to end. Now only the other node does.
    expect(localAt - sentAt).toBeLessThan(PAUSE_MS / 2);
    expect(remoteAt - sentAt).toBeGreaterThanOrEqual(PAUSE_MS / 2);
  }, 30_000);
});
