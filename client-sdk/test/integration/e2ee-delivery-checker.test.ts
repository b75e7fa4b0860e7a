import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestCluster, type TestNode } from '../../../server/test/helpers/start-node';
import { E2eeSession, type E2eeMessage, MemoryKeyStore, type ParleyClient } from '../../src/index';
import { checkerClients, cutConnectionsWhileRunning, settled } from './helpers';

const CLIENTS = 4;
const MESSAGES_EACH = 12;
const DISCONNECTS = 12;

/**
 * The delivery checker with an E2EE room: members on three nodes (real Redis, real
 * Cassandra) send through the SDK's MLS session while connections are cut at random. Every
 * acked message must be stored once and reach every member exactly once, in order, and be
 * decryptable by every current member.
 */
describe('delivery checker: an E2EE room under random disconnects, three nodes', () => {
  const cluster = createTestCluster({ MESSAGES_PER_USER_PER_10S: '1000' });
  let nodes: TestNode[];
  const clients: ParleyClient[] = [];
  const sessions: E2eeSession[] = [];
  beforeAll(async () => {
    nodes = [await cluster.startNode(), await cluster.startNode(), await cluster.startNode()];
  });
  afterAll(async () => {
    for (const s of sessions) s.close();
    for (const c of clients) c.close();
    await cluster.stopAll();
  });

  it('loses nothing, duplicates nothing, and every member reads every message', async () => {
    const made = await checkerClients(
      nodes.map((n) => n.url),
      CLIENTS,
    );
    const accounts = made.accounts;
    clients.push(...made.clients);
    for (const c of clients)
      sessions.push(await E2eeSession.start(c, { store: new MemoryKeyStore() }));
    const room = await sessions[0]!.createRoom(
      'e2ee checker',
      accounts.slice(1).map((a) => a.user.id),
    );
    await settled(sessions, () => sessions.every((s) => s.members(room.id).length === CLIENTS));
    const feeds = sessions.map((s) => {
      const got: E2eeMessage[] = [];
      s.onMessage((m) => {
        if (m.roomId === room.id) got.push(m);
      });
      return got;
    });

    const chaos = cutConnectionsWhileRunning(nodes, DISCONNECTS);
    const acked = (
      await Promise.all(
        sessions.map(async (s, i) => {
          const mine = [];
          for (let k = 0; k < MESSAGES_EACH; k++) mine.push(await s.send(room.id, `c${i}-m${k}`));
          return mine;
        }),
      )
    ).flat();
    const cuts = await chaos.stop();

    const ackedIds = new Set(acked.map((m) => m.id));
    const has = (i: number, id: string) => feeds[i]!.some((m) => m.message.id === id);
    await settled(sessions, () => feeds.every((_, i) => [...ackedIds].every((id) => has(i, id))));

    const stored = (await nodes[0]!.stores.messages.listMessagesAfter(room.id, 0, 10_000)).filter(
      (m) => m.kind === 'mls-app',
    );
    const sent = CLIENTS * MESSAGES_EACH;
    const undecryptable = feeds.map((f) => f.filter((m) => !('text' in m)).length);
    const duplicates = feeds.map((f) => f.length - new Set(f.map((m) => m.message.id)).size);
    console.log(
      `[e2ee-delivery-checker] clients=${CLIENTS} nodes=3 disconnects=${cuts} sent=${sent} ` +
        `acked=${acked.length} stored=${stored.length} delivered=${feeds.map((f) => f.length).join('/')} ` +
        `late=${feeds.map((f) => f.filter((m) => m.late).length).join('/')} ` +
        `duplicates=${duplicates.join('/')} undecryptable=${undecryptable.join('/')}`,
    );
    expect(acked).toHaveLength(sent);
    expect(stored).toHaveLength(sent);
    expect(new Set(stored.map((m) => `${m.senderId}:${m.clientMsgId}`)).size).toBe(sent);
    expect(duplicates.every((n) => n === 0)).toBe(true);
    expect(undecryptable.every((n) => n === 0)).toBe(true);
    for (const [i, f] of feeds.entries()) {
      const inOrder = f.filter((m) => !m.late).map((m) => m.seq);
      expect(inOrder).toEqual([...inOrder].sort((x, y) => x - y));
      // Each member reads exactly what each sender wrote, in the sender's order.
      for (let sender = 0; sender < CLIENTS; sender++) {
        const texts = f.flatMap((m) =>
          'text' in m && m.text.startsWith(`c${sender}-`) && !m.late ? [m.text] : [],
        );
        expect(texts, `member ${i}, sender ${sender}`).toEqual(
          Array.from({ length: MESSAGES_EACH }, (_, k) => `c${sender}-m${k}`).filter((t) =>
            texts.includes(t),
          ),
        );
      }
    }
    expect(cuts).toBeGreaterThan(0);
  });
});
