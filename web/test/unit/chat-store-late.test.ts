/**
 * The chat's store on the real SDK client against a scripted Socket.IO node (the SDK's own
 * test server): a message that landed after its seq was settled comes through the SDK's
 * `message:late` path and must take its seq place in the room's list, once.
 */
import { createParleyClient, type Message } from '@parley/client-sdk';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOM, msg } from '../../../client-sdk/test/unit/fakes';
import {
  fakeToken,
  type ScriptedServer,
  scriptedServer,
  summary,
} from '../../../client-sdk/test/unit/scripted-server';
import { ChatStore } from '../../src/chat/chat-store';

describe('ChatStore: late messages (SDK message:late)', () => {
  let node: ScriptedServer;
  let store: ChatStore;

  beforeEach(async () => {
    // The store marks messages read only while the page is visible.
    vi.stubGlobal('document', { visibilityState: 'visible' });
    node = await scriptedServer();
    node.on('room:members', () => [{ userId: 'user-1', role: 'owner' }]);
    // Names come from the REST API (GET /users), served here next to the socket.
    node.io.httpServer.on('request', (req, res) => {
      if (!req.url?.startsWith('/users')) return; // Socket.IO's own requests
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ users: [{ id: 'user-1', username: 'alice' }] }));
    });
  });
  afterEach(async () => {
    store?.close();
    await node.close();
    vi.unstubAllGlobals();
  });

  async function openStore() {
    const client = createParleyClient({ url: node.url, token: fakeToken('user-1') });
    store = new ChatStore(client);
    await client.status.waitFor('connected');
    return client;
  }

  const seqs = () => (store.messages.get(ROOM) ?? []).map((m) => m.seq);
  function lateCount(client: ReturnType<typeof createParleyClient>, n: number) {
    const got: Message[] = [];
    return new Promise<Message[]>((resolve) =>
      client.on('message:late', (m) => {
        got.push(m);
        if (got.length === n) resolve(got);
      }),
    );
  }

  it('merges late messages into the open room in seq order, exactly once', async () => {
    const client = await openStore();
    const socket = await node.connected();
    await store.openRoom(ROOM); // empty so far
    expect(seqs()).toEqual([]);

    // Seqs 3 and 4 are in history; the live 5 beats the room's summary (lastSeq 2), so the
    // SDK releases 5 first and hands 3 and 4 over as late.
    node.history.set(ROOM, [msg(3), msg(4), msg(5)]);
    const late = lateCount(client, 2);
    socket.emit('message:created', msg(5));
    socket.emit('room:added', summary(ROOM, 2));
    expect((await late).map((m) => m.seq)).toEqual([3, 4]);
    expect(seqs()).toEqual([3, 4, 5]);

    // A page of history that holds them again changes nothing.
    await store.loadOlder(ROOM);
    expect(seqs()).toEqual([3, 4, 5]);
  });

  // The first shown message's seq is the cursor for "load older": a late message below it,
  // merged while older pages remain, would make the next page skip what lies in between.
  it('leaves a late message older than the loaded page to the page that holds it', async () => {
    const all = Array.from({ length: 40 }, (_, i) => msg(i + 1));
    node.history.set(
      ROOM,
      all.filter((m) => m.seq !== 5),
    ); // 5 lands late
    node.on('history:fetch', (p) => {
      const stored = node.history.get(ROOM) ?? [];
      const limit = typeof p.limit === 'number' ? p.limit : 100;
      if (typeof p.after === 'number') {
        const after = p.after;
        const messages = stored.filter((m) => m.seq > after).slice(0, limit);
        return {
          messages,
          hasMore: false,
          stableSeq: Math.max(after, ...messages.map((m) => m.seq)),
        };
      }
      const before = typeof p.before === 'number' ? p.before : Infinity;
      const older = stored.filter((m) => m.seq < before);
      return { messages: older.slice(-limit), hasMore: older.length > limit };
    });
    node.on('room:list', () => [summary(ROOM, 40)]);
    const client = await openStore();
    const socket = await node.connected();
    await store.openRoom(ROOM);
    expect(seqs()).toEqual(all.slice(10).map((m) => m.seq)); // 11..40, older pages remain

    node.history.set(ROOM, all);
    const late = lateCount(client, 1);
    socket.emit('message:created', msg(5));
    expect((await late).map((m) => m.seq)).toEqual([5]);
    expect(seqs()[0]).toBe(11);

    await store.loadOlder(ROOM);
    expect(seqs()).toEqual(all.map((m) => m.seq)); // 1..40, 5 once, nothing skipped
  });
});
