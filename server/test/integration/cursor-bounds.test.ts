import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/http-client';
import { call, collect, socketPool } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/** Defect 7: cursors are bounded by the room's last seq and can be corrected. */
describe('delivered/read cursors and receipts', () => {
  const cluster = createTestCluster();
  let node: TestNode;
  const pool = socketPool();
  beforeAll(async () => {
    node = await cluster.startNode();
  });
  afterAll(async () => {
    pool.closeAll();
    await cluster.stopAll();
  });

  it('defect 7: read:mark / delivery:ack beyond the last seq are clamped, unread still counts', async () => {
    const [alice, bob] = await Promise.all([signUp(node.url), signUp(node.url)]);
    const sa = await pool.open(node.url, alice.accessToken);
    const sb = await pool.open(node.url, bob.accessToken);
    const room = await call(sa, 'room:create', { name: 'cursors', memberIds: [bob.user.id] });
    const send = (body: string) =>
      call(sa, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body });
    await send('one');
    await send('two');
    const huge = Number.MAX_SAFE_INTEGER;
    expect(await call(sb, 'read:mark', { roomId: room.id, seq: huge })).toEqual({
      roomId: room.id,
      readSeq: 2,
    });
    await call(sb, 'delivery:ack', { acks: [{ roomId: room.id, seq: huge }] });
    expect(await node.stores.cursors.findCursors(bob.user.id, room.id)).toMatchObject({
      deliveredSeq: 2,
      readSeq: 2,
    });
    // New messages are unread again: one call did not silence the room forever.
    await send('three');
    await send('four');
    const [summary] = (await call(sb, 'room:list', {})).filter((r) => r.id === room.id);
    expect(summary).toMatchObject({ lastSeq: 4, readSeq: 2, unread: 2 });
    expect(await call(sb, 'read:mark', { roomId: room.id, seq: 3 })).toMatchObject({ readSeq: 3 });
  });

  it('a cursor stored above the room end comes back down on the next ack', async () => {
    const alice = await signUp(node.url);
    const sa = await pool.open(node.url, alice.accessToken);
    const room = await call(sa, 'room:create', { name: 'repair' });
    await call(sa, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body: 'x' });
    // What an unbounded cursor write left behind before the fix.
    await node.stores.cursors.writeCursors(alice.user.id, room.id, {
      deliveredSeq: 2 ** 53 - 1,
      readSeq: 2 ** 53 - 1,
    });
    expect((await call(sa, 'room:list', {}))[0]).toMatchObject({ readSeq: 1, lastSeq: 1 });
    await call(sa, 'delivery:ack', { acks: [{ roomId: room.id, seq: 1 }] });
    expect(await call(sa, 'read:mark', { roomId: room.id, seq: 1 })).toMatchObject({ readSeq: 1 });
    expect(await node.stores.cursors.findCursors(alice.user.id, room.id)).toMatchObject({
      deliveredSeq: 1,
      readSeq: 1,
    });
  });

  it('delivery receipts: members see how far each member has received and read', async () => {
    const [alice, bob, eve] = await Promise.all([
      signUp(node.url),
      signUp(node.url),
      signUp(node.url),
    ]);
    const sa = await pool.open(node.url, alice.accessToken);
    const sb = await pool.open(node.url, bob.accessToken);
    const se = await pool.open(node.url, eve.accessToken);
    const room = await call(sa, 'room:create', { name: 'receipts', memberIds: [bob.user.id] });
    const atBob = collect(sb, 'message:created');
    for (const body of ['a', 'b', 'c'])
      await call(sa, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body });
    await atBob.until((items) => items.length >= 3);
    await call(sb, 'delivery:ack', { acks: [{ roomId: room.id, seq: 3 }] });
    await call(sb, 'read:mark', { roomId: room.id, seq: 1 });
    const { receipts, truncated } = await call(sa, 'room:receipts', { roomId: room.id });
    expect(truncated).toBe(false);
    expect(receipts).toContainEqual({ userId: bob.user.id, deliveredSeq: 3, readSeq: 1 });
    expect(receipts).toContainEqual({ userId: alice.user.id, deliveredSeq: 0, readSeq: 0 });
    const outsider = await new Promise((resolve) =>
      se.emit('room:receipts', { roomId: room.id }, resolve),
    );
    expect(outsider).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });
});
