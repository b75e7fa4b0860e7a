import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/http-client';
import { startOwnRedis } from '../helpers/own-redis';
import { closeOnServer, hasStatus, statusesOf } from '../helpers/presence-helpers';
import { call, collect, connect, type TestSocket } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

describe('presence after a Redis restart (private redis-server, real Cassandra)', () => {
  let redis: Awaited<ReturnType<typeof startOwnRedis>>;
  let cluster: ReturnType<typeof createTestCluster>;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    // Default TTL (30 s): the rebuild must come from the reconnect, not from a heartbeat.
    cluster = createTestCluster({ REDIS_URL: redis.url, PRESENCE_GRACE_MS: '300' });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await cluster.stopAll();
    await redis.stop();
  });

  it('rebuilds presence from the live sockets of every node', async () => {
    const nodes = await Promise.all([0, 1, 2].map(() => cluster.startNode()));
    const [A, B, C] = nodes as [TestNode, TestNode, TestNode];
    const [alice, bob, watcher, probe] = await Promise.all([
      signUp(A.url),
      signUp(B.url),
      signUp(C.url),
      signUp(A.url),
    ]);
    const open = async (node: TestNode, token: string) => {
      const s = await connect(node.url, token);
      sockets.push(s);
      return s;
    };
    const w = await open(C, watcher.accessToken);
    const room = await call(w, 'room:create', {
      name: 'restart',
      memberIds: [alice.user.id, bob.user.id, probe.user.id],
    });
    await call(w, 'history:fetch', { roomId: room.id });
    const seen = collect(w, 'presence:changed');
    const aliceOnA = await open(A, alice.accessToken);
    const aliceOnB = await open(B, alice.accessToken);
    await open(B, bob.accessToken);
    const probeOnA = await open(A, probe.accessToken);
    await seen.until(hasStatus(bob.user.id, 'online'));
    const everyone = [alice.user.id, bob.user.id, watcher.user.id, probe.user.id];
    const allOnline = everyone.map((userId) => ({ userId, status: 'online' }));
    expect(await call(w, 'presence:query', { userIds: everyone })).toEqual(allOnline);

    // Every key is lost; the watcher's node tells its socket to resync when pub/sub is back.
    const synced = collect(w, 'sync:required');
    await redis.stop();
    const restartedAt = Date.now();
    await redis.start();
    await synced.until((items) => items.length >= 1);
    // Nothing tells a client "presence rebuilt"; a resyncing client re-queries, like this.
    let answer = await call(w, 'presence:query', { userIds: everyone }).catch(() => []);
    while (JSON.stringify(answer) !== JSON.stringify(allOnline)) {
      if (Date.now() - restartedAt > 15_000)
        throw new Error(`not rebuilt: ${JSON.stringify(answer)}`);
      await new Promise((r) => setTimeout(r, 50));
      answer = await call(w, 'presence:query', { userIds: everyone }).catch(() => []);
    }
    console.log(
      `[presence-redis-restart] presence rebuilt ${Date.now() - restartedAt} ms after redis-server came back`,
    );

    // The rebuilt registry still knows Alice is on two nodes: one close keeps her online.
    // The probe leaves A after her: its offline event means A has settled Alice's departure.
    await closeOnServer(A, aliceOnA);
    await closeOnServer(A, probeOnA);
    await seen.until(hasStatus(probe.user.id, 'offline'));
    expect(await call(w, 'presence:query', { userIds: [alice.user.id] })).toEqual([
      { userId: alice.user.id, status: 'online' },
    ]);
    await closeOnServer(B, aliceOnB);
    await seen.until(hasStatus(alice.user.id, 'offline'));
    expect(statusesOf(seen.items, alice.user.id)).toEqual(['online', 'offline']);
    expect(statusesOf(seen.items, bob.user.id)).toEqual(['online']);
    const after = await call(w, 'presence:query', { userIds: [alice.user.id, bob.user.id] });
    expect(after.map((p) => p.status)).toEqual(['offline', 'online']);
    expect(after[0]?.lastSeenAt).toBeDefined();
  });
});
