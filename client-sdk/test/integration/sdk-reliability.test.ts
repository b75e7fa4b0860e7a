import { afterEach, describe, expect, it } from 'vitest';
import { signUp } from '../../../server/test/helpers/http-client';
import { createTestCluster, type TestNode } from '../../../server/test/helpers/start-node';
import { roomChannel } from '../../../server/src/realtime/socket-types';
import type { ConnectionStatus, ParleyClient } from '../../src/index';
import { type Account, expectExactlyOnceInOrder, inbox, once, sdkClient } from './helpers';

const clients: ParleyClient[] = [];
const clusters: ReturnType<typeof createTestCluster>[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of clusters.splice(0)) await c.stopAll();
});

function track<T extends ParleyClient>(client: T): T {
  clients.push(client);
  return client;
}

async function account(url: string): Promise<Account> {
  const pair = await signUp(url);
  return { username: pair.user.username, password: pair.password, id: pair.user.id };
}

/** Drops every socket of a node at the transport level, as a crash would, then stops it. */
async function crash(node: TestNode) {
  for (const socket of node.app.io.of('/').sockets.values()) socket.conn.close();
  await node.stop();
}

describe('SDK against real nodes (Redis + Cassandra)', () => {
  it('a message sent while the server is down is delivered once after it comes back', async () => {
    const cluster = createTestCluster();
    clusters.push(cluster);
    const first = await cluster.startNode();
    let live = first.url;
    const url = () => live; // a URL provider: "the load balancer"
    const [alice, bob] = [await account(first.url), await account(first.url)];
    const sa = track(sdkClient(url, alice));
    const sb = track(sdkClient(url, bob));
    await Promise.all([sa.status.waitFor('connected'), sb.status.waitFor('connected')]);
    const room = await sa.rooms.create({ name: 'outage', memberIds: [bob.id] });
    const atBob = inbox(sb, room.id);
    const atAlice = inbox(sa, room.id);
    await sa.room(room.id).send('before');
    await atBob.atLeast(1);

    await first.stop();
    await sa.status.waitFor('reconnecting');
    let acked = 0;
    const sent = sa
      .room(room.id)
      .send('while down')
      .then((m) => {
        acked++;
        return m;
      });
    expect(sa.pendingSends.map((e) => e.body)).toEqual(['while down']);

    const second = await cluster.startNode();
    live = second.url;
    const message = await sent;
    expect(acked).toBe(1);
    await atBob.atLeast(2);
    // Let anything duplicated still in flight arrive: a resync round trip is an event we can await.
    await Promise.all([sb.room(room.id).history({ after: 0 }), sa.room(room.id).history()]);
    expectExactlyOnceInOrder(atBob.items, ['before', 'while down']);
    expectExactlyOnceInOrder(atAlice.items, ['before', 'while down']);
    const stored = await sb.room(room.id).history({ after: 0 });
    expect(stored.messages.map((m) => m.body)).toEqual(['before', 'while down']);
    expect(stored.messages[1]!.id).toBe(message.id);
  });

  it('losing the node a client is connected to loses nothing: it fails over to another', async () => {
    const cluster = createTestCluster();
    clusters.push(cluster);
    const nodes = [await cluster.startNode(), await cluster.startNode()];
    const [a, b] = nodes as [TestNode, TestNode];
    const [alice, bob] = [await account(a.url), await account(a.url)];
    const sa = track(sdkClient([a.url, b.url], alice));
    const sb = track(sdkClient([b.url, a.url], bob));
    await Promise.all([sa.status.waitFor('connected'), sb.status.waitFor('connected')]);
    const room = await sa.rooms.create({ name: 'failover', memberIds: [bob.id] });
    await sb.rooms.join(room.id).catch(() => undefined); // already a member: seeds position
    const atBob = inbox(sb, room.id);
    const statuses: ConnectionStatus[] = [];
    sa.status.subscribe((s) => statuses.push(s));

    const bodies = Array.from({ length: 40 }, (_, i) => `m${i}`);
    const sends = bodies.map((body) => sa.room(room.id).send(body));
    await atBob.atLeast(10);
    await crash(a); // alice's node dies mid-stream, with sends in flight
    const acked = await Promise.all(sends);

    expect(statuses).toContain('reconnecting');
    expect(sa.connected).toBe(true);
    expect(acked.map((m) => m.body)).toEqual(bodies);
    const received = await atBob.atLeast(bodies.length);
    expectExactlyOnceInOrder(received, bodies);
    const page = await sb.room(room.id).history({ after: 0, limit: 100 });
    expect(page.messages.map((m) => m.body)).toEqual(bodies); // no duplicate stored
  });

  it('refreshes the access token before it expires, keeping one long session alive', async () => {
    const cluster = createTestCluster({
      ACCESS_TOKEN_TTL_SECONDS: '2',
      AUTH_EXPIRY_GRACE_MS: '300',
    });
    clusters.push(cluster);
    const node = await cluster.startNode();
    const [alice, bob] = [await account(node.url), await account(node.url)];
    const refreshCalls: string[] = [];
    const countingFetch: typeof fetch = (input, init) => {
      const path = new URL(String(input)).pathname;
      if (path === '/auth/refresh') refreshCalls.push(path);
      return fetch(input, init);
    };
    const sa = track(sdkClient(node.url, alice, { fetch: countingFetch }));
    const sb = track(sdkClient(node.url, bob));
    await Promise.all([sa.status.waitFor('connected'), sb.status.waitFor('connected')]);
    const statuses: ConnectionStatus[] = [];
    sa.status.subscribe((s) => statuses.push(s));
    const room = await sa.rooms.create({ name: 'long', memberIds: [bob.id] });
    const atBob = inbox(sb, room.id);

    // Time passing is the point here (three token lifetimes), so this one test waits on the
    // clock; one message per lifetime proves the session still works.
    for (let i = 0; i < 3; i++) {
      await sa.room(room.id).send(`tick ${i}`);
      await atBob.atLeast(i + 1);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
    await sa.room(room.id).send('still here');
    const received = await atBob.atLeast(4);

    expect(refreshCalls.length).toBeGreaterThanOrEqual(3);
    expect(statuses).toEqual(['connected']); // never dropped
    expectExactlyOnceInOrder(received, ['tick 0', 'tick 1', 'tick 2', 'still here']);
  });

  it('a client cut off for a moment catches up from history on reconnect', async () => {
    const cluster = createTestCluster();
    clusters.push(cluster);
    const node = await cluster.startNode();
    const [alice, bob] = [await account(node.url), await account(node.url)];
    const sa = track(sdkClient(node.url, alice));
    const sb = track(sdkClient(node.url, bob));
    await Promise.all([sa.status.waitFor('connected'), sb.status.waitFor('connected')]);
    const room = await sa.rooms.create({ name: 'resync', memberIds: [bob.id] });
    await sb.rooms.list(); // bob learns the room and its position
    const atBob = inbox(sb, room.id);

    // Bob's node loses him for a moment; alice keeps talking.
    const synced = once(sb, 'client:synced');
    for (const socket of node.app.io.of('/').sockets.values())
      if (socket.data.userId === bob.id) socket.conn.close();
    await sa.room(room.id).send('one');
    await sa.room(room.id).send('two');
    await synced;
    const received = await atBob.atLeast(2);
    expectExactlyOnceInOrder(received, ['one', 'two']);
  });

  it('sync:required makes the client fetch what pub/sub lost', async () => {
    const cluster = createTestCluster();
    clusters.push(cluster);
    const node = await cluster.startNode();
    const [alice, bob] = [await account(node.url), await account(node.url)];
    const sa = track(sdkClient(node.url, alice));
    const sb = track(sdkClient(node.url, bob));
    await Promise.all([sa.status.waitFor('connected'), sb.status.waitFor('connected')]);
    const room = await sa.rooms.create({ name: 'lossy', memberIds: [bob.id] });
    await sb.rooms.list();
    const atBob = inbox(sb, room.id);
    const bobSocket = [...node.app.io.of('/').sockets.values()].find(
      (s) => s.data.userId === bob.id,
    )!;

    // Simulate lost pub/sub: Bob's socket is out of the room's channel while Alice sends.
    await bobSocket.leave(roomChannel(room.id));
    await sa.room(room.id).send('lost in transit');
    expect(atBob.items).toEqual([]);
    bobSocket.emit('sync:required', { reason: 'test: subscription dropped' });
    const received = await atBob.atLeast(1);
    expectExactlyOnceInOrder(received, ['lost in transit']);
  });
});
