import type { Message } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParleyClient } from '../../../client-sdk/src/index';
import {
  checkerClients,
  cutConnectionsWhileRunning,
} from '../../../client-sdk/test/integration/helpers';
import { createTestCluster, type TestNode } from '../helpers/start-node';

const CLIENTS = 6;
const MESSAGES_EACH = 25;
const DISCONNECTS = 20;

/**
 * The delivery checker: clients on three nodes (real Redis, real Cassandra) send through
 * the SDK while their connections are cut at random. At the end every acked message must
 * be stored once and have reached every member exactly once, in order.
 */
describe('delivery checker: random disconnects across three nodes', () => {
  const cluster = createTestCluster({ MESSAGES_PER_USER_PER_10S: '1000' });
  let nodes: TestNode[];
  const clients: ParleyClient[] = [];
  beforeAll(async () => {
    nodes = [await cluster.startNode(), await cluster.startNode(), await cluster.startNode()];
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster.stopAll();
  });

  it('loses nothing and, after SDK dedupe, duplicates nothing', async () => {
    const made = await checkerClients(
      nodes.map((n) => n.url),
      CLIENTS,
    );
    const accounts = made.accounts;
    clients.push(...made.clients);
    const room = await clients[0]!.rooms.create({
      name: 'checker',
      memberIds: accounts.slice(1).map((a) => a.user.id),
    });
    await Promise.all(clients.slice(1).map((c) => c.rooms.join(room.id)));

    // The ordered feed, and the SDK's documented late path (below the position, shown once).
    const lateFeeds: Message[][] = clients.map(() => []);
    const feeds = clients.map((c, i) => {
      const got: Message[] = [];
      c.room(room.id).on('message:created', (m) => got.push(m));
      c.room(room.id).on('message:late', (m) => lateFeeds[i]!.push(m));
      return got;
    });
    const everything = (i: number) => [...feeds[i]!, ...lateFeeds[i]!];

    // Chaos: cut random live connections at the transport level while the sends run.
    const chaos = cutConnectionsWhileRunning(nodes, DISCONNECTS);

    const acked = (
      await Promise.all(
        clients.map(async (c, i) => {
          const mine: Message[] = [];
          const pending = [];
          for (let k = 0; k < MESSAGES_EACH; k++)
            pending.push(
              c
                .room(room.id)
                .send(`c${i}-m${k}`)
                .then((m) => mine.push(m)),
            );
          await Promise.all(pending);
          return mine;
        }),
      )
    ).flat();
    const cuts = await chaos.stop();

    const ackedIds = new Set(acked.map((m) => m.id));
    // Every member converges on every acked message (the SDK catches up after each reconnect).
    const deadline = Date.now() + 30_000;
    while (
      feeds.some((_, i) => acked.some((m) => !everything(i).some((x) => x.id === m.id))) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 100)); // convergence has no single event to await
    }

    const stored = await nodes[0]!.stores.messages.listMessagesAfter(room.id, 0, 10_000);
    const storedIds = new Set(stored.map((m) => m.id));
    const lost = feeds.map(
      (_, i) => [...ackedIds].filter((id) => !everything(i).some((m) => m.id === id)).length,
    );
    const appDuplicates = feeds.map((_, i) => {
      const all = everything(i);
      return all.length - new Set(all.map((m) => m.id)).size;
    });
    const raw = clients.map((c) => c.stats()[room.id]!);
    const sent = CLIENTS * MESSAGES_EACH;
    console.log(
      `[delivery-checker] clients=${CLIENTS} nodes=3 disconnects=${cuts} sent=${sent} acked=${acked.length} ` +
        `stored=${stored.length} delivered=${feeds.map((f) => f.length).join('/')} ` +
        `late=${lateFeeds.map((f) => f.length).join('/')} ` +
        `raw duplicates=${raw.map((r) => r.duplicatesDropped).join('/')} app duplicates=${appDuplicates.join('/')} ` +
        `lost=${lost.join('/')}`,
    );

    expect(acked).toHaveLength(sent);
    expect(stored).toHaveLength(sent); // stored once each: no retry made a second copy
    expect([...ackedIds].every((id) => storedIds.has(id))).toBe(true);
    expect(new Set(stored.map((m) => `${m.senderId}:${m.clientMsgId}`)).size).toBe(sent);
    expect(lost.every((n) => n === 0)).toBe(true);
    expect(appDuplicates.every((n) => n === 0)).toBe(true);
    for (const f of feeds) {
      const seqs = f.map((m) => m.seq);
      const bad = seqs.findIndex((x, i) => i > 0 && x < seqs[i - 1]!);
      if (bad >= 0)
        console.log(
          'OOO ' +
            JSON.stringify({
              bad,
              around: seqs.slice(Math.max(0, bad - 8), bad + 8),
              client: feeds.indexOf(f),
            }),
        );
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    expect(cuts).toBeGreaterThan(0);
  });
});
