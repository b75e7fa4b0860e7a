import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Presence } from '@parley/contract';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/observability/logger';
import { createMemoryPresence } from '../../src/presence/memory-presence';
import type { PresenceRegistry } from '../../src/presence/presence-registry';
import { presenceTimings } from '../../src/presence/presence-registry';
import { createPresenceService } from '../../src/presence/presence-service';
import type { ParleySocket } from '../../src/realtime/socket-types';
import { AppError } from '../../src/errors';
import { createMemoryStores } from '../../src/storage/memory/memory-stores';
import type { Stores } from '../../src/storage/types';
import { recordingFanout } from '../helpers/recording-fanout';

const logger = createLogger({ logLevel: 'silent', nodeId: 'unit' });
const TTL_SECONDS = 4;
const GRACE_MS = 1_000;

/** Every presence announcement a node made: which rooms, which payload. */
function presenceEvents() {
  const fanout = recordingFanout();
  const events: { rooms: string[]; presence: Presence }[] = [];
  const record = fanout.toRooms.bind(fanout);
  fanout.toRooms = (rooms, event, payload) => {
    record(rooms, event, payload);
    if (event === 'presence:changed') events.push({ rooms, presence: payload as Presence });
  };
  return { fanout, events };
}

let sockets = 0;
function fakeSocket(userId: string) {
  const socket = Object.assign(new EventEmitter(), {
    id: `s${++sockets}`,
    data: { userId },
  });
  return {
    socket: socket as unknown as ParleySocket,
    close: () => socket.emit('disconnect', 'client namespace disconnect'),
  };
}

/** A "node": one presence service over a registry shared with the other nodes. */
function startNode(nodeId: string, registry: PresenceRegistry, stores: Stores) {
  const { fanout, events } = presenceEvents();
  const service = createPresenceService({
    config: {
      nodeId,
      presenceTtlSeconds: TTL_SECONDS,
      presenceGraceMs: GRACE_MS,
      presenceVisibility: 'shared-room',
    },
    logger,
    stores,
    engine: { presence: registry },
    fanout,
    rooms: {
      requireMember: async (roomId, userId) => {
        const member = await stores.rooms.findMember(roomId, userId);
        if (!member) throw new AppError('FORBIDDEN', 'not a member of this room');
        return member;
      },
    },
  });
  return { service, events };
}

async function seedUsersInRoom(stores: Stores, count: number) {
  const ids = Array.from({ length: count }, () => randomUUID());
  for (const id of ids) {
    await stores.users.createUser({
      id,
      username: `u${id.slice(0, 8)}`,
      passwordHash: 'x',
      roles: ['user'],
      createdAt: new Date(),
    });
  }
  const roomId = randomUUID();
  await stores.rooms.createRoom(
    {
      id: roomId,
      kind: 'group',
      name: 'r',
      createdBy: ids[0]!,
      createdAt: new Date().toISOString(),
    },
    ids.map((userId, i) => ({ userId, role: i === 0 ? 'owner' : 'member' })),
  );
  return { ids, roomId };
}

describe('presence service (memory registry, fake clock)', () => {
  let stores: Stores;
  let registry: PresenceRegistry;

  beforeEach(() => {
    vi.useFakeTimers();
    stores = createMemoryStores();
    registry = createMemoryPresence();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('announces online once per user, to all the user rooms in one emit', async () => {
    const { ids, roomId } = await seedUsersInRoom(stores, 2);
    const node = startNode('a', registry, stores);
    const [alice] = ids as [string];
    node.service.track(fakeSocket(alice).socket);
    node.service.track(fakeSocket(alice).socket); // second tab: no registry write, no event
    await vi.advanceTimersByTimeAsync(10);
    expect(node.events).toEqual([
      { rooms: [roomId], presence: { userId: alice, status: 'online' } },
    ]);
    await node.service.close();
  });

  it('keeps a multi-device user online until the last socket closes, then waits out the grace', async () => {
    const { ids } = await seedUsersInRoom(stores, 1);
    const [alice] = ids as [string];
    const node = startNode('a', registry, stores);
    const phone = fakeSocket(alice);
    const laptop = fakeSocket(alice);
    node.service.track(phone.socket);
    node.service.track(laptop.socket);
    await vi.advanceTimersByTimeAsync(10);
    phone.close();
    await vi.advanceTimersByTimeAsync(GRACE_MS * 2);
    expect(node.events.map((e) => e.presence.status)).toEqual(['online']);
    expect(await registry.areOnline([alice])).toEqual([true]);

    laptop.close();
    await vi.advanceTimersByTimeAsync(GRACE_MS - 10);
    expect(node.events.map((e) => e.presence.status)).toEqual(['online']); // still in grace
    await vi.advanceTimersByTimeAsync(20);
    expect(node.events.map((e) => e.presence.status)).toEqual(['online', 'offline']);
    const offline = node.events[1]!.presence;
    expect(offline.lastSeenAt).toBeDefined();
    expect((await stores.users.findUserById(alice))?.lastSeenAt?.toISOString()).toBe(
      offline.lastSeenAt,
    );
    expect(await registry.areOnline([alice])).toEqual([false]);
    await node.service.close();
  });

  it('writes last-seen before it announces offline, so a watcher reads the new one', async () => {
    const { ids } = await seedUsersInRoom(stores, 1);
    const [alice] = ids as [string];
    // A slow Cassandra: the last-seen write completes only when the test says so.
    let finishWrite!: () => void;
    const written = new Promise<void>((resolve) => (finishWrite = resolve));
    const record = stores.users.recordLastSeen.bind(stores.users);
    stores.users.recordLastSeen = async (userId, at) => {
      await written;
      await record(userId, at);
    };
    const node = startNode('a', registry, stores);
    const phone = fakeSocket(alice);
    node.service.track(phone.socket);
    await vi.advanceTimersByTimeAsync(10);
    phone.close();
    await vi.advanceTimersByTimeAsync(GRACE_MS + 100);
    expect(node.events.map((e) => e.presence.status)).toEqual(['online']); // not yet
    finishWrite();
    await vi.advanceTimersByTimeAsync(10);
    const offline = node.events[1]?.presence;
    expect(offline?.status).toBe('offline');
    expect((await stores.users.findUserById(alice))?.lastSeenAt?.toISOString()).toBe(
      offline?.lastSeenAt,
    );
    await node.service.close();
  });

  it('does not flap: a reconnect within the grace period, on this node or another, emits nothing', async () => {
    const { ids } = await seedUsersInRoom(stores, 1);
    const [alice] = ids as [string];
    const a = startNode('a', registry, stores);
    const b = startNode('b', registry, stores);
    const first = fakeSocket(alice);
    a.service.track(first.socket);
    await vi.advanceTimersByTimeAsync(10);
    // Five quick reconnects to the same node.
    let current = first;
    for (let i = 0; i < 5; i++) {
      current.close();
      await vi.advanceTimersByTimeAsync(GRACE_MS / 2);
      current = fakeSocket(alice);
      a.service.track(current.socket);
    }
    // Then it moves to node B (the load balancer picked another node).
    current.close();
    await vi.advanceTimersByTimeAsync(GRACE_MS / 2);
    const onB = fakeSocket(alice);
    b.service.track(onB.socket);
    await vi.advanceTimersByTimeAsync(GRACE_MS * 3);
    expect([...a.events, ...b.events].map((e) => e.presence.status)).toEqual(['online']);
    expect(await registry.areOnline([alice])).toEqual([true]);
    await Promise.all([a.service.close(), b.service.close()]);
  });

  it('marks the users of a crashed node offline within the TTL, without the dead node', async () => {
    const { ids } = await seedUsersInRoom(stores, 2);
    const [alice, bob] = ids as [string, string];
    // Node A's registry access dies with it: every call fails from the crash on.
    let crashed = false;
    const viaA = new Proxy(registry, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || property === 'onReset') return value;
        return (...args: unknown[]) =>
          crashed
            ? Promise.reject(new Error('node A is dead'))
            : (value as (...a: unknown[]) => unknown).apply(target, args);
      },
    });
    const a = startNode('a', viaA, stores);
    const b = startNode('b', registry, stores);
    a.service.track(fakeSocket(alice).socket);
    b.service.track(fakeSocket(bob).socket);
    await vi.advanceTimersByTimeAsync(10);
    expect(await registry.areOnline([alice, bob])).toEqual([true, true]);

    crashed = true;
    const crashAt = Date.now();
    const ttlMs = TTL_SECONDS * 1000;
    const { lifetimeMs } = presenceTimings(TTL_SECONDS);
    await vi.advanceTimersByTimeAsync(lifetimeMs - 300);
    expect(await registry.areOnline([alice])).toEqual([true]); // not yet expired
    const offline = () => b.events.filter((e) => e.presence.status === 'offline');
    for (let t = 0; t < ttlMs && offline().length === 0; t += 25)
      await vi.advanceTimersByTimeAsync(25);
    const detectedAfter = Date.now() - crashAt;
    expect(offline().map((e) => e.presence.userId)).toEqual([alice]);
    expect(detectedAfter).toBeLessThanOrEqual(ttlMs);
    expect(await registry.areOnline([alice, bob])).toEqual([false, true]);
    expect(await registry.deadNodes()).toEqual([]); // swept
    await b.service.close();
  });

  it('hands over on close: users that reconnect elsewhere within the grace never look offline', async () => {
    const { ids } = await seedUsersInRoom(stores, 2);
    const [alice, bob] = ids as [string, string];
    const a = startNode('a', registry, stores);
    const b = startNode('b', registry, stores);
    const aliceOnA = fakeSocket(alice);
    a.service.track(aliceOnA.socket);
    a.service.track(fakeSocket(bob).socket);
    await vi.advanceTimersByTimeAsync(10);
    aliceOnA.close();
    await a.service.close(); // drain: Alice reconnects to B, Bob does not come back
    b.service.track(fakeSocket(alice).socket);
    await vi.advanceTimersByTimeAsync(GRACE_MS + presenceTimings(TTL_SECONDS).sweepEveryMs * 2);
    const statuses = b.events.map((e) => [e.presence.userId, e.presence.status]);
    expect(statuses).toEqual([[bob, 'offline']]);
    expect(await registry.areOnline([alice, bob])).toEqual([true, false]);
    await b.service.close();
  });

  it('close() waits for a sweep in flight, so nothing of the node runs after it stopped', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let sweepStarted = false;
    // A dead node 'z' whose sweep is slow (a large node, a slow Redis).
    const slow: PresenceRegistry = Object.assign(Object.create(registry) as PresenceRegistry, {
      tryLockSweep: async () => true,
      deadNodes: async () => [{ nodeId: 'z', lastBeatAt: new Date() }],
      sweepNode: async (nodeId: string, batch: number) => {
        if (nodeId !== 'z') return registry.sweepNode(nodeId, batch); // its own, on close
        sweepStarted = true;
        await gate;
        return { offline: [], done: true };
      },
    });
    const node = startNode('a', slow, stores);
    await vi.advanceTimersByTimeAsync(presenceTimings(TTL_SECONDS).sweepEveryMs + 10);
    expect(sweepStarted).toBe(true);
    let closed = false;
    const closing = node.service.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(100);
    expect(closed).toBe(false);
    openGate();
    await closing;
    expect(closed).toBe(true);
  });

  it('answers queries by ids and by room (members only), online first and capped', async () => {
    const { ids, roomId } = await seedUsersInRoom(stores, 3);
    const [alice, bob, carol] = ids as [string, string, string];
    await stores.users.recordLastSeen(carol, new Date('2024-01-02T03:04:05.000Z'));
    const node = startNode('a', registry, stores);
    node.service.track(fakeSocket(bob).socket);
    await vi.advanceTimersByTimeAsync(10);
    expect(await node.service.query(alice, { userIds: [bob, carol, bob] })).toEqual([
      { userId: bob, status: 'online' },
      { userId: carol, status: 'offline', lastSeenAt: '2024-01-02T03:04:05.000Z' },
    ]);
    const byRoom = await node.service.query(alice, { roomId });
    expect(byRoom.map((p) => [p.userId, p.status]).sort()).toEqual(
      [
        [alice, 'offline'],
        [bob, 'online'],
        [carol, 'offline'],
      ].sort(),
    );
    await expect(node.service.query(randomUUID(), { roomId })).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    await node.service.close();
  });

  it('caps a large room query and lists online members first', async () => {
    const { ids, roomId } = await seedUsersInRoom(stores, 230);
    const node = startNode('a', registry, stores);
    const online = ids.slice(200);
    for (const id of online) node.service.track(fakeSocket(id).socket);
    await vi.advanceTimersByTimeAsync(10);
    const result = await node.service.query(ids[0]!, { roomId });
    expect(result).toHaveLength(200);
    expect(
      result
        .slice(0, 30)
        .map((p) => p.userId)
        .sort(),
    ).toEqual([...online].sort());
    expect(result.slice(0, 30).every((p) => p.status === 'online')).toBe(true);
    await node.service.close();
  });
});

describe('memory presence registry', () => {
  it('counts a user online while any entry belongs to a live node', async () => {
    let clock = 1_000;
    const registry = createMemoryPresence(() => clock);
    await registry.heartbeat('a', 100);
    await registry.heartbeat('b', 1_000);
    expect(await registry.setPresent('a', 'u', true)).toEqual({
      wasOnline: false,
      isOnline: true,
      nodeAlive: true,
    });
    expect(await registry.setPresent('b', 'u', true)).toMatchObject({ wasOnline: true });
    expect(await registry.setPresent('b', 'u', false)).toMatchObject({
      wasOnline: true,
      isOnline: true,
    });
    clock += 101; // node a expires: nobody wrote anything
    expect(await registry.areOnline(['u'])).toEqual([false]);
    expect(await registry.heartbeat('a', 100)).toBe('rejoined');
    expect(await registry.areOnline(['u'])).toEqual([true]);
    clock += 101;
    expect(await registry.tryLockSweep('b', 50)).toBe(true);
    expect(await registry.tryLockSweep('c', 50)).toBe(false);
    expect((await registry.deadNodes()).map((d) => d.nodeId)).toEqual(['a']);
    expect(await registry.sweepNode('a', 10)).toEqual({ offline: ['u'], done: true });
    expect(await registry.deadNodes()).toEqual([]);
  });
});
