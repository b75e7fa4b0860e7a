import type { Message } from '@parley/contract';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ParleyError } from '../../src/errors';
import {
  MemoryOutboxStorage,
  Outbox,
  type OutboxEntry,
  WebStorageOutboxStorage,
} from '../../src/outbox';
import { FakeStorage, FakeTransport, ROOM, msg } from './fakes';

const unavailable = () => new ParleyError('UNAVAILABLE', 'cassandra down');
// random() = 0 makes the jittered delay exactly half the capped exponential delay.
const noJitter = { random: () => 0 };

describe('Outbox', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries until acked, with the same clientMsgId on every attempt', async () => {
    const transport = new FakeTransport().reply(
      unavailable(),
      new ParleyError('INTERNAL', 'boom'),
      'hang',
      msg(7),
    );
    const outbox = new Outbox(transport, { ackTimeoutMs: 1_000 }, noJitter);
    const sent = outbox.send(ROOM, 'hello');
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(sent).resolves.toMatchObject({ seq: 7 });
    expect(transport.attempts).toHaveLength(4);
    const ids = new Set(transport.attempts.map((a) => a.entry.clientMsgId));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(transport.attempts.every((a) => a.timeoutMs === 1_000)).toBe(true);
    expect(outbox.pending()).toEqual([]);
  });

  it('backs off exponentially between attempts', async () => {
    const transport = new FakeTransport().reply(
      unavailable(),
      unavailable(),
      unavailable(),
      msg(1),
    );
    const outbox = new Outbox(
      transport,
      { backoff: { initialDelayMs: 100, maxDelayMs: 10_000 } },
      noJitter,
    );
    const sent = outbox.send(ROOM, 'hi');
    await vi.advanceTimersByTimeAsync(5_000);
    await sent;
    const gaps = transport.attempts.slice(1).map((a, i) => a.at - transport.attempts[i]!.at);
    // 100·2^(n-1), halved by the jitter floor: 50, 100, 200.
    expect(gaps).toEqual([50, 100, 200]);
  });

  it('adds jitter on top of the floor and caps the delay', async () => {
    const transport = new FakeTransport().reply(...Array.from({ length: 6 }, unavailable), msg(1));
    const outbox = new Outbox(
      transport,
      { backoff: { initialDelayMs: 100, maxDelayMs: 400 } },
      { random: () => 1 },
    );
    const sent = outbox.send(ROOM, 'hi');
    await vi.advanceTimersByTimeAsync(5_000);
    await sent;
    const gaps = transport.attempts.slice(1).map((a, i) => a.at - transport.attempts[i]!.at);
    expect(gaps).toEqual([100, 200, 400, 400, 400, 400]);
  });

  it('waits at least retryAfterMs after RATE_LIMITED', async () => {
    const transport = new FakeTransport().reply(
      new ParleyError('RATE_LIMITED', 'slow down', { retryAfterMs: 3_000 }),
      msg(1),
    );
    const outbox = new Outbox(transport, {}, noJitter);
    const sent = outbox.send(ROOM, 'hi');
    await vi.advanceTimersByTimeAsync(2_999);
    expect(transport.attempts).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await sent;
    expect(transport.attempts).toHaveLength(2);
  });

  it('rejects with a typed ParleyError on a non-retryable code, without retrying', async () => {
    const transport = new FakeTransport().reply(new ParleyError('FORBIDDEN', 'not a member'));
    const storage = new MemoryOutboxStorage();
    const failed: [OutboxEntry, ParleyError][] = [];
    const outbox = new Outbox(
      transport,
      { storage },
      { onFailed: (entry, error) => failed.push([entry, error]) },
    );
    const error = await outbox.send(ROOM, 'hi').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', retryable: false });
    expect(transport.attempts).toHaveLength(1);
    expect(storage.load()).toEqual([]);
    expect(failed).toHaveLength(1);
  });

  it('honours the server saying an otherwise-retryable error is final', async () => {
    const transport = new FakeTransport().reply(
      new ParleyError('INTERNAL', 'poison', { retryable: false }),
    );
    const outbox = new Outbox(transport);
    await expect(outbox.send(ROOM, 'hi')).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(transport.attempts).toHaveLength(1);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const transport = new FakeTransport().reply(unavailable(), unavailable(), unavailable());
    const outbox = new Outbox(transport, { maxAttempts: 3 }, noJitter);
    const sent = outbox.send(ROOM, 'hi').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await sent).toMatchObject({ code: 'UNAVAILABLE' });
    expect(transport.attempts).toHaveLength(3);
  });

  it('holds sends while disconnected and sends them on reconnect, at once', async () => {
    const transport = new FakeTransport().reply(msg(1));
    transport.connected = false;
    const outbox = new Outbox(transport);
    const sent = outbox.send(ROOM, 'offline');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(transport.attempts).toHaveLength(0);
    transport.connected = true;
    outbox.notifyConnected();
    await expect(sent).resolves.toMatchObject({ seq: 1 });
  });

  it('retries a send whose connection dropped as soon as the client reconnects', async () => {
    const transport = new FakeTransport().reply(
      new ParleyError('DISCONNECTED', 'connection lost'),
      msg(1),
    );
    const outbox = new Outbox(transport, { backoff: { initialDelayMs: 60_000 } }, noJitter);
    const sent = outbox.send(ROOM, 'x');
    await vi.advanceTimersByTimeAsync(10);
    expect(transport.attempts).toHaveLength(1);
    outbox.notifyConnected();
    await expect(sent).resolves.toMatchObject({ seq: 1 });
    expect(transport.attempts).toHaveLength(2);
    expect(transport.attempts[1]!.entry.clientMsgId).toBe(transport.attempts[0]!.entry.clientMsgId);
  });

  it('sends one message per room at a time, in order', async () => {
    const transport = new FakeTransport();
    const outbox = new Outbox(transport, { ackTimeoutMs: 1_000 }, noJitter);
    const order: string[] = [];
    const first = outbox.send(ROOM, 'first').then((m) => order.push(m.body));
    const second = outbox.send(ROOM, 'second').then((m) => order.push(m.body));
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.attempts.map((a) => a.entry.body)).toEqual(['first']);
    // the first is retried after a timeout; the second still waits behind it
    await vi.advanceTimersByTimeAsync(1_000 + 125);
    expect(transport.attempts.map((a) => a.entry.body)).toEqual(['first', 'first']);
    transport.reply({ ...msg(1), body: 'first' }, { ...msg(2), body: 'second' });
    await vi.advanceTimersByTimeAsync(1_000 + 250);
    await Promise.all([first, second]);
    expect(order).toEqual(['first', 'second']);
  });

  it('keeps unsent messages in web storage and resends them after a reload', async () => {
    const storage = new FakeStorage();
    const offline = new FakeTransport();
    offline.connected = false;
    const before = new Outbox(offline, { storage: new WebStorageOutboxStorage(storage) });
    void before.send(ROOM, 'survives a reload').catch(() => undefined);
    void before.send(ROOM, 'me too').catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    const saved = JSON.parse(storage.getItem('parley:outbox') ?? '[]') as OutboxEntry[];
    expect(saved.map((e) => e.body)).toEqual(['survives a reload', 'me too']);
    before.close(); // the page goes away

    const online = new FakeTransport();
    const sentIds: string[] = [];
    const after = new Outbox(
      online,
      { storage: new WebStorageOutboxStorage(storage) },
      { onSent: (entry) => sentIds.push(entry.clientMsgId) },
    );
    online.reply(stored(saved[0]!, 1), stored(saved[1]!, 2));
    expect(await after.restore()).toBe(2);
    await vi.advanceTimersByTimeAsync(0);
    expect(sentIds).toEqual(saved.map((e) => e.clientMsgId));
    expect(storage.getItem('parley:outbox')).toBeNull();
  });

  it('rejects pending sends with CLOSED on close', async () => {
    const transport = new FakeTransport();
    transport.connected = false;
    const outbox = new Outbox(transport);
    const sent = outbox.send(ROOM, 'x');
    outbox.close();
    await expect(sent).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('Outbox: attempts, deadlines, close', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('numbers every emit (1, then 2+) and reports the attempts on the result and in stats', async () => {
    const transport = new FakeTransport().reply('hang', unavailable(), msg(1));
    const outbox = new Outbox(transport, {}, noJitter);
    const sent = outbox.send(ROOM, 'hi');
    await vi.advanceTimersByTimeAsync(10_000);
    await expect(sent).resolves.toMatchObject({ seq: 1, attempts: 3 });
    expect(transport.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // The per-attempt ack timeout: a stuck attempt is retried after 5 s, not 10.
    expect(transport.attempts[0]!.timeoutMs).toBe(5_000);
    expect(outbox.stats().get(ROOM)).toEqual({
      acked: 1,
      failed: 0,
      failedMaybeStored: 0,
      attempts: 3,
      retries: 2,
    });
  });

  it('counts only emits that reached a connection: waiting offline is not an attempt', async () => {
    const transport = new FakeTransport().reply(msg(1));
    transport.connected = false;
    const outbox = new Outbox(transport);
    const sent = outbox.send(ROOM, 'offline');
    await vi.advanceTimersByTimeAsync(30_000);
    transport.connected = true;
    outbox.notifyConnected();
    await expect(sent).resolves.toMatchObject({ attempts: 1 });
    expect(transport.attempts.map((a) => a.attempt)).toEqual([1]);
  });

  it('sends a message restored from storage as a retry: an earlier session may have emitted it', async () => {
    const storage = new MemoryOutboxStorage();
    storage.put({ clientMsgId: 'c-old', roomId: ROOM, body: 'from before', createdAt: 1 });
    const transport = new FakeTransport().reply({ ...msg(1), clientMsgId: 'c-old' });
    const outbox = new Outbox(transport, { storage });
    await outbox.restore();
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.attempts.map((a) => a.attempt)).toEqual([2]);
  });

  it('never sends attempt 1 for an id that may have gone out before', async () => {
    const transport = new FakeTransport().reply('hang', msg(1), msg(2));
    const outbox = new Outbox(transport, { ackTimeoutMs: 1_000, maxAttempts: 1 });
    // Emitted once, unanswered, given up: the app resends it with the same id.
    const given = outbox.send(ROOM, 'x').catch((e: unknown) => e as ParleyError);
    await vi.advanceTimersByTimeAsync(1_000);
    const first = await given;
    expect(first).toMatchObject({ maybeStored: true, attempts: 1 });
    await outbox.send(ROOM, 'x', { clientMsgId: first.clientMsgId });
    // An id this outbox never emitted, which another session may have: the app says so.
    await outbox.send(ROOM, 'y', { clientMsgId: 'c-from-elsewhere', resend: true });
    expect(transport.attempts.map((a) => [a.entry.body, a.attempt])).toEqual([
      ['x', 1],
      ['x', 2],
      ['y', 2],
    ]);
  });

  it('rejects at the deadline with maybeStored: false when nothing was ever emitted', async () => {
    const transport = new FakeTransport();
    transport.connected = false;
    const storage = new MemoryOutboxStorage();
    const outbox = new Outbox(transport, { deadlineMs: 3_000, storage });
    const sent = outbox.send(ROOM, 'never out').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(outbox.pending()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const error = await sent;
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      maybeStored: false,
      attempts: 0,
      retryable: false,
    });
    expect((error as ParleyError).message).toMatch(/not stored/);
    expect(outbox.pending()).toEqual([]);
    expect(storage.load()).toEqual([]); // given up: not resent by a later session
    expect(outbox.stats().get(ROOM)).toMatchObject({ failed: 1, failedMaybeStored: 0 });
  });

  it('rejects at the deadline with maybeStored: true when an attempt went unanswered, and lets the next send go', async () => {
    const transport = new FakeTransport().reply('hang', 'hang', msg(2));
    const outbox = new Outbox(transport, { ackTimeoutMs: 2_000 }, noJitter);
    const slow = outbox.send(ROOM, 'slow', { deadlineMs: 3_000 }).catch((e: unknown) => e);
    const next = outbox.send(ROOM, 'next');
    await vi.advanceTimersByTimeAsync(3_000);
    const error = await slow;
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED', maybeStored: true, attempts: 2 });
    expect((error as ParleyError).clientMsgId).toBe(transport.attempts[0]!.entry.clientMsgId);
    expect((error as ParleyError).message).toMatch(/may have been stored/);
    // The room's queue moves on at once instead of waiting behind the abandoned send.
    await expect(next).resolves.toMatchObject({ seq: 2, attempts: 1 });
    expect(transport.attempts.map((a) => a.entry.body)).toEqual(['slow', 'slow', 'next']);
    expect(outbox.stats().get(ROOM)).toMatchObject({ failed: 1, failedMaybeStored: 1, acked: 1 });
  });

  it('applies the deadline to a send still queued behind another', async () => {
    const transport = new FakeTransport(); // everything hangs
    const outbox = new Outbox(transport, { ackTimeoutMs: 60_000 });
    void outbox.send(ROOM, 'head').catch(() => undefined);
    const queued = outbox.send(ROOM, 'queued', { deadlineMs: 1_000 }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await queued).toMatchObject({ code: 'DEADLINE_EXCEEDED', maybeStored: false });
    expect(outbox.pending().map((e) => e.body)).toEqual(['head']);
    outbox.close();
  });

  it('marks a refusal after an unanswered attempt as maybe stored', async () => {
    const transport = new FakeTransport().reply(
      new ParleyError('TIMEOUT', 'no ack'),
      new ParleyError('FORBIDDEN', 'not a member'),
    );
    const outbox = new Outbox(transport, {}, noJitter);
    const sent = outbox.send(ROOM, 'x').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await sent).toMatchObject({ code: 'FORBIDDEN', maybeStored: true, attempts: 2 });
  });

  it('marks a refusal on the first attempt as not stored', async () => {
    const transport = new FakeTransport().reply(new ParleyError('VALIDATION', 'bad'));
    const outbox = new Outbox(transport);
    await expect(outbox.send(ROOM, 'x')).rejects.toMatchObject({
      code: 'VALIDATION',
      maybeStored: false,
      attempts: 1,
    });
  });

  it('close(): CLOSED with maybeStored: true for an emitted, unanswered send and false for one never emitted', async () => {
    const transport = new FakeTransport(); // the head's attempt hangs
    const storage = new MemoryOutboxStorage();
    const outbox = new Outbox(transport, { storage });
    const head = outbox.send(ROOM, 'in flight').catch((e: unknown) => e);
    const queued = outbox.send(ROOM, 'queued').catch((e: unknown) => e);
    const more = [1, 2, 3].map((i) => outbox.send(ROOM, `more ${i}`).catch((e: unknown) => e));
    await vi.advanceTimersByTimeAsync(100);
    expect(transport.attempts).toHaveLength(1);
    outbox.close();
    expect(await head).toMatchObject({ code: 'CLOSED', maybeStored: true, attempts: 1 });
    expect(await queued).toMatchObject({ code: 'CLOSED', maybeStored: false, attempts: 0 });
    for (const m of await Promise.all(more))
      expect(m).toMatchObject({ code: 'CLOSED', maybeStored: false });
    expect((await head) as ParleyError).toBeInstanceOf(ParleyError);
    // Both stay for the next session, which resends them with the same clientMsgId.
    expect(storage.load().map((e) => e.body)).toEqual([
      'in flight',
      'queued',
      'more 1',
      'more 2',
      'more 3',
    ]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(transport.attempts).toHaveLength(1); // nothing more goes out
  });

  it('close(): a send whose attempt timed out and now waits to retry is maybe stored', async () => {
    const transport = new FakeTransport(); // hangs
    const outbox = new Outbox(transport, {
      ackTimeoutMs: 1_000,
      backoff: { initialDelayMs: 5_000 },
    });
    const sent = outbox.send(ROOM, 'x').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_500); // timed out, sleeping before the retry
    outbox.close();
    expect(await sent).toMatchObject({ code: 'CLOSED', maybeStored: true, attempts: 1 });
  });

  it('retries CONFLICT (stored by another attempt right now) at least every second', async () => {
    const conflict = () =>
      new ParleyError('CONFLICT', 'being stored', { retryable: true, retryAfterMs: 200 });
    const transport = new FakeTransport().reply(...Array.from({ length: 8 }, conflict), msg(1));
    const outbox = new Outbox(
      transport,
      { backoff: { initialDelayMs: 250, maxDelayMs: 10_000 } },
      { random: () => 1 },
    );
    const sent = outbox.send(ROOM, 'x');
    await vi.advanceTimersByTimeAsync(20_000);
    await sent;
    const gaps = transport.attempts.slice(1).map((a, i) => a.at - transport.attempts[i]!.at);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1_000);
    expect(gaps[0]).toBeGreaterThanOrEqual(200);
  });
});

describe('WebStorageOutboxStorage', () => {
  it('ignores corrupt data instead of failing the app', () => {
    const storage = new FakeStorage();
    storage.setItem('parley:outbox', '{not json');
    expect(new WebStorageOutboxStorage(storage).load()).toEqual([]);
    storage.setItem('parley:outbox', JSON.stringify([{ nope: 1 }]));
    expect(new WebStorageOutboxStorage(storage).load()).toEqual([]);
  });
});

function stored(entry: OutboxEntry, seq: number): Message {
  return { ...msg(seq, entry.roomId), clientMsgId: entry.clientMsgId, body: entry.body };
}
