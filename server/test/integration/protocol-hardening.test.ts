import { randomUUID } from 'node:crypto';
import { type Ack, limits } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { signUp } from '../helpers/http-client';
import { call, collect, request, socketPool, type TestSocket } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/** Emits with any arguments (what a hostile client can do) and resolves with the raw ack. */
function rawEmit(socket: TestSocket, event: string, ...args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer to ${event}`)), 5_000);
    (socket.emit as (event: string, ...args: unknown[]) => void)(event, ...args, (ack: unknown) => {
      clearTimeout(timer);
      resolve(ack);
    });
  });
}

const ackBytes = (ack: unknown) => Buffer.byteLength(JSON.stringify(ack), 'utf8');
/** The contract's cap on an error ack (limits.errorAckMaxBytes), stated here as a number too. */
const ERROR_ACK_CAP = 4096;

/** What a careless or hostile socket client found (issue 12): every emit is answered, briefly. */
describe('socket protocol hardening (two nodes)', () => {
  const cluster = createTestCluster();
  let nodes: TestNode[];
  const pool = socketPool();
  beforeAll(async () => {
    nodes = [await cluster.startNode(), await cluster.startNode()];
  });
  afterAll(async () => {
    pool.closeAll();
    await cluster.stopAll();
  });
  const url = (i: number) => (nodes[i] as TestNode).url;

  it('defect 8: a binary payload gets a small validation error, not one issue per byte', async () => {
    const user = await signUp(url(0));
    const s = await pool.open(url(0), user.accessToken);
    const blob = new Uint8Array(60_000).fill(7);
    for (const event of ['message:send', 'room:create', 'delivery:ack', 'presence:query']) {
      const ack = (await rawEmit(s, event, blob)) as Ack<unknown>;
      expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
      expect(ackBytes(ack)).toBeLessThanOrEqual(ERROR_ACK_CAP);
    }
    const nested = (await rawEmit(s, 'message:send', {
      roomId: blob,
      clientMsgId: blob,
      body: blob,
      extra: blob,
    })) as Ack<unknown>;
    expect(nested).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(ackBytes(nested)).toBeLessThanOrEqual(ERROR_ACK_CAP);
    expect(limits.errorAckMaxBytes).toBe(ERROR_ACK_CAP);
  });

  it('answers unknown events, callback-only emits and auth:refresh without a callback', async () => {
    const user = await signUp(url(1));
    const s = await pool.open(url(1), user.accessToken);
    expect(await rawEmit(s, 'room:nonsense', { roomId: randomUUID() })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await rawEmit(s, 'no-payload-at-all')).toMatchObject({ ok: false });
    // `socket.emit('room:list', cb)`: no payload, only the callback.
    expect(await rawEmit(s, 'room:list')).toEqual({ ok: true, data: [] });
    // A request that needs a payload but got only a callback: VALIDATION, through the ack.
    expect(await rawEmit(s, 'room:join')).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION' },
    });
    const raised = collect(s, 'error:raised');
    (s.emit as (event: string, payload: unknown) => void)('auth:refresh', { token: 'x' });
    (s.emit as (event: string, payload: unknown) => void)('what:ever', {});
    await raised.until((items) => items.length >= 2);
    expect(raised.items).toContainEqual(
      expect.objectContaining({ code: 'VALIDATION', event: 'auth:refresh' }),
    );
    expect(raised.items).toContainEqual(
      expect.objectContaining({ code: 'NOT_FOUND', event: 'what:ever' }),
    );
  });

  it('refuses lone surrogates instead of acking one text and storing another', async () => {
    const user = await signUp(url(0));
    const s = await pool.open(url(0), user.accessToken);
    const room = await call(s, 'room:create', { name: 'text' });
    const lone = await request(s, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'broken \uD83D here',
    });
    expect(lone).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    expect(await request(s, 'room:create', { name: 'x\uDC00' })).toMatchObject({ ok: false });
    // A paired surrogate (an emoji) is fine and comes back exactly as stored.
    const ok = await call(s, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'fine \uD83D\uDE00',
    });
    expect((await nodes[1]!.stores.messages.findMessage(room.id, ok.seq))?.body).toBe(ok.body);
  });

  it('limits typing per user across sockets and nodes, and edits per user', async () => {
    const user = await signUp(url(0));
    const s1 = await pool.open(url(0), user.accessToken);
    const s2 = await pool.open(url(1), user.accessToken);
    const room = await call(s1, 'room:create', { name: 'typing' });
    expect(await request(s1, 'typing:set', { roomId: room.id, typing: true })).toMatchObject({
      ok: true,
    });
    // Same user, another socket on another node, within the second: limited.
    expect(await request(s2, 'typing:set', { roomId: room.id, typing: true })).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED' },
    });
    const msg = await call(s1, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'v0',
    });
    const results = [];
    for (let i = 0; i < 25; i++)
      results.push(
        await request(s1, 'message:edit', { roomId: room.id, seq: msg.seq, body: `v${i}` }),
      );
    expect(results.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED').length).toBeGreaterThan(
      0,
    );
  });

  it('presence:query { roomId } lists online members first in a small room', async () => {
    const offline = await Promise.all([0, 1, 0, 1, 0].map((i) => signUp(url(i))));
    const [alice, bob] = await Promise.all([signUp(url(0)), signUp(url(1))]);
    const sa = await pool.open(url(0), alice.accessToken);
    await pool.open(url(1), bob.accessToken);
    const room = await call(sa, 'room:create', {
      name: 'who is here',
      memberIds: [...offline.map((u) => u.user.id), bob.user.id],
    });
    // Both sockets register presence asynchronously right after connecting.
    await vi.waitFor(async () => {
      const answer = await call(sa, 'presence:query', { roomId: room.id });
      expect(answer).toHaveLength(7);
      expect(answer.slice(0, 2).map((p) => p.status)).toEqual(['online', 'online']);
      expect(new Set(answer.slice(0, 2).map((p) => p.userId))).toEqual(
        new Set([alice.user.id, bob.user.id]),
      );
      expect(answer.slice(2).every((p) => p.status === 'offline')).toBe(true);
    });
  });

  it('room:create is rate limited per user', async () => {
    const node = await cluster.startNode({ ROOMS_CREATED_PER_USER_PER_HOUR: '3' });
    const user = await signUp(node.url);
    const s = await pool.open(node.url, user.accessToken);
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await request(s, 'room:create', { name: `r${i}` }));
    expect(acks.map((a) => a.ok)).toEqual([true, true, true, false, false]);
    expect(acks[3]).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });
});
