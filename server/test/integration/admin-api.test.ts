import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { del, get, post, signUp } from '../helpers/http-client';
import { call, collect, connect, socketPool } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/** Two nodes, real Redis + Cassandra: the admin API acting across the cluster. */
describe('admin API across two nodes', () => {
  const cluster = createTestCluster();
  let a: TestNode;
  let b: TestNode;
  let admin: Awaited<ReturnType<typeof signUp>>;
  let auth: Record<string, string>;
  const pool = socketPool();
  const open = pool.open;

  beforeAll(async () => {
    [a, b] = [await cluster.startNode(), await cluster.startNode()];
    admin = await signUp(a.url);
    // How an operator makes an admin (npm run admin:create promotes through the store).
    await a.stores.users.setUserRoles(admin.user.id, ['admin', 'user']);
    auth = { authorization: `Bearer ${admin.accessToken}` };
  });
  afterAll(async () => {
    pool.closeAll();
    await cluster.stopAll();
  });

  it('answers 401 without a token and 403 FORBIDDEN to non-admins, as problem+json', async () => {
    const user = await signUp(b.url);
    const userAuth = { authorization: `Bearer ${user.accessToken}` };
    for (const path of ['/admin/overview', `/admin/users/${user.user.id}`, '/admin/audit']) {
      const anonymous = await get(`${a.url}${path}`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const forbidden = await get(`${b.url}${path}`, userAuth);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    }
    const ban = await post(`${a.url}/admin/users/${admin.user.id}/ban`, {}, userAuth);
    expect(ban.status).toBe(403);
    // Even a malformed request learns nothing before the role check.
    expect((await get(`${a.url}/admin/rooms/nope/messages?limit=x`, userAuth)).status).toBe(403);
  });

  it.each([
    ['limit=abc', 'limit'],
    ['limit=0', 'limit'],
    ['limit=1000', 'limit'],
    ['from=yesterday', 'from'],
    ['to=2024-13-01T00:00:00Z', 'to'],
    ['includeDeleted=yes', 'includeDeleted'],
    ['order=sideways', 'order'],
    ['senderId=42', 'senderId'],
    ['cursor=not-a-cursor', 'cursor'],
    ['limit=5&limit=6', 'limit'],
    ['colour=blue', 'colour'],
  ])('rejects the malformed query %s with 400 VALIDATION naming %s', async (qs, name) => {
    const room = randomUUID();
    const res = await get(`${a.url}/admin/rooms/${room}/messages?${qs}`, auth);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('VALIDATION');
    expect(res.body.detail).toContain(`"${name}"`);
    expect((res.body.issues as { path: string }[]).map((i) => i.path)).toContain(name);
  });

  it('rejects malformed path parameters with 400 naming them', async () => {
    const bad = await get(`${a.url}/admin/rooms/not-a-uuid`, auth);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('"roomId"');
    const badSeq = await del(`${a.url}/admin/rooms/${randomUUID()}/messages/-3`, auth);
    expect(badSeq.status).toBe(400);
    expect(badSeq.body.detail).toContain('"seq"');
    const badEscape = await get(`${a.url}/admin/users/%E0%A4%A`, auth);
    expect(badEscape.status).toBe(400);
    expect((await get(`${a.url}/admin/rooms/${randomUUID()}`, auth)).status).toBe(404);
  });

  it('deletes a message softly: members on the other node see message:deleted, admins still read it', async () => {
    const [alice, bob] = await Promise.all([signUp(a.url), signUp(b.url)]);
    const sa = await open(a.url, alice.accessToken);
    const sb = await open(b.url, bob.accessToken);
    const room = await call(sa, 'room:create', { name: 'moderated', memberIds: [bob.user.id] });
    const atBob = collect(sb, 'message:deleted');
    const sent = await call(sa, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'something regrettable',
    });
    const res = await del(`${a.url}/admin/rooms/${room.id}/messages/${sent.seq}`, auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ seq: sent.seq, deleted: true, body: '' });
    const [event] = await atBob.until((items) => items.length >= 1);
    expect(event).toMatchObject({ roomId: room.id, seq: sent.seq, deleted: true, body: '' });

    const visible = await get(`${b.url}/admin/rooms/${room.id}/messages`, auth);
    expect(visible.body.messages).toEqual([]);
    const withDeleted = await get(
      `${b.url}/admin/rooms/${room.id}/messages?includeDeleted=true`,
      auth,
    );
    expect(withDeleted.body.messages).toMatchObject([
      { seq: sent.seq, deleted: true, body: 'something regrettable' },
    ]);
    const mine = await get(
      `${b.url}/admin/users/${alice.user.id}/messages?includeDeleted=true`,
      auth,
    );
    expect(mine.body.messages).toMatchObject([{ id: sent.id, deleted: true }]);
    expect((await del(`${a.url}/admin/rooms/${room.id}/messages/999`, auth)).status).toBe(404);
  });

  it("bans through node A, disconnecting the user's socket on node B; login refused; unban restores", async () => {
    const mallory = await signUp(b.url);
    const socket = await open(b.url, mallory.accessToken);
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const res = await post(`${a.url}/admin/users/${mallory.user.id}/ban`, { reason: 'spam' }, auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ userId: mallory.user.id });
    expect(await disconnected).toBe('io server disconnect');

    const login = await post(`${b.url}/auth/login`, {
      username: mallory.user.username,
      password: mallory.password,
    });
    expect(login.status).toBe(403);
    await expect(connect(a.url, mallory.accessToken)).rejects.toThrow();
    const looked = await get(`${b.url}/admin/users/${mallory.user.id}`, auth);
    expect(looked.body.user).toMatchObject({ id: mallory.user.id });
    expect(typeof (looked.body.user as { bannedAt: unknown }).bannedAt).toBe('string');

    expect((await del(`${b.url}/admin/users/${mallory.user.id}/ban`, auth)).status).toBe(200);
    const again = await post(`${b.url}/auth/login`, {
      username: mallory.user.username,
      password: mallory.password,
    });
    expect(again.status).toBe(200);
    expect((await post(`${a.url}/admin/users/${admin.user.id}/ban`, {}, auth)).status).toBe(409);

    const audit = await get(`${b.url}/admin/audit?limit=100`, auth);
    const entries = audit.body.entries as { action: string; targetId: string; actorId: string }[];
    const mine = entries.filter((e) => e.targetId === mallory.user.id).map((e) => e.action);
    expect(mine).toEqual(expect.arrayContaining(['user.ban', 'user.unban']));
    expect(entries.find((e) => e.action === 'user.ban')?.actorId).toBe(admin.user.id);
  });

  it('kicks a member from a room on every node: member:left, no more messages, membership gone', async () => {
    const [owner, carl, wendy] = await Promise.all([signUp(a.url), signUp(b.url), signUp(b.url)]);
    const so = await open(a.url, owner.accessToken);
    const sc = await open(b.url, carl.accessToken);
    // A witness on Carl's node: once she has a broadcast, Carl would have had it too.
    const sw = await open(b.url, wendy.accessToken);
    const room = await call(so, 'room:create', {
      name: 'kick',
      memberIds: [carl.user.id, wendy.user.id],
    });
    const left = collect(sc, 'member:left');
    const leftAtOwner = collect(so, 'member:left');
    const res = await del(`${a.url}/admin/rooms/${room.id}/members/${carl.user.id}`, auth);
    expect(res.status).toBe(200);
    await left.until((items) => items.length >= 1);
    await leftAtOwner.until((items) => items.length >= 1);
    expect(left.items[0]).toEqual({ roomId: room.id, userId: carl.user.id });

    const created = collect(sc, 'message:created');
    const atWendy = collect(sw, 'message:created');
    await call(so, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body: 'bye' });
    const detail = await get(`${b.url}/admin/rooms/${room.id}`, auth);
    expect((detail.body.members as { userId: string }[]).map((m) => m.userId).sort()).toEqual(
      [owner.user.id, wendy.user.id].sort(),
    );
    expect(detail.body.lastSeq).toBe(1);
    await atWendy.until((items) => items.length >= 1);
    expect(created.items).toEqual([]);
    expect(
      (await del(`${a.url}/admin/rooms/${room.id}/members/${carl.user.id}`, auth)).status,
    ).toBe(404);
  });

  it('looks users up by username and id', async () => {
    const dora = await signUp(a.url);
    const found = await get(
      `${b.url}/admin/users?username=${dora.user.username.toUpperCase()}`,
      auth,
    );
    expect(found.status).toBe(200);
    expect(found.body.users).toMatchObject([{ id: dora.user.id, bannedAt: null }]);
    const none = await get(`${b.url}/admin/users?username=nobody_${Date.now()}`, auth);
    expect(none.body.users).toEqual([]);
    // Without a username it is the console's listing (admin-console-api.test.ts).
    const listing = await get(`${b.url}/admin/users?q=${dora.user.username}`, auth);
    expect(listing.body.users).toMatchObject([{ id: dora.user.id }]);
    expect((await get(`${b.url}/admin/users?username=`, auth)).status).toBe(400);
  });

  it('gathers the overview from both nodes', async () => {
    const eve = await signUp(a.url);
    await open(a.url, eve.accessToken);
    await open(b.url, eve.accessToken);
    const res = await get(`${a.url}/admin/overview`, auth);
    expect(res.status).toBe(200);
    const body = res.body as {
      nodes: { nodeId: string; connections: number }[];
      expectedNodes: number;
      answeredNodes: number;
      partial: boolean;
      totals: { connections: number; onlineUsers: number; messagesPerSecond: number };
    };
    expect(body.nodes.map((n) => n.nodeId).sort()).toEqual(
      [a.config.nodeId, b.config.nodeId].sort(),
    );
    expect(body).toMatchObject({ expectedNodes: 2, answeredNodes: 2, partial: false });
    const local = a.app.io.of('/').sockets.size + b.app.io.of('/').sockets.size;
    expect(body.totals.connections).toBe(local);
    expect(body.totals.onlineUsers).toBeGreaterThanOrEqual(1);
    expect(body.totals.messagesPerSecond).toBeGreaterThanOrEqual(0);
  });
});
