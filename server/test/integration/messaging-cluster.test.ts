import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/contract';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/http-client';
import { testServices } from '../helpers/services';
import { call, collect, request, socketPool } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/** Three nodes, one real Redis, one real Cassandra. */
describe('messaging across three nodes', () => {
  const cluster = createTestCluster();
  let nodes: TestNode[];
  const pool = socketPool();
  const open = pool.open;

  beforeAll(async () => {
    nodes = [await cluster.startNode(), await cluster.startNode(), await cluster.startNode()];
  });
  afterAll(async () => {
    pool.closeAll();
    await cluster.stopAll();
  });
  const [a, b, c] = [0, 1, 2];
  const url = (i: number) => (nodes[i] as TestNode).url;

  it('delivers group messages to members on every node, in order, after a durable ack', async () => {
    const [alice, bob, carol] = await Promise.all([signUp(url(a)), signUp(url(b)), signUp(url(c))]);
    const sa = await open(url(a), alice.accessToken);
    const sb = await open(url(b), bob.accessToken);
    const sc = await open(url(c), carol.accessToken);
    const room = await call(sa, 'room:create', {
      name: 'general',
      memberIds: [bob.user.id, carol.user.id],
    });
    const atBob = collect(sb, 'message:created');
    const atCarol = collect(sc, 'message:created');
    // Membership reaches other nodes' sockets through the adapter; the first send also
    // proves the Cassandra fallback of authorization for sockets not yet joined.
    const sent: Message[] = [];
    for (let i = 0; i < 5; i++)
      sent.push(
        await call(sa, 'message:send', {
          roomId: room.id,
          clientMsgId: randomUUID(),
          body: `hi ${i}`,
        }),
      );
    expect(sent.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const m of sent)
      expect(await nodes[c]!.stores.messages.findMessage(room.id, m.seq)).toMatchObject({
        body: m.body,
      });
    for (const inbox of [atBob, atCarol]) {
      const got = await inbox.until((items) => items.length >= 5);
      expect(got.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    }
    // Carol replies from node C; Alice on node A sees it.
    const atAlice = collect(sa, 'message:created');
    await call(sc, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'hello from C',
    });
    expect((await atAlice.until((items) => items.length >= 1))[0]).toMatchObject({
      seq: 6,
      body: 'hello from C',
      senderId: carol.user.id,
    });
  });

  it('finds or creates one DM room per pair, from either side and node', async () => {
    const [dana, eve] = await Promise.all([signUp(url(a)), signUp(url(b))]);
    const sd = await open(url(a), dana.accessToken);
    const se = await open(url(c), eve.accessToken);
    const [r1, r2] = await Promise.all([
      call(sd, 'dm:open', { userId: eve.user.id }),
      call(se, 'dm:open', { userId: dana.user.id }),
    ]);
    expect(r1.id).toBe(r2.id);
    expect(r1.kind).toBe('dm');
    const atEve = collect(se, 'message:created');
    await call(sd, 'message:send', { roomId: r1.id, clientMsgId: randomUUID(), body: 'psst' });
    expect((await atEve.until((m) => m.length >= 1))[0]?.body).toBe('psst');
  });

  it('stores a retried send once, even when the retry reaches another node', async () => {
    const frank = await signUp(url(a));
    const s1 = await open(url(a), frank.accessToken);
    const s2 = await open(url(b), frank.accessToken);
    const room = await call(s1, 'room:create', { name: 'retry' });
    const clientMsgId = randomUUID();
    const send = { roomId: room.id, clientMsgId, body: 'once' };
    const first = await call(s1, 'message:send', { ...send, attempt: 1 });
    const again = await call(s2, 'message:send', { ...send, attempt: 2 });
    expect(again).toEqual(first);
    // Redis lost the binding (the dedupe window passed): Cassandra's dedupe row answers.
    const redis = new Redis(testServices().redisUrl);
    await redis.del(`${cluster.prefix}send:{${room.id}}:${frank.user.id}:${clientMsgId}`);
    await redis.quit();
    const third = await call(s2, 'message:send', { ...send, attempt: 3 });
    expect(third).toEqual(first);
    const history = await call(s1, 'history:fetch', { roomId: room.id });
    expect(history.messages.map((m) => m.clientMsgId)).toEqual([clientMsgId]);
  });

  it('brings a client that reconnects to another node up to date from history', async () => {
    const [gina, hank] = await Promise.all([signUp(url(a)), signUp(url(a))]);
    const sg = await open(url(a), gina.accessToken);
    const sh = await open(url(a), hank.accessToken);
    const room = await call(sg, 'room:create', { name: 'catch-up', memberIds: [hank.user.id] });
    await call(sg, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body: 'before' });
    const lastSeen = 1;
    sh.close();
    const missed: Message[] = [];
    for (let i = 0; i < 7; i++)
      missed.push(
        await call(sg, 'message:send', {
          roomId: room.id,
          clientMsgId: randomUUID(),
          body: `missed ${i}`,
        }),
      );
    const back = await open(url(c), hank.accessToken);
    const page = await call(back, 'history:fetch', {
      roomId: room.id,
      after: lastSeen,
      limit: 100,
    });
    expect(page.messages.map((m) => m.id)).toEqual(missed.map((m) => m.id));
    expect(page.hasMore).toBe(false);
  });

  it('pages history newest first with a hard cap, and refuses non-members', async () => {
    const [ivan, judy] = await Promise.all([signUp(url(b)), signUp(url(b))]);
    const si = await open(url(b), ivan.accessToken);
    const sj = await open(url(c), judy.accessToken);
    const room = await call(si, 'room:create', { name: 'paging' });
    for (let i = 0; i < 12; i++)
      await call(si, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body: `m${i}` });
    const p1 = await call(si, 'history:fetch', { roomId: room.id, limit: 5 });
    expect(p1.messages.map((m) => m.seq)).toEqual([12, 11, 10, 9, 8]);
    expect(p1.hasMore).toBe(true);
    const p3 = await call(si, 'history:fetch', { roomId: room.id, before: 3, limit: 5 });
    expect(p3).toMatchObject({ hasMore: false });
    expect(p3.messages.map((m) => m.seq)).toEqual([2, 1]);
    const tooBig = await request(si, 'history:fetch', { roomId: room.id, limit: 10_000 });
    expect(tooBig).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });
    for (const attempt of [
      request(sj, 'history:fetch', { roomId: room.id }),
      request(sj, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body: 'x' }),
    ]) {
      expect(await attempt).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    }
  });

  it('edits and soft-deletes own messages live, keeping their place', async () => {
    const [kim, leo] = await Promise.all([signUp(url(a)), signUp(url(b))]);
    const sk = await open(url(a), kim.accessToken);
    const sl = await open(url(b), leo.accessToken);
    const room = await call(sk, 'room:create', { name: 'edits', memberIds: [leo.user.id] });
    const m = await call(sk, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'typo',
    });
    const updates = collect(sl, 'message:updated');
    const deletes = collect(sl, 'message:deleted');
    expect(
      await request(sl, 'message:edit', { roomId: room.id, seq: m.seq, body: 'hack' }),
    ).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    await call(sk, 'message:edit', { roomId: room.id, seq: m.seq, body: 'fixed' });
    expect((await updates.until((u) => u.length >= 1))[0]).toMatchObject({
      seq: m.seq,
      body: 'fixed',
    });
    await call(sk, 'message:delete', { roomId: room.id, seq: m.seq });
    expect((await deletes.until((d) => d.length >= 1))[0]).toMatchObject({
      seq: m.seq,
      deleted: true,
      body: '',
    });
    const page = await call(sl, 'history:fetch', { roomId: room.id });
    expect(page.messages).toEqual([
      expect.objectContaining({ seq: m.seq, deleted: true, body: '' }),
    ]);
  });

  it('keeps delivered/read cursors, unread counts and read receipts', async () => {
    const [mia, ned] = await Promise.all([signUp(url(a)), signUp(url(c))]);
    const sm = await open(url(a), mia.accessToken);
    const sn = await open(url(c), ned.accessToken);
    const room = await call(sm, 'room:create', { name: 'receipts', memberIds: [ned.user.id] });
    for (let i = 0; i < 4; i++)
      await call(sm, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body: `r${i}` });
    const before = (await call(sn, 'room:list', {})).find((r) => r.id === room.id);
    expect(before).toMatchObject({ lastSeq: 4, readSeq: 0, unread: 4 });
    expect(
      await call(sn, 'delivery:ack', {
        acks: [
          { roomId: room.id, seq: 4 },
          { roomId: room.id, seq: 2 },
        ],
      }),
    ).toEqual({ accepted: 1 });
    expect(await nodes[a]!.stores.cursors.findCursors(ned.user.id, room.id)).toMatchObject({
      deliveredSeq: 4,
    });
    const receipts = collect(sm, 'read:updated');
    await call(sn, 'read:mark', { roomId: room.id, seq: 3 });
    expect((await receipts.until((r) => r.length >= 1))[0]).toEqual({
      roomId: room.id,
      userId: ned.user.id,
      readSeq: 3,
    });
    expect((await call(sn, 'room:list', {})).find((r) => r.id === room.id)).toMatchObject({
      readSeq: 3,
      unread: 1,
    });
  });

  it('relays typing to other members, ephemeral and throttled', async () => {
    const [olga, pete] = await Promise.all([signUp(url(a)), signUp(url(b))]);
    const so = await open(url(a), olga.accessToken);
    const sp = await open(url(b), pete.accessToken);
    const room = await call(so, 'room:create', { name: 'typing', memberIds: [pete.user.id] });
    await call(sp, 'room:join', { roomId: room.id });
    const typing = collect(sp, 'typing:changed');
    await call(so, 'typing:set', { roomId: room.id, typing: true });
    expect((await typing.until((t) => t.length >= 1))[0]).toEqual({
      roomId: room.id,
      userId: olga.user.id,
      typing: true,
    });
    expect(await request(so, 'typing:set', { roomId: room.id, typing: true })).toMatchObject({
      ok: false,
      error: { code: 'RATE_LIMITED' },
    });
  });

  it('answers malformed events with VALIDATION and stays up', async () => {
    const quinn = await signUp(url(a));
    const s = await open(url(a), quinn.accessToken);
    const raw = s as unknown as {
      timeout(ms: number): { emitWithAck(event: string, payload: unknown): Promise<unknown> };
    };
    for (const payload of [
      null,
      42,
      'x',
      { roomId: 'not-a-uuid', clientMsgId: randomUUID(), body: 'x' },
      { roomId: randomUUID(), clientMsgId: randomUUID(), body: '' },
      { roomId: randomUUID(), clientMsgId: randomUUID(), body: 'x'.repeat(4001) },
    ]) {
      const ack = await raw.timeout(5000).emitWithAck('message:send', payload);
      expect(ack).toMatchObject({ ok: false, error: { code: 'VALIDATION', retryable: false } });
    }
    expect((await fetch(`${url(a)}/healthz`)).status).toBe(200);
  });
});
