import type { Message, RoomSummary } from '@parley/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { createParleyClient, type ParleyClient, type ParleyError } from '../../src/index';
import { ROOM, msg } from './fakes';
import { fakeToken, type ScriptedServer, scriptedServer, summary } from './scripted-server';

const servers: ScriptedServer[] = [];
const clients: ParleyClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) await s.close();
});

async function server(): Promise<ScriptedServer> {
  const s = await scriptedServer();
  servers.push(s);
  return s;
}

function client(
  url: string | string[],
  extra: Partial<Parameters<typeof createParleyClient>[0]> = {},
) {
  const c = createParleyClient({
    url,
    token: fakeToken(),
    reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
    ackIntervalMs: 10_000,
    ...extra,
  } as Parameters<typeof createParleyClient>[0]);
  clients.push(c);
  return c;
}

/** Resolves with the first `n` payloads of an SDK event. */
function collect<T>(c: ParleyClient, event: 'message:created' | 'message:late', n: number) {
  const items: T[] = [];
  return new Promise<T[]>((resolve) => {
    c.on(event, (m) => {
      items.push(m as T);
      if (items.length === n) resolve(items);
    });
  });
}

function nextEvent<T>(c: ParleyClient, event: 'room:added' | 'room:removed' | 'client:error') {
  return new Promise<T>((resolve) => {
    const off = c.on(event, (payload: unknown) => {
      off();
      resolve(payload as T);
    });
  });
}

describe('client: rooms the user is added to or removed from (room:added / room:removed)', () => {
  it('room:added gives the room its position at once, catches it up, and tells the app', async () => {
    const node = await server();
    // Seq 8 was stored between the summary and the socket joining the room's channel.
    node.history.set(ROOM, [msg(8)]);
    const c = client(node.url);
    const socket = await node.connected();
    await c.status.waitFor('connected');
    const added = nextEvent<RoomSummary>(c, 'room:added');
    const feed = collect<Message>(c, 'message:created', 2);
    const late = collect<Message>(c, 'message:late', 1);

    socket.emit('room:added', summary(ROOM, 7));
    expect((await added).id).toBe(ROOM);
    expect(c.room(ROOM).position).toBeGreaterThanOrEqual(7); // known before any message
    socket.emit('message:created', msg(9));
    socket.emit('message:created', msg(5)); // older than the room's start: late, not lost
    expect((await feed).map((m) => m.seq)).toEqual([8, 9]);
    expect((await late).map((m) => m.seq)).toEqual([5]);
    expect(node.received.filter((r) => r.event === 'history:fetch')[0]?.payload).toMatchObject({
      roomId: ROOM,
      after: 7,
    });
    expect(c.stats()[ROOM]).toMatchObject({ released: 2, late: 1 });
  });

  it('room:added that loses the race against a live message still brings the skipped ones, as late', async () => {
    const node = await server();
    node.history.set(ROOM, [msg(3), msg(4), msg(5)]);
    const c = client(node.url);
    const socket = await node.connected();
    await c.status.waitFor('connected');
    const feed = collect<Message>(c, 'message:created', 1);
    const late = collect<Message>(c, 'message:late', 2);
    socket.emit('message:created', msg(5)); // the room channel beat the user channel
    socket.emit('room:added', summary(ROOM, 2));
    expect((await feed).map((m) => m.seq)).toEqual([5]);
    expect((await late).map((m) => m.seq)).toEqual([3, 4]);
  });

  it('room:removed stops the room stream, tells the app, and ignores stragglers', async () => {
    const node = await server();
    const c = client(node.url);
    const socket = await node.connected();
    await c.status.waitFor('connected');
    const feed = collect<Message>(c, 'message:created', 1);
    socket.emit('room:added', summary(ROOM, 0));
    socket.emit('message:created', msg(1));
    await feed;
    const removed = nextEvent<{ roomId: string; reason: string }>(c, 'room:removed');
    const late: Message[] = [];
    const created: Message[] = [];
    c.on('message:late', (m) => late.push(m));
    c.on('message:created', (m) => created.push(m));

    socket.emit('room:removed', { roomId: ROOM, reason: 'kicked' });
    expect(await removed).toEqual({ roomId: ROOM, reason: 'kicked' });
    expect(c.room(ROOM).position).toBeUndefined();
    socket.emit('message:created', msg(2)); // published before the removal took effect
    // An event after it proves the straggler was processed (events arrive in order).
    const after = nextEvent<RoomSummary>(c, 'room:added');
    socket.emit('room:added', summary(ROOM, 5)); // re-invited later: a fresh start
    await after;
    expect(created).toEqual([]);
    expect(late).toEqual([]);
    expect(c.room(ROOM).position).toBe(5);
  });
});

describe('client: a frozen node is abandoned for the next URL', () => {
  it('a send stuck on a silent node fails over and is acked by the next one, as a retry', async () => {
    const frozen = await server();
    const healthy = await server();
    frozen.on('message:send', 'silent');
    frozen.on('presence:query', 'silent'); // the watchdog's probe goes unanswered too
    healthy.on('message:send', (p) => ({ ...msg(1), clientMsgId: p.clientMsgId, body: p.body }));
    const c = client([frozen.url, healthy.url], {
      watchdog: { silenceMs: 300, probeTimeoutMs: 300 },
      outbox: { ackTimeoutMs: 60_000 },
    });
    await c.status.waitFor('connected');
    const silent = nextEvent<ParleyError>(c, 'client:error');

    const started = Date.now();
    const sent = await c.room(ROOM).send('hello');
    const elapsed = Date.now() - started;

    expect(sent).toMatchObject({ body: 'hello', attempts: 2 });
    expect((await silent).code).toBe('TIMEOUT');
    expect(frozen.received.filter((r) => r.event === 'message:send')[0]?.payload.attempt).toBe(1);
    expect(healthy.received.filter((r) => r.event === 'message:send')[0]?.payload).toMatchObject({
      attempt: 2,
      clientMsgId: sent.clientMsgId,
    });
    // Silence 300 ms + probe 300 ms + reconnect; far below the 60 s per-attempt ack timeout.
    expect(elapsed).toBeLessThan(5_000);
    expect(c.stats()[ROOM]?.sends).toMatchObject({ acked: 1, attempts: 2, retries: 1 });
  });

  it('close() while a send waits on a silent node: CLOSED, maybeStored', async () => {
    const frozen = await server();
    frozen.on('message:send', 'silent');
    const c = client(frozen.url, { outbox: { ackTimeoutMs: 60_000 } });
    await c.status.waitFor('connected');
    const sent = c.room(ROOM).send('x');
    await frozen.request('message:send');
    c.close();
    await expect(sent).rejects.toMatchObject({ code: 'CLOSED', maybeStored: true, attempts: 1 });
  });
});

describe('client: catch-up on (re)connect', () => {
  const OTHER = '00000000-0000-4000-8000-000000000002';

  it('reads history only for rooms that moved past our position since we last saw them', async () => {
    const node = await server();
    let lastSeqs: Record<string, number> = { [ROOM]: 4, [OTHER]: 9 };
    node.on('room:list', () => Object.entries(lastSeqs).map(([id, seq]) => summary(id, seq)));
    node.history.set(ROOM, [msg(5)]);
    const c = client(node.url);
    const synced = () =>
      new Promise<void>((resolve) => {
        const off = c.on('client:synced', () => {
          off();
          resolve();
        });
      });
    let next = synced();
    await node.connected();
    await next;
    // First connect: both rooms seeded at their end, nothing to read.
    expect(node.received.filter((r) => r.event === 'history:fetch')).toEqual([]);

    // While we were away one room got seq 5; the other did not move.
    lastSeqs = { [ROOM]: 5, [OTHER]: 9 };
    const feed = collect<Message>(c, 'message:created', 1);
    next = synced();
    for (const socket of node.io.of('/').sockets.values()) socket.conn.close();
    await next;
    expect((await feed).map((m) => m.seq)).toEqual([5]);
    expect(node.received.filter((r) => r.event === 'history:fetch').map((r) => r.payload)).toEqual([
      { roomId: ROOM, after: 4, limit: expect.any(Number) },
    ]);
  });
});
