import { randomUUID } from 'node:crypto';
import type { LiveMetricsSnapshot } from '@parley/contract';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, signUp } from '../helpers/http-client';
import { call, collect, socketPool, type TestSocket } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/** What the web console needs beyond the original admin API, across two real nodes. */
describe('admin console API: listing, search, live metrics; /users lookup', () => {
  const cluster = createTestCluster();
  let a: TestNode;
  let b: TestNode;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let auth: Record<string, string>;
  const pool = socketPool();
  const live: TestSocket[] = [];

  function watch(node: TestNode, token: string) {
    const socket = io(`${node.url}/admin-live`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    }) as unknown as TestSocket;
    live.push(socket);
    return socket;
  }

  beforeAll(async () => {
    [a, b] = [await cluster.startNode(), await cluster.startNode()];
    admin = await signUp(a.url);
    await a.stores.users.setUserRoles(admin.user.id, ['admin', 'user']);
    auth = { authorization: `Bearer ${admin.accessToken}` };
  });
  afterAll(async () => {
    for (const s of live) s.close();
    pool.closeAll();
    await cluster.stopAll();
  });

  it('searches users by name substring and pages with a cursor; exact username lookup still works', async () => {
    const tag = randomUUID().slice(0, 6);
    const names = [`srch_${tag}_a`, `srch_${tag}_b`, `srch_${tag}_c`];
    for (const name of names) await signUp(b.url, name);
    const found: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `q=${tag}&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await get(`${a.url}/admin/users?${query}`, auth);
      expect(page.status).toBe(200);
      const users = page.body.users as { username: string; bannedAt: null | string }[];
      expect(users.length).toBeLessThanOrEqual(2);
      found.push(...users.map((u) => u.username));
      cursor = page.body.nextCursor as string | null;
    } while (cursor);
    expect(found.sort()).toEqual(names);
    const exact = await get(`${a.url}/admin/users?username=${names[1]?.toUpperCase()}`, auth);
    expect((exact.body.users as { username: string }[]).map((u) => u.username)).toEqual([names[1]]);
  });

  it('searches rooms by name, and refuses a bad cursor or limit with VALIDATION naming it', async () => {
    const owner = await signUp(b.url);
    const socket = await pool.open(b.url, owner.accessToken);
    const name = `lobby-${randomUUID().slice(0, 6)}`;
    const room = await call(socket, 'room:create', { name });
    const page = await get(`${a.url}/admin/rooms?q=${name.toUpperCase()}`, auth);
    expect(page.status).toBe(200);
    expect(page.body.rooms).toEqual([expect.objectContaining({ id: room.id, name })]);
    const byId = await get(`${a.url}/admin/rooms?q=${room.id}`, auth);
    expect((byId.body.rooms as { id: string }[]).map((r) => r.id)).toEqual([room.id]);
    for (const [query, field] of [
      ['cursor=nope', 'cursor'],
      ['limit=0', 'limit'],
      ['sort=name', 'sort'],
    ]) {
      const bad = await get(`${a.url}/admin/rooms?${query}`, auth);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'VALIDATION', issues: [{ path: field }] });
    }
  });

  it('/users gives signed-in users names for ids and an id for a name; anonymous gets 401', async () => {
    const user = await signUp(a.url);
    const other = await signUp(b.url);
    const headers = { authorization: `Bearer ${user.accessToken}` };
    const byIds = await get(`${b.url}/users?ids=${other.user.id},${randomUUID()}`, headers);
    expect(byIds.status).toBe(200);
    expect(byIds.body.users).toEqual([
      expect.objectContaining({ id: other.user.id, username: other.user.username }),
    ]);
    const byName = await get(`${b.url}/users?username=${other.user.username}`, headers);
    expect((byName.body.users as { id: string }[])[0]?.id).toBe(other.user.id);
    expect((await get(`${b.url}/users?ids=${other.user.id}`)).status).toBe(401);
    const neither = await get(`${b.url}/users`, headers);
    expect(neither.status).toBe(400);
    expect((await get(`${b.url}/users?ids=not-a-uuid`, headers)).status).toBe(400);
  });

  it('pushes live metrics to admins: both nodes, connections, deliveries and fan-out latency; refuses non-admins', async () => {
    const user = await signUp(b.url);
    const refused = watch(a, user.accessToken);
    const error = await new Promise<{ data?: { code?: string } }>((resolve) =>
      refused.once('connect_error', resolve),
    );
    expect(error.data?.code).toBe('FORBIDDEN');

    const feed = watch(a, admin.accessToken);
    const snapshots = collect(feed, 'metrics:updated');
    await snapshots.until((items) => items.some((s) => s.totals.nodes === 2));

    // Two members on different nodes; messages sent on B are delivered on A and B.
    const alice = await signUp(a.url);
    const bob = await signUp(b.url);
    const aliceSocket = await pool.open(a.url, alice.accessToken);
    const bobSocket = await pool.open(b.url, bob.accessToken);
    const room = await call(bobSocket, 'room:create', { name: 'live', memberIds: [alice.user.id] });
    await call(aliceSocket, 'room:join', { roomId: room.id });
    const seen = (s: LiveMetricsSnapshot) =>
      s.totals.deliveriesPerSecond > 0 && s.totals.fanoutLatencyMs.p99 !== null;
    const before = snapshots.items.length;
    for (let i = 0; i < 5; i++)
      await call(bobSocket, 'message:send', {
        roomId: room.id,
        clientMsgId: randomUUID(),
        body: `m${i}`,
      });
    const items = await snapshots.until((all) => all.slice(before).some(seen));
    const snapshot = items.slice(before).find(seen) as LiveMetricsSnapshot;
    expect(snapshot.totals.connections).toBeGreaterThanOrEqual(2);
    expect(snapshot.nodes.map((n) => n.nodeId).sort()).toEqual(
      [a.config.nodeId, b.config.nodeId].sort(),
    );
    expect(snapshot.totals.fanoutLatencyMs.p50).toBeLessThanOrEqual(
      snapshot.totals.fanoutLatencyMs.p99 as number,
    );
  });
});
