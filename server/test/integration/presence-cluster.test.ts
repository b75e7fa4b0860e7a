import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/http-client';
import { closeOnServer, hasStatus, statusesOf } from '../helpers/presence-helpers';
import { call, collect, connect, request, type TestSocket } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

const GRACE_MS = 300;

/** Three nodes, one real Redis, one real Cassandra. */
describe('presence across three nodes', () => {
  const cluster = createTestCluster({ PRESENCE_GRACE_MS: String(GRACE_MS) });
  let nodes: TestNode[];
  const sockets: TestSocket[] = [];
  const open = async (node: TestNode, token: string) => {
    const s = await connect(node.url, token);
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    nodes = [await cluster.startNode(), await cluster.startNode(), await cluster.startNode()];
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await cluster.stopAll();
  });

  it('keeps a user on two nodes online until both sockets close; watchers on other nodes see it', async () => {
    const [A, B, C] = nodes as [TestNode, TestNode, TestNode];
    const [alice, probe, watcher, watcher2] = await Promise.all(
      [A, B, C, B].map((n) => signUp(n.url)),
    );
    const w = await open(C, watcher!.accessToken);
    const room = await call(w, 'room:create', {
      name: 'presence',
      memberIds: [alice!.user.id, probe!.user.id, watcher2!.user.id],
    });
    const w2 = await open(B, watcher2!.accessToken);
    // history:fetch authorizes, which puts each watcher socket in the room channel for sure.
    await call(w, 'history:fetch', { roomId: room.id });
    await call(w2, 'history:fetch', { roomId: room.id });
    const seen = collect(w, 'presence:changed');
    const seen2 = collect(w2, 'presence:changed');
    const aliceId = alice!.user.id;

    const aliceOnA = await open(A, alice!.accessToken);
    await seen.until(hasStatus(aliceId, 'online'));
    await seen2.until(hasStatus(aliceId, 'online'));
    const aliceOnB = await open(B, alice!.accessToken); // second device, another node
    const probeOnA = await open(A, probe!.accessToken);
    await seen.until(hasStatus(probe!.user.id, 'online'));

    // Alice's device on A goes away. The probe leaves A afterwards: its offline event is
    // published by A after A has settled Alice's departure (same timers, same Redis link).
    await closeOnServer(A, aliceOnA);
    await closeOnServer(A, probeOnA);
    await seen.until(hasStatus(probe!.user.id, 'offline'));
    expect(statusesOf(seen.items, aliceId)).toEqual(['online']);
    expect(await call(w, 'presence:query', { userIds: [aliceId] })).toEqual([
      { userId: aliceId, status: 'online' },
    ]);

    // The last device closes: offline, after the grace period, with a last-seen time.
    const closedAt = Date.now();
    await closeOnServer(B, aliceOnB);
    await seen.until(hasStatus(aliceId, 'offline'));
    await seen2.until(hasStatus(aliceId, 'offline'));
    const offline = seen.items.find((e) => e.userId === aliceId && e.status === 'offline')!;
    console.log(
      `[presence-cluster] last socket closed → offline at the watcher in ${Date.now() - closedAt} ms (grace ${GRACE_MS} ms)`,
    );
    expect(statusesOf(seen.items, aliceId)).toEqual(['online', 'offline']);
    expect(statusesOf(seen2.items, aliceId)).toEqual(['online', 'offline']);
    expect(Date.parse(offline.lastSeenAt!)).toBeGreaterThanOrEqual(closedAt - 5);

    // Last-seen lives in Cassandra, so a query (from any node) and a Redis loss keep it.
    const stored = await C.stores.users.findUserById(aliceId);
    expect(stored?.lastSeenAt?.toISOString()).toBe(offline.lastSeenAt);
    const byRoom = await call(w2, 'presence:query', { roomId: room.id });
    expect(byRoom.find((p) => p.userId === aliceId)).toEqual({
      userId: aliceId,
      status: 'offline',
      lastSeenAt: offline.lastSeenAt,
    });
    expect(byRoom.find((p) => p.userId === watcher!.user.id)?.status).toBe('online');
    expect(byRoom).toHaveLength(4);
  });

  it('tells DM peers, across nodes', async () => {
    const [A, , C] = nodes as [TestNode, TestNode, TestNode];
    const [dana, erin] = await Promise.all([signUp(A.url), signUp(C.url)]);
    const d = await open(A, dana.accessToken);
    const dm = await call(d, 'dm:open', { userId: erin.user.id });
    await call(d, 'history:fetch', { roomId: dm.id });
    const seen = collect(d, 'presence:changed');
    const e = await open(C, erin.accessToken);
    await seen.until(hasStatus(erin.user.id, 'online'));
    await closeOnServer(C, e);
    await seen.until(hasStatus(erin.user.id, 'offline'));
    expect(statusesOf(seen.items, erin.user.id)).toEqual(['online', 'offline']);
  });

  it('guards presence:query: members only by room, bounded by ids', async () => {
    const [A, B] = nodes as [TestNode, TestNode];
    const [owner, outsider] = await Promise.all([signUp(A.url), signUp(B.url)]);
    const o = await open(A, owner.accessToken);
    const x = await open(B, outsider.accessToken);
    const room = await call(o, 'room:create', { name: 'private' });
    const forbidden = await request(x, 'presence:query', { roomId: room.id });
    expect(forbidden).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const tooMany = await request(x, 'presence:query', {
      userIds: Array.from({ length: 201 }, () => randomUUID()),
    });
    expect(tooMany).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    const both = await request(x, 'presence:query', { roomId: room.id, userIds: [owner.user.id] });
    expect(both).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    // Presence is visible only to users who share a room (PRESENCE_VISIBILITY=shared-room):
    // the outsider learns nothing about the owner or about an unknown id.
    expect(await call(x, 'presence:query', { userIds: [owner.user.id, randomUUID()] })).toEqual([]);
    await call(o, 'room:invite', { roomId: room.id, userIds: [outsider.user.id] });
    expect(await call(x, 'presence:query', { userIds: [owner.user.id, randomUUID()] })).toEqual([
      { userId: owner.user.id, status: 'online' },
    ]);
  });
});
