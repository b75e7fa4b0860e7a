import { randomBytes } from 'node:crypto';
import type { Message } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { del, signUp } from '../../../server/test/helpers/http-client';
import { cassandraTestConfig, testServices } from '../../../server/test/helpers/services';
import { openRedis } from '../../../server/src/cluster/redis-client';
import { createTestCluster, type TestNode } from '../../../server/test/helpers/start-node';
import { createCassandraClient } from '../../../server/src/storage/cassandra/cassandra-client';
import { E2eeSession, type E2eeMessage, MemoryKeyStore, type ParleyClient } from '../../src/index';
import { type Account, sdkClient, settled } from './helpers';

/**
 * Issue 15's proof on a real cluster (3 nodes, Redis, Cassandra): members on different
 * nodes talk in an MLS group; neither Cassandra's rows nor Redis pub/sub carry plaintext;
 * a kicked member cannot read what follows; a member added later reads new messages, not
 * earlier ones; both devices of one user read.
 */
describe('E2EE rooms on a real cluster', () => {
  const cluster = createTestCluster();
  const db = createCassandraClient(cassandraTestConfig(inject('keyspace')), inject('keyspace'));
  // Standalone or Redis Cluster as the suite runs; on a cluster, SSUBSCRIBE must reach the
  // shard that owns the channel's slot.
  const sniffer = openRedis(testServices().redisTarget, { sharded: true });
  /** Every pub/sub payload published to the cluster's adapter channels we listen on. */
  const heard: Buffer[] = [];
  const clients: ParleyClient[] = [];
  const sessions: E2eeSession[] = [];
  let nodes: TestNode[] = [];

  beforeAll(async () => {
    nodes = [await cluster.startNode(), await cluster.startNode(), await cluster.startNode()];
    sniffer.on('smessageBuffer', (_channel: Buffer, message: Buffer) => heard.push(message));
    sniffer.on('messageBuffer', (_channel: Buffer, message: Buffer) => heard.push(message));
    // The sharded adapter's namespace channel (broadcasts without a room).
    await sniffer.ssubscribe(`${cluster.prefix}sio#/#`);
  });
  afterAll(async () => {
    for (const s of sessions) s.close();
    for (const c of clients) c.close();
    sniffer.disconnect();
    await db.shutdown();
    await cluster.stopAll();
  });

  async function account(): Promise<Account> {
    const pair = await signUp(nodes[0]!.url);
    return { username: pair.user.username, password: pair.password, id: pair.user.id };
  }

  /** One device: its own client (on the given node), key store and session. */
  async function device(node: TestNode, who: Account) {
    const client = sdkClient(node.url, who);
    clients.push(client);
    await client.status.waitFor('connected');
    const session = await E2eeSession.start(client, { store: new MemoryKeyStore() });
    sessions.push(session);
    const read: E2eeMessage[] = [];
    session.onMessage((m) => read.push(m));
    return { client, session, read, who };
  }
  type Device = Awaited<ReturnType<typeof device>>;

  /** Resolves once the device's view of the group satisfies `ok` (now or after a change). */
  function groupOf(d: Device, roomId: string, ok: (userIds: string[]) => boolean) {
    const holds = () => ok(d.session.members(roomId).map((x) => x.userId));
    if (holds()) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const off = d.session.onEpoch((change) => {
        if (change.roomId !== roomId || !holds()) return;
        off();
        resolve();
      });
    });
  }

  /** Resolves once `check` holds: re-checked on every message and epoch change of any device. */
  function until(check: () => boolean) {
    return settled(sessions, check);
  }
  const texts = (d: Device) => d.read.flatMap((m) => ('text' in m ? [m.text] : []));

  /** Every stored row of the room (both message tables), raw from Cassandra. */
  async function storedRows(roomId: string) {
    const buckets = await db.execute('SELECT bucket FROM room_buckets WHERE room_id = ?', [roomId]);
    const rows: { kind: string | null; body: string; seq: number; senderId: string }[] = [];
    for (const b of buckets.rows) {
      const rs = await db.execute(
        'SELECT seq, kind, body, sender_id FROM messages WHERE room_id = ? AND bucket = ?',
        [roomId, b.get('bucket')],
        { prepare: true },
      );
      for (const row of rs.rows)
        rows.push({
          seq: Number(row.get('seq')),
          kind: row.get('kind') as string | null,
          body: row.get('body') as string,
          senderId: String(row.get('sender_id')),
        });
    }
    return rows.sort((x, y) => x.seq - y.seq);
  }

  function expectNoPlaintext(haystack: string[], secrets: string[]) {
    for (const secret of secrets)
      for (const text of haystack) expect(text.includes(secret)).toBe(false);
  }

  it('members on three nodes talk; kicked, late and second devices see what they should', async () => {
    const [alice, bob, carol, dave, admin] = await Promise.all(
      Array.from({ length: 5 }, () => account()),
    );
    await nodes[0]!.stores.users.setUserRoles(admin!.id, ['admin', 'user']);
    // Alice on node 1, Bob's two devices on nodes 2 and 3, Carol on node 3, Dave on node 1.
    const a = await device(nodes[0]!, alice!);
    const b1 = await device(nodes[1]!, bob!);
    const b2 = await device(nodes[2]!, bob!);
    const c = await device(nodes[2]!, carol!);
    const d = await device(nodes[0]!, dave!);

    const room = await a.session.createRoom('secret plans', [bob!.id, carol!.id]);
    expect(room.e2ee).toBe(true);
    await sniffer.ssubscribe(`${cluster.prefix}sio#/#room:${room.id}#`);
    const everyone = (ids: string[]) =>
      [alice, bob, carol].every((u) => ids.includes(u!.id)) && ids.length === 4;
    await Promise.all([a, b1, b2, c].map((x) => groupOf(x, room.id, everyone)));

    const tag = randomBytes(6).toString('hex');
    const secrets = [`alpha-${tag}`, `bravo-${tag}`, `charlie-${tag}`];
    await a.session.send(room.id, secrets[0]!);
    await b1.session.send(room.id, secrets[1]!);
    await c.session.send(room.id, secrets[2]!);
    for (const x of [a, b1, b2, c]) await until(() => texts(x).length >= 3);
    // Each device, Bob's second one included, reads all three in room order.
    for (const x of [a, b1, b2, c]) expect(texts(x)).toEqual(secrets);

    // Kick Carol (admin, on another node): a remaining member commits her removal.
    const kicked = await del(
      `${nodes[1]!.url}/admin/rooms/${room.id}/members/${carol!.id}`,
      { authorization: `Bearer ${await adminToken(admin!)}` },
      {},
    );
    expect(kicked.status).toBe(200);
    const withoutCarol = (ids: string[]) => !ids.includes(carol!.id) && ids.length === 3;
    await Promise.all([a, b1, b2].map((x) => groupOf(x, room.id, withoutCarol)));
    const afterKick = `delta-${tag}`;
    const sentAfterKick = await a.session.send(room.id, afterKick);
    for (const x of [b1, b2]) await until(() => texts(x).includes(afterKick));
    // Carol is off the room's channel; even holding the stored ciphertext she cannot read it.
    const rowAfterKick = (await storedRows(room.id)).find((r) => r.seq === sentAfterKick.seq);
    expect(rowAfterKick?.kind).toBe('mls-app');
    const atCarol = await c.session.decrypt({ ...sentAfterKick, body: rowAfterKick!.body });
    expect(atCarol).toMatchObject({ undecryptable: true, reason: 'removed' });
    expect(texts(c)).not.toContain(afterKick);

    // Dave is added later: he reads what follows, not what came before.
    await a.session.invite(room.id, [dave!.id]);
    await groupOf(d, room.id, (ids) => ids.includes(dave!.id) && ids.length === 4);
    const forDave = `echo-${tag}`;
    await b2.session.send(room.id, forDave);
    await until(() => texts(d).includes(forDave));
    const history = await d.client.room(room.id).history({ after: 0, limit: 100 });
    const earlier = history.messages.filter(
      (m: Message) => m.kind === 'mls-app' && m.seq < sentAfterKick.seq + 1,
    );
    expect(earlier.length).toBe(4);
    for (const m of earlier)
      expect(await d.session.decrypt(m)).toMatchObject({
        undecryptable: true,
        reason: 'not-in-group',
      });
    expect(texts(d)).toEqual([forDave]);

    // No plaintext anywhere the server or Redis sees it; the sniffer did hear the room.
    const all = [...secrets, afterKick, forDave];
    const rows = await storedRows(room.id);
    expect(rows.every((r) => r.kind?.startsWith('mls-'))).toBe(true);
    expectNoPlaintext(
      rows.map((r) => r.body),
      all,
    );
    const byUser = await db.execute(
      'SELECT body FROM messages_by_user WHERE sender_id = ? AND month = ?',
      [alice!.id, sentAfterKick.createdAt.slice(0, 7)],
      { prepare: true },
    );
    expect(byUser.rows.length).toBeGreaterThan(0);
    expectNoPlaintext(
      byUser.rows.map((r) => String(r.get('body'))),
      all,
    );
    // An admin's export shows the bodies as stored: ciphertext, with the MLS kind.
    const exported = await fetch(`${nodes[2]!.url}/admin/rooms/${room.id}/export`, {
      headers: { authorization: `Bearer ${await adminToken(admin!)}` },
    });
    expect(exported.status).toBe(200);
    const lines = (await exported.text()).trim().split('\n');
    expect(lines).toHaveLength(rows.length);
    expect(lines.every((line) => /"kind":"mls-(app|commit|welcome)"/.test(line))).toBe(true);
    expectNoPlaintext(lines, all);

    const published = heard.map((buf) => buf.toString('latin1'));
    expect(published.some((p) => p.includes(rowAfterKick!.body.slice(0, 40)))).toBe(true);
    expectNoPlaintext(published, all);
  });

  async function adminToken(who: Account): Promise<string> {
    const res = await fetch(`${nodes[0]!.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: who.username, password: who.password }),
    });
    return ((await res.json()) as { accessToken: string }).accessToken;
  }
});
