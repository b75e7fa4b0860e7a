import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withWriteFaults } from '../helpers/faulty-cassandra';
import { get, signUp } from '../helpers/http-client';
import { call, collect, request, socketPool, type TestSocket } from '../helpers/socket-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/**
 * "A failed write is not a write that did not happen" (real Redis + real Cassandra).
 * Node A's Cassandra client fails chosen message writes the way a cluster does when a
 * replica or the coordinator is lost: after applying them, half applied, before applying
 * them but landing later, or refused up front.
 */
describe('send path: uncertain writes are stored once', () => {
  // A short settle timeout lets the late-landing case run in about a second.
  const cluster = createTestCluster({ SEND_SETTLE_TIMEOUT_MS: '1000' });
  const faults: ReturnType<typeof withWriteFaults>[] = [];
  let a: TestNode;
  let b: TestNode;
  const pool = socketPool();

  beforeAll(async () => {
    a = await cluster.startNode(
      {},
      {
        wrapCassandra: (client) => {
          const faulty = withWriteFaults(client);
          faults.push(faulty);
          return faulty.client;
        },
      },
    );
    b = await cluster.startNode();
  });
  afterAll(async () => {
    pool.closeAll();
    await cluster.stopAll();
  });
  const faultyA = () => faults[0]!;

  async function setup(name: string) {
    const [sender, reader] = await Promise.all([signUp(a.url), signUp(b.url)]);
    const onA = await pool.open(a.url, sender.accessToken);
    const onB = await pool.open(b.url, sender.accessToken);
    const readerSocket = await pool.open(b.url, reader.accessToken);
    const room = await call(onA, 'room:create', { name, memberIds: [reader.user.id] });
    const inbox = collect(readerSocket, 'message:created');
    return { onA, onB, readerSocket, room, inbox };
  }

  const send = (
    socket: TestSocket,
    roomId: string,
    clientMsgId: string,
    body: string,
    attempt: number,
  ) => request(socket, 'message:send', { roomId, clientMsgId, body, attempt });

  /** Rows as stored, without the read path's duplicate filter. */
  const storedRows = (roomId: string) => a.stores.messages.listMessagesAfter(roomId, 0, 100);

  it('a write applied despite a timeout is not stored again by its retries (same and other node)', async () => {
    const { onA, onB, room, inbox } = await setup('applied-then-timeout');
    const clientMsgId = randomUUID();
    faultyA().inject('applied-then-timeout');
    const first = await send(onA, room.id, clientMsgId, 'hello', 1);
    expect(first).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE', retryable: true } });
    const again = await send(onA, room.id, clientMsgId, 'hello', 2);
    const elsewhere = await send(onB, room.id, clientMsgId, 'hello', 3);
    if (!again.ok || !elsewhere.ok) throw new Error('retries must succeed');
    expect(elsewhere.data).toEqual(again.data);
    const rows = await storedRows(room.id);
    expect(rows.map((m) => [m.clientMsgId, m.seq, m.id])).toEqual([
      [clientMsgId, again.data.seq, again.data.id],
    ]);
    await inbox.until((m) => m.length >= 1);
    expect(new Set(inbox.items.map((m) => m.id))).toEqual(new Set([again.data.id]));
  });

  it('a half-written send (binding stored, message row not) is completed by its retry', async () => {
    const { onA, onB, room, inbox } = await setup('half-written');
    const clientMsgId = randomUUID();
    faultyA().inject('binding-then-timeout');
    expect(await send(onA, room.id, clientMsgId, 'half', 1)).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE', retryable: true },
    });
    expect(await storedRows(room.id)).toEqual([]); // not visible: the message row comes last
    const retry = await send(onB, room.id, clientMsgId, 'half', 2);
    if (!retry.ok) throw new Error('the retry must succeed');
    const rows = await storedRows(room.id);
    expect(rows.map((m) => [m.clientMsgId, m.seq, m.id, m.body])).toEqual([
      [clientMsgId, retry.data.seq, retry.data.id, 'half'],
    ]);
    await inbox.until((m) => m.length >= 1);
    expect(inbox.items.map((m) => m.id)).toEqual([retry.data.id]);
  });

  it('a binding write that lands only after the client retried lands on the same row', async () => {
    const { onA, onB, room, inbox } = await setup('late-replica');
    const clientMsgId = randomUUID();
    faultyA().inject('timeout-applied-later');
    expect(await send(onA, room.id, clientMsgId, 'replayed', 1)).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE' },
    });
    // The retry cannot see the first write (it has not landed yet) and must not bind anew.
    const retry = await send(onB, room.id, clientMsgId, 'replayed', 2);
    if (!retry.ok) throw new Error('the retry must succeed');
    await faultyA().applyDeferred(); // the first attempt's binding write lands after all
    const rows = await storedRows(room.id);
    expect(rows.map((m) => [m.clientMsgId, m.seq, m.id, m.body])).toEqual([
      [clientMsgId, retry.data.seq, retry.data.id, 'replayed'],
    ]);
    await inbox.until((m) => m.length >= 1);
    const history = await call(onA, 'history:fetch', { roomId: room.id, after: 0 });
    expect(history.messages.map((m) => m.id)).toEqual([retry.data.id]);
  });

  it('a write refused before it was attempted releases its seq as a hole at once', async () => {
    const { onA, room } = await setup('refused');
    const before = await call(onA, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'one',
      attempt: 1,
    });
    const clientMsgId = randomUUID();
    faultyA().inject('unavailable');
    expect(await send(onA, room.id, clientMsgId, 'two', 1)).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE', retryable: true },
    });
    // Settled at once: catching-up readers move past the hole without waiting for a timeout.
    const page = await call(onA, 'history:fetch', { roomId: room.id, after: 0 });
    expect(page.stableSeq).toBe(before.seq + 1);
    expect(page.messages.map((m) => m.seq)).toEqual([before.seq]);
    const retry = await send(onA, room.id, clientMsgId, 'two', 2);
    expect(retry).toMatchObject({ ok: true, data: { seq: before.seq + 2, body: 'two' } });
    expect((await storedRows(room.id)).map((m) => m.seq)).toEqual([before.seq, before.seq + 2]);
  });

  it('an uncertain write that no retry lands in time is settled, then lands late on its own seq', async () => {
    const { onA, room } = await setup('late');
    const clientMsgId = randomUUID();
    faultyA().inject('timeout-not-applied');
    expect(await send(onA, room.id, clientMsgId, 'late', 1)).toMatchObject({ ok: false });
    // No event tells when the settle timeout passed: poll the stable point as a reader does.
    let page = await call(onA, 'history:fetch', { roomId: room.id, after: 0 });
    expect(page.stableSeq).toBe(0); // seq 1 is unsettled: its write may still land
    while (page.stableSeq === 0) {
      await new Promise((r) => setTimeout(r, 100));
      page = await call(onA, 'history:fetch', { roomId: room.id, after: 0 });
    }
    expect(page.stableSeq).toBe(1);
    const retry = await send(onA, room.id, clientMsgId, 'late', 2);
    expect(retry).toMatchObject({ ok: true, data: { seq: 1, body: 'late' } });
    expect((await storedRows(room.id)).map((m) => m.seq)).toEqual([1]);
  });

  it('a retry after a delete or an edit answers the current state and never rebroadcasts old text', async () => {
    const { onA, onB, room, inbox } = await setup('defect-1');
    const [gone, changed] = [randomUUID(), randomUUID()];
    const original = await call(onA, 'message:send', {
      roomId: room.id,
      clientMsgId: gone,
      body: 'secret',
      attempt: 1,
    });
    const toEdit = await call(onA, 'message:send', {
      roomId: room.id,
      clientMsgId: changed,
      body: 'typo',
      attempt: 1,
    });
    await call(onA, 'message:delete', { roomId: room.id, seq: original.seq });
    await call(onA, 'message:edit', { roomId: room.id, seq: toEdit.seq, body: 'fixed' });
    await inbox.until((m) => m.length >= 2);

    for (const socket of [onA, onB]) {
      const retryDeleted = await send(socket, room.id, gone, 'secret', 2);
      expect(retryDeleted).toMatchObject({
        ok: true,
        data: { seq: original.seq, id: original.id, body: '', deleted: true },
      });
      const retryEdited = await send(socket, room.id, changed, 'typo', 2);
      expect(retryEdited).toMatchObject({ ok: true, data: { seq: toEdit.seq, body: 'fixed' } });
    }
    // Everything published before this marker has reached the reader once the marker has.
    const marker = await call(onA, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'marker',
      attempt: 1,
    });
    await inbox.until((m) => m.some((x) => x.id === marker.id));
    const bodies = inbox.items.map((m: Message) => m.body);
    expect(bodies.filter((body) => body === 'secret')).toHaveLength(1); // the original broadcast only
    expect(bodies.filter((body) => body === 'typo')).toHaveLength(1);
    const history = await call(onB, 'history:fetch', { roomId: room.id });
    expect(history.messages.find((m) => m.id === original.id)).toMatchObject({ body: '' });
  });

  it('concurrent attempts of one send all answer the same stored message', async () => {
    const { onA, onB, room } = await setup('race');
    const clientMsgId = randomUUID();
    const acks = await Promise.all(
      [onA, onB, onA, onB].map((s, i) => send(s, room.id, clientMsgId, 'race', i + 1)),
    );
    const ok = acks.flatMap((x) => (x.ok ? [x.data] : []));
    expect(ok).toHaveLength(4);
    expect(new Set(ok.map((m) => `${m.seq}:${m.id}`)).size).toBe(1);
    expect((await storedRows(room.id)).map((m) => m.clientMsgId)).toEqual([clientMsgId]);
  });

  it('refuses a clientMsgId reused for another body (CONFLICT, not retryable)', async () => {
    const { onA, onB, room } = await setup('reuse');
    const clientMsgId = randomUUID();
    await call(onA, 'message:send', { roomId: room.id, clientMsgId, body: 'first', attempt: 1 });
    expect(await send(onB, room.id, clientMsgId, 'second', 2)).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', retryable: false },
    });
    expect((await storedRows(room.id)).map((m) => m.body)).toEqual(['first']);
  });

  it('a retry whose lightweight transaction timed out after deciding keeps that decision', async () => {
    const { onA, onB, room } = await setup('lwt-timeout');
    const clientMsgId = randomUUID();
    // A retry Redis has no binding for goes through the LWT; its outcome is uncertain.
    faultyA().failBindingLwts(1);
    expect(await send(onA, room.id, clientMsgId, 'paxos', 2)).toMatchObject({
      ok: false,
      error: { code: 'UNAVAILABLE', retryable: true },
    });
    const retry = await send(onB, room.id, clientMsgId, 'paxos', 3);
    if (!retry.ok) throw new Error('the retry must succeed');
    const durable = await b.stores.messages.decideSendBinding(
      { roomId: room.id, senderId: retry.data.senderId, clientMsgId },
      { seq: 999_999, id: randomUUID(), createdAt: new Date().toISOString(), bodyHash: 'x' },
    );
    expect(durable).toMatchObject({ seq: retry.data.seq, id: retry.data.id });
    expect((await storedRows(room.id)).map((m) => [m.seq, m.id])).toEqual([
      [retry.data.seq, retry.data.id],
    ]);
  });

  it('history and the admin history hide a second stored copy of one send (from before the fix)', async () => {
    const { onA, onB, room } = await setup('old-duplicates');
    const sent = await call(onA, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'stored twice',
      attempt: 1,
    });
    // What the old send path left behind: the same clientMsgId again under a new seq.
    const copy: Message = { ...sent, seq: sent.seq + 1, id: randomUUID() };
    await a.stores.messages.appendMessage(copy);
    const after = await call(onB, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'next',
      attempt: 1,
    });
    expect((await storedRows(room.id)).map((m) => m.seq)).toEqual([sent.seq, copy.seq, after.seq]);
    for (const page of [
      await call(onB, 'history:fetch', { roomId: room.id, after: 0 }),
      await call(onB, 'history:fetch', { roomId: room.id }),
    ])
      expect(page.messages.map((m) => m.id).sort()).toEqual([sent.id, after.id].sort());

    const admin = await signUp(a.url);
    await a.stores.users.setUserRoles(admin.user.id, ['admin', 'user']);
    const auth = { authorization: `Bearer ${admin.accessToken}` };
    for (const order of ['asc', 'desc']) {
      const res = await get(`${b.url}/admin/rooms/${room.id}/messages?order=${order}`, auth);
      expect(res.status).toBe(200);
      const ids = (res.body.messages as Message[]).map((m) => m.id);
      expect(ids.sort()).toEqual([sent.id, after.id].sort());
    }
    const exported = await fetch(`${b.url}/admin/rooms/${room.id}/export`, { headers: auth });
    const lines = (await exported.text()).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as Message).id)).toEqual([sent.id, after.id]);
  });
});
