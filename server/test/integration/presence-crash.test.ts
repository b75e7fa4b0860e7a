import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/http-client';
import { hasStatus, spawnNodeProcess, statusesOf } from '../helpers/presence-helpers';
import { call, collect, connect, type TestSocket } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

const TTL_SECONDS = 3;

describe('presence when a node process is killed with SIGKILL', () => {
  const cluster = createTestCluster({
    PRESENCE_TTL_SECONDS: String(TTL_SECONDS),
    PRESENCE_GRACE_MS: '300',
  });
  let nodes: TestNode[];
  let victim: Awaited<ReturnType<typeof spawnNodeProcess>> | undefined;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    nodes = [await cluster.startNode(), await cluster.startNode()];
    victim = await spawnNodeProcess(
      cluster.nodeEnv({
        NODE_ID: 'victim',
        LOG_LEVEL: 'info',
        PRESENCE_TTL_SECONDS: String(TTL_SECONDS),
        PRESENCE_GRACE_MS: '300',
      }),
    );
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    victim?.kill('SIGKILL');
    await cluster.stopAll();
  });

  it(`marks the dead node's users offline within PRESENCE_TTL_SECONDS=${TTL_SECONDS}`, async () => {
    const [A, B] = nodes as [TestNode, TestNode];
    const [lonely, roaming, watcher] = await Promise.all([
      signUp(A.url),
      signUp(A.url),
      signUp(B.url),
    ]);
    const w = await connect(B.url, watcher.accessToken);
    sockets.push(w);
    const room = await call(w, 'room:create', {
      name: 'crash',
      memberIds: [lonely.user.id, roaming.user.id],
    });
    await call(w, 'history:fetch', { roomId: room.id });
    const seen = collect(w, 'presence:changed');

    // `lonely` is only on the victim; `roaming` is on the victim and on node A.
    const onVictim = await Promise.all(
      [lonely, roaming].map((u) => connect(victim!.url, u.accessToken)),
    );
    sockets.push(...onVictim, await connect(A.url, roaming.accessToken));
    await seen.until(hasStatus(lonely.user.id, 'online'));
    await seen.until(hasStatus(roaming.user.id, 'online'));

    const killedAt = Date.now();
    victim!.kill('SIGKILL');
    expect(await victim!.exited).toBe('SIGKILL');
    await seen.until(hasStatus(lonely.user.id, 'offline'), TTL_SECONDS * 1000 + 5_000);
    const elapsed = Date.now() - killedAt;
    console.log(
      `[presence-crash] SIGKILL → presence:changed offline at a watcher on another node: ${elapsed} ms (PRESENCE_TTL_SECONDS=${TTL_SECONDS}, bound ${TTL_SECONDS * 1000} ms)`,
    );
    expect(elapsed).toBeLessThanOrEqual(TTL_SECONDS * 1000);

    const offline = seen.items.find((e) => e.userId === lonely.user.id && e.status === 'offline')!;
    // Last seen = the dead node's last heartbeat, at most a heartbeat period before the kill.
    expect(Date.parse(offline.lastSeenAt!)).toBeLessThanOrEqual(killedAt);
    expect(Date.parse(offline.lastSeenAt!)).toBeGreaterThan(
      killedAt - (TTL_SECONDS * 1000) / 4 - 500,
    );
    expect(statusesOf(seen.items, roaming.user.id)).toEqual(['online']);
    expect(await call(w, 'presence:query', { userIds: [lonely.user.id, roaming.user.id] })).toEqual(
      [
        { userId: lonely.user.id, status: 'offline', lastSeenAt: offline.lastSeenAt },
        { userId: roaming.user.id, status: 'online' },
      ],
    );
  });
});
