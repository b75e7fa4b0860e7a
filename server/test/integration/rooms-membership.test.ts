import { randomUUID } from 'node:crypto';
import type { RoomMember } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { del, signUp } from '../helpers/http-client';
import { call, collect, request, socketPool } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/**
 * Join policy, atomic membership changes and the "you were added / removed" signal, on three
 * nodes with real Redis and Cassandra (issue 12, defects 2, 4 and 5).
 */
describe('room membership across three nodes', () => {
  const cluster = createTestCluster();
  let nodes: TestNode[];
  const pool = socketPool();
  beforeAll(async () => {
    nodes = [await cluster.startNode(), await cluster.startNode(), await cluster.startNode()];
  });
  afterAll(async () => {
    pool.closeAll();
    await cluster.stopAll();
  });
  const url = (i: number) => (nodes[i] as TestNode).url;

  it('defect 2: group rooms are invite-only; unknown and forbidden rooms answer alike', async () => {
    const [owner, stranger] = await Promise.all([signUp(url(0)), signUp(url(1))]);
    const so = await pool.open(url(0), owner.accessToken);
    const sx = await pool.open(url(1), stranger.accessToken);
    const room = await call(so, 'room:create', { name: 'private' });
    const forbidden = await request(sx, 'room:join', { roomId: room.id });
    const unknown = await request(sx, 'room:join', { roomId: randomUUID() });
    expect(forbidden).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    // Same code and text: probing cannot tell an existing room from a made-up id.
    expect(unknown).toEqual(forbidden);
    expect(await nodes[0]!.stores.rooms.findMember(room.id, stranger.user.id)).toBeUndefined();
    const send = await request(sx, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'let me in',
    });
    expect(send).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('defect 2: a public room is joinable, and a kicked member cannot rejoin it', async () => {
    const [owner, member, admin] = await Promise.all([
      signUp(url(0)),
      signUp(url(1)),
      signUp(url(2)),
    ]);
    await nodes[2]!.stores.users.setUserRoles(admin.user.id, ['admin', 'user']);
    const so = await pool.open(url(0), owner.accessToken);
    const sm = await pool.open(url(1), member.accessToken);
    const room = await call(so, 'room:create', { name: 'lobby', public: true });
    expect(room.public).toBe(true);
    const removed = collect(sm, 'room:removed');
    await call(sm, 'room:join', { roomId: room.id });
    expect(
      (
        await del(`${url(2)}/admin/rooms/${room.id}/members/${member.user.id}`, {
          authorization: `Bearer ${admin.accessToken}`,
        })
      ).status,
    ).toBe(200);
    await removed.until((items) => items.some((r) => r.roomId === room.id));
    expect(removed.items).toContainEqual({ roomId: room.id, reason: 'kicked' });
    const rejoin = await request(sm, 'room:join', { roomId: room.id });
    expect(rejoin).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    expect(await nodes[0]!.stores.rooms.findMember(room.id, member.user.id)).toBeUndefined();
    // The owner may invite them back; that lifts the record.
    await call(so, 'room:invite', { roomId: room.id, userIds: [member.user.id] });
    expect(await nodes[1]!.stores.rooms.findMember(room.id, member.user.id)).toBeDefined();
  });

  it('defect 4: invitees on other nodes get member:joined and room:added, every time', async () => {
    const owner = await signUp(url(0));
    const invitees = await Promise.all([1, 2, 1, 2, 1].map((i) => signUp(url(i))));
    const so = await pool.open(url(0), owner.accessToken);
    const sockets = await Promise.all(
      invitees.map((u, k) => pool.open(url(k % 2 === 0 ? 1 : 2), u.accessToken)),
    );
    const joinedAt = sockets.map((s) => collect(s, 'member:joined'));
    const addedAt = sockets.map((s) => collect(s, 'room:added'));
    // Created with all five: each must hear about the others' arrival through the room.
    const room = await call(so, 'room:create', {
      name: 'five',
      memberIds: invitees.map((u) => u.user.id),
    });
    const ids = invitees.map((u) => u.user.id);
    for (const inbox of joinedAt) {
      await inbox.until((items) => ids.every((id) => items.some((m) => m.userId === id)), 5_000);
    }
    for (const inbox of addedAt) {
      const [summary] = await inbox.until((items) => items.length >= 1);
      expect(summary).toMatchObject({ id: room.id, role: 'member', lastSeq: 0 });
    }
    // One more invite: all five existing invitees on other nodes must see it.
    const late = await signUp(url(2));
    const sl = await pool.open(url(2), late.accessToken);
    const lateAdded = collect(sl, 'room:added');
    await call(so, 'room:invite', { roomId: room.id, userIds: [late.user.id] });
    for (const inbox of joinedAt) {
      await inbox.until((items) => items.some((m: RoomMember) => m.userId === late.user.id), 5_000);
    }
    await lateAdded.until((items) => items.some((s) => s.id === room.id));
    // And the invitee can send at once from its own node.
    const sent = await call(sl, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'hello all',
    });
    expect(sent.seq).toBe(1);
  });

  it('defect 5: room:create with one unknown member fails and creates nothing', async () => {
    const [owner, friend] = await Promise.all([signUp(url(0)), signUp(url(1))]);
    const so = await pool.open(url(0), owner.accessToken);
    const before = await call(so, 'room:list', {});
    const ack = await request(so, 'room:create', {
      name: 'half',
      memberIds: [friend.user.id, randomUUID()],
    });
    expect(ack).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await call(so, 'room:list', {})).toEqual(before);
    expect(await nodes[1]!.stores.rooms.listRoomsOfUser(friend.user.id)).toEqual([]);
  });

  it('defect 5: room:invite with one unknown id adds nobody', async () => {
    const [owner, friend] = await Promise.all([signUp(url(0)), signUp(url(1))]);
    const so = await pool.open(url(0), owner.accessToken);
    const room = await call(so, 'room:create', { name: 'strict' });
    const ack = await request(so, 'room:invite', {
      roomId: room.id,
      userIds: [friend.user.id, randomUUID()],
    });
    expect(ack).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect((await call(so, 'room:members', { roomId: room.id })).map((m) => m.userId)).toEqual([
      owner.user.id,
    ]);
  });

  it('room:removed on the user channel when leaving, with member:left to the room', async () => {
    const [owner, member] = await Promise.all([signUp(url(0)), signUp(url(2))]);
    const so = await pool.open(url(0), owner.accessToken);
    const sm = await pool.open(url(2), member.accessToken);
    const other = await pool.open(url(1), member.accessToken);
    const room = await call(so, 'room:create', { name: 'exit', memberIds: [member.user.id] });
    const left = collect(so, 'member:left');
    const removedElsewhere = collect(other, 'room:removed');
    await call(sm, 'room:leave', { roomId: room.id });
    await left.until((items) => items.some((m) => m.userId === member.user.id));
    await removedElsewhere.until((items) => items.some((r) => r.roomId === room.id));
    expect(removedElsewhere.items).toContainEqual({ roomId: room.id, reason: 'left' });
  });
});
