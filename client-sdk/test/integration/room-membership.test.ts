import type { RoomSummary } from '@parley/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { signUp } from '../../../server/test/helpers/http-client';
import { createTestCluster } from '../../../server/test/helpers/start-node';
import type { Message, ParleyClient } from '../../src/index';
import { type Account, expectExactlyOnceInOrder, inbox, sdkClient } from './helpers';

const clients: ParleyClient[] = [];
const clusters: ReturnType<typeof createTestCluster>[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const c of clusters.splice(0)) await c.stopAll();
});

async function setup() {
  const cluster = createTestCluster();
  clusters.push(cluster);
  const [a, b] = [await cluster.startNode(), await cluster.startNode()];
  const account = async (): Promise<Account> => {
    const pair = await signUp(a.url);
    return { username: pair.user.username, password: pair.password, id: pair.user.id };
  };
  const [alice, bob] = [await account(), await account()];
  // On different nodes: room:added travels through the cluster to bob's node.
  const sa = sdkClient(a.url, alice);
  const sb = sdkClient(b.url, bob);
  clients.push(sa, sb);
  await Promise.all([sa.status.waitFor('connected'), sb.status.waitFor('connected')]);
  return { alice, bob, sa, sb, urls: [a.url, b.url] as const };
}

function nextAdded(client: ParleyClient, roomId: string): Promise<RoomSummary> {
  return new Promise((resolve) => {
    const off = client.on('room:added', (summary) => {
      if (summary.id !== roomId) return;
      off();
      resolve(summary);
    });
  });
}

describe('rooms the user is added to by someone else (room:added), real nodes', () => {
  it('an invited member has the room position at once and gets what follows in order, nothing older', async () => {
    const { bob, sa, sb } = await setup();
    const room = await sa.rooms.create({ name: 'later' });
    await sa.room(room.id).send('before 1');
    await sa.room(room.id).send('before 2');
    const late: Message[] = [];
    sb.on('message:late', (m) => late.push(m));
    const added = nextAdded(sb, room.id);
    await sa.rooms.invite(room.id, [bob.id]);

    const summary = await added;
    expect(summary.lastSeq).toBe(2);
    expect(sb.room(room.id).position).toBe(2); // before any message of the room reached bob
    const atBob = inbox(sb, room.id);
    await sa.room(room.id).send('after');
    expectExactlyOnceInOrder(await atBob.atLeast(1), ['after']);
    expect(late).toEqual([]);
  });

  it('a member added at creation starts at 0 and gets every message exactly once', async () => {
    const { bob, sa, sb } = await setup();
    const added = new Promise<RoomSummary>((resolve) => sb.on('room:added', resolve));
    const room = await sa.rooms.create({ name: 'with bob', memberIds: [bob.id] });
    expect((await added).id).toBe(room.id);
    expect(sb.room(room.id).position).toBe(0);
    const atBob = inbox(sb, room.id);
    for (const body of ['one', 'two', 'three']) await sa.room(room.id).send(body);
    expectExactlyOnceInOrder(await atBob.atLeast(3), ['one', 'two', 'three']);
  });

  it('room:removed stops the room feed on the member’s other sessions', async () => {
    const { bob, sa, sb, urls } = await setup();
    const room = await sa.rooms.create({ name: 'leaving', memberIds: [bob.id] });
    await sb.rooms.list(); // bob's first session knows the room
    expect(sb.room(room.id).position).toBe(0);
    const removed = new Promise<{ roomId: string; reason: string }>((resolve) =>
      sb.on('room:removed', resolve),
    );
    const phone = sdkClient(urls[0], bob); // bob's second session, on the other node
    clients.push(phone);
    await phone.status.waitFor('connected');
    await phone.rooms.leave(room.id);
    expect(await removed).toEqual({ roomId: room.id, reason: 'left' });
    expect(sb.room(room.id).position).toBeUndefined();
  });
});
