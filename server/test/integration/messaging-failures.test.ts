import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/http-client';
import { call, collect, request, socketPool } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

describe('send path under failures (real Redis + Cassandra)', () => {
  // The orphan below is stored without any Redis counter, which looks like Redis lost its
  // state: no quiet period, so the retry is answered at once (send-after-redis-loss covers it).
  const cluster = createTestCluster({ MESSAGES_PER_USER_PER_10S: '5', SEND_RESEED_QUIET_MS: '0' });
  let a: TestNode;
  let b: TestNode;
  const pool = socketPool();
  const open = pool.open;
  beforeAll(async () => {
    [a, b] = [await cluster.startNode(), await cluster.startNode()];
  });
  afterAll(async () => {
    pool.closeAll();
    await cluster.stopAll();
  });

  it('re-publishes when the first attempt stored the message but its node died before publishing', async () => {
    const [sender, reader] = await Promise.all([signUp(a.url), signUp(b.url)]);
    const ss = await open(a.url, sender.accessToken);
    const sr = await open(b.url, reader.accessToken);
    const room = await call(ss, 'room:create', { name: 'crash', memberIds: [reader.user.id] });
    const inbox = collect(sr, 'message:created');
    // What a node that died between the Cassandra write and the publish leaves behind,
    // once its Redis binding is gone too: the message and its dedupe row, no event sent.
    const clientMsgId = randomUUID();
    const orphan = {
      roomId: room.id,
      seq: 1,
      id: randomUUID(),
      senderId: sender.user.id,
      clientMsgId,
      body: 'written, never published',
      createdAt: new Date().toISOString(),
    };
    await a.stores.messages.appendMessage(orphan);
    const retry = await call(ss, 'message:send', {
      roomId: room.id,
      clientMsgId,
      body: orphan.body,
    });
    expect(retry).toEqual(orphan);
    expect((await inbox.until((m) => m.length >= 1))[0]).toEqual(orphan);
    const history = await call(sr, 'history:fetch', { roomId: room.id });
    expect(history.messages).toHaveLength(1);
  });

  it('limits sends per user across nodes with RATE_LIMITED and a retry-after', async () => {
    const user = await signUp(a.url);
    const s1 = await open(a.url, user.accessToken);
    const s2 = await open(b.url, user.accessToken);
    const room = await call(s1, 'room:create', { name: 'flood' });
    const results = [];
    for (let i = 0; i < 6; i++) {
      const socket = i % 2 === 0 ? s1 : s2;
      results.push(
        await request(socket, 'message:send', {
          roomId: room.id,
          clientMsgId: randomUUID(),
          body: `m${i}`,
        }),
      );
    }
    expect(results.slice(0, 5).every((r) => r.ok)).toBe(true);
    const limited = results[5];
    expect(limited).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', retryable: true } });
    if (limited && !limited.ok) expect(limited.error.retryAfterMs).toBeGreaterThan(0);
  });

  it('stores concurrent attempts of one send once; they all answer the same message', async () => {
    const user = await signUp(a.url);
    const s1 = await open(a.url, user.accessToken);
    const s2 = await open(b.url, user.accessToken);
    const room = await call(s1, 'room:create', { name: 'race' });
    const clientMsgId = randomUUID();
    const acks = await Promise.all(
      [s1, s2, s1, s2].map((s) =>
        request(s, 'message:send', { roomId: room.id, clientMsgId, body: 'race' }),
      ),
    );
    // No "in flight" refusal any more: every attempt writes the same row (same binding).
    const ok = acks.flatMap((x) => (x.ok ? [x.data] : []));
    expect(ok).toHaveLength(4);
    expect(new Set(ok.map((m) => m.id)).size).toBe(1);
    const history = await call(s1, 'history:fetch', { roomId: room.id });
    expect(history.messages).toHaveLength(1);
  });
});
