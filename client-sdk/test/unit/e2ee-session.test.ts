import { IDBFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../../../server/test/helpers/http-client';
import { startEmbeddedNode, type TestNode } from '../../../server/test/helpers/start-node';
import {
  E2eeSession,
  type E2eeKeyStore,
  type E2eeMessage,
  type IdbFactory,
  IndexedDbKeyStore,
  isParleyError,
  MemoryKeyStore,
  type ParleyClient,
} from '../../src/index';
import { type Account, sdkClient, settled } from '../integration/helpers';

/** The SDK's MLS session against one embedded node: DMs, the commit race, bad input. */
describe('E2eeSession (embedded node)', () => {
  let node: TestNode;
  const clients: ParleyClient[] = [];
  const sessions: E2eeSession[] = [];
  beforeAll(async () => {
    node = await startEmbeddedNode();
  });
  afterAll(async () => {
    for (const s of sessions) s.close();
    for (const c of clients) c.close();
    await node.stop();
  });

  async function device(existing?: Account, store: E2eeKeyStore = new MemoryKeyStore()) {
    const pair = existing ? undefined : await signUp(node.url);
    const account: Account = existing ?? {
      username: pair!.user.username,
      password: pair!.password,
      id: pair!.user.id,
    };
    const client = sdkClient(node.url, account);
    clients.push(client);
    await client.status.waitFor('connected');
    const session = await E2eeSession.start(client, { store });
    sessions.push(session);
    const read: E2eeMessage[] = [];
    session.onMessage((m) => read.push(m));
    return { account, client, session, read };
  }
  type Device = Awaited<ReturnType<typeof device>>;
  const texts = (d: Device) => d.read.flatMap((m) => ('text' in m ? [m.text] : []));
  /** Resolves once `check` holds: re-checked on every message and epoch change of any device. */
  function until(check: () => boolean) {
    return settled(sessions, check);
  }

  it('an E2EE DM: the opener makes the group, the peer joins by Welcome, both read', async () => {
    const [a, b] = [await device(), await device()];
    const room = await a.session.openDm(b.account.id);
    expect(room).toMatchObject({ kind: 'dm', e2ee: true });
    // The peer opening it too finds the same room and waits for the Welcome.
    expect((await b.session.openDm(a.account.id)).id).toBe(room.id);
    await until(() => b.session.members(room.id).length === 2);
    await a.session.send(room.id, 'hi bob');
    await b.session.send(room.id, 'hi alice');
    await until(() => texts(a).length === 2 && texts(b).length === 2);
    expect(texts(a)).toEqual(['hi bob', 'hi alice']);
    expect(texts(b)).toEqual(['hi bob', 'hi alice']);
    // The plain DM of the pair is another room and stays plaintext.
    const plain = await a.client.rooms.openDm(b.account.id);
    expect(plain.id).not.toBe(room.id);
    expect(plain.e2ee).toBeUndefined();
  });

  it('two members commit in one epoch: the first in room order wins, the other retries', async () => {
    const [a, b, c, d] = [await device(), await device(), await device(), await device()];
    const room = await a.session.createRoom('race', [b.account.id]);
    await until(() => b.session.members(room.id).length === 2);
    await a.client.request('room:invite', {
      roomId: room.id,
      userIds: [c.account.id, d.account.id],
    });
    const outcomes = await Promise.allSettled([
      a.session.addDevices(room.id, [c.account.id]),
      b.session.addDevices(room.id, [d.account.id]),
    ]);
    const lost = outcomes.filter((o) => o.status === 'rejected');
    // Usually one loses (CONFLICT, retryable); if one finished before the other began,
    // both win in turn. Either way nobody is left in a different epoch.
    for (const o of lost) {
      const reason = (o as PromiseRejectedResult).reason as unknown;
      expect(isParleyError(reason) && reason.code).toBe('CONFLICT');
    }
    if (lost.length > 0) {
      const retry = outcomes[0]!.status === 'rejected' ? a : b;
      const who = retry === a ? c : d;
      expect(await retry.session.addDevices(room.id, [who.account.id])).toBe(1);
    }
    await until(() => [a, b, c, d].every((x) => x.session.members(room.id).length === 4));
    const epochs = new Set([a, b, c, d].map((x) => x.session.epoch(room.id)));
    expect(epochs.size).toBe(1);
    await c.session.send(room.id, 'from c');
    await d.session.send(room.id, 'from d');
    await until(() => [a, b, c, d].every((x) => texts(x).length === 2));
    for (const x of [a, b, c, d]) expect(texts(x)).toEqual(['from c', 'from d']);
  });

  it('a device that restarts on its IndexedDB store keeps its id and its groups', async () => {
    const store = new IndexedDbKeyStore('restart', new IDBFactory() as unknown as IdbFactory);
    const a = await device();
    const b = await device(undefined, store);
    const room = await a.session.createRoom('restart', [b.account.id]);
    await until(() => b.session.members(room.id).length === 2);
    const deviceId = b.session.deviceId;
    b.session.close();
    b.client.close();
    // "Reload": a new client and session on the same store.
    const again = await device(b.account, store);
    expect(again.session.deviceId).toBe(deviceId);
    expect(again.session.members(room.id)).toEqual([]); // loaded lazily, on the first message
    await a.session.send(room.id, 'after the reload');
    await until(() => texts(again).length === 1);
    expect(texts(again)).toEqual(['after the reload']);
    await store.close();
  });

  it('a member who left while everyone was offline is removed when a member comes back', async () => {
    const store = new MemoryKeyStore();
    const [a, b, c] = [await device(undefined, store), await device(), await device()];
    const room = await a.session.createRoom('offline', [b.account.id, c.account.id]);
    await until(() => [b, c].every((x) => x.session.members(room.id).length === 3));
    for (const x of [a, b]) {
      x.session.close();
      x.client.close();
    }
    await c.client.request('room:leave', { roomId: room.id });
    // Alice comes back on the same keys: her session notices Carol is gone and commits.
    const back = await device(a.account, store);
    await until(() => {
      const ids = back.session.members(room.id).map((x) => x.userId);
      return ids.length === 2 && !ids.includes(c.account.id);
    });
    const sent = await back.session.send(room.id, 'carol is gone');
    const atCarol = await c.session.decrypt({ ...sent, clientMsgId: crypto.randomUUID() });
    expect(atCarol).toMatchObject({ undecryptable: true, reason: 'removed' });
  });

  it('never throws on what it cannot read', async () => {
    const a = await device();
    const room = await a.session.createRoom('solo');
    const sent = await a.session.send(room.id, 'x');
    const bad = { ...sent, clientMsgId: crypto.randomUUID(), body: 'AAAA' };
    expect(await a.session.decrypt(bad)).toMatchObject({
      undecryptable: true,
      reason: 'malformed',
    });
    const foreign = { ...sent, roomId: crypto.randomUUID() };
    expect(await a.session.decrypt(foreign)).toMatchObject({
      undecryptable: true,
      reason: 'not-in-group',
    });
    const plaintext = await a.client.request('room:create', { name: 'plain' });
    await expect(a.client.send(plaintext.id, 'AAAA', { kind: 'mls-app' })).rejects.toMatchObject({
      code: 'ROOM_NOT_E2EE',
    });
    await expect(a.client.send(room.id, 'plain text')).rejects.toMatchObject({
      code: 'ROOM_IS_E2EE',
    });
  });
});
