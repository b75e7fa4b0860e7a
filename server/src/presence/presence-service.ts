import { limits, type Presence, type PresenceStatus } from '@parley/contract';
import type { Config } from '../config/load-config';
import { AppError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Fanout } from '../ports/fanout';
import type { ParleySocket } from '../realtime/socket-types';
import type { RoomService } from '../rooms/room-service';
import type { Stores } from '../storage/types';
import {
  presenceTimings,
  SWEEP_BATCH,
  type DeadNode,
  type PresenceRegistry,
} from './presence-registry';

export interface PresenceServiceDeps {
  config: Pick<Config, 'nodeId' | 'presenceTtlSeconds' | 'presenceGraceMs' | 'presenceVisibility'>;
  logger: Logger;
  stores: Stores;
  engine: { presence: PresenceRegistry };
  fanout: Fanout;
  rooms: Pick<RoomService, 'requireMember'>;
}

/** Cassandra work per swept or departing batch runs this many at a time. */
const CONCURRENCY = 32;

interface LocalUser {
  sockets: Set<string>;
  /** Pending departure: the last socket closed less than the grace period ago. */
  graceTimer?: NodeJS.Timeout;
}

/**
 * This node's side of presence: counts the node's sockets per user, tells the registry
 * when a user arrives on or leaves the node, announces online/offline transitions to the
 * user's rooms, keeps the node's heartbeat and sweeps dead nodes.
 *
 * Flapping: when a user's last socket here closes, the registry entry is kept for the
 * grace period. A reconnect within it (to this node or any other) finds the user still
 * online, so nobody sees offline-then-online.
 */
export function createPresenceService(deps: PresenceServiceDeps) {
  const { fanout, stores, rooms, logger } = deps;
  const { nodeId, presenceTtlSeconds, presenceGraceMs: graceMs } = deps.config;
  const registry = deps.engine.presence;
  const timings = presenceTimings(presenceTtlSeconds);
  const local = new Map<string, LocalUser>();
  /** Departures the registry did not take (Redis down): retried after the next good beat. */
  const unsettled = new Set<string>();
  /** Per-user announcement chain, so one user's events leave in the order they happened. */
  const chains = new Map<string, Promise<void>>();
  let closed = false;
  let failing = false;

  function registryFailed(err: unknown, what: string) {
    if (!failing)
      logger.warn(
        { err: err instanceof Error ? err.message : err, what },
        'presence registry unavailable',
      );
    failing = true;
  }

  function announce(userId: string, status: PresenceStatus, at?: Date) {
    const payload: Presence = { userId, status };
    if (at) payload.lastSeenAt = at.toISOString();
    const next = (chains.get(userId) ?? Promise.resolve())
      .then(async () => {
        const memberships = await stores.rooms.listRoomsOfUser(userId);
        if (memberships.length === 0) return;
        // One adapter emit for all the user's rooms: Socket.IO delivers once per socket.
        fanout.toRooms(
          memberships.map((m) => m.roomId),
          'presence:changed',
          payload,
        );
      })
      .catch((err: unknown) =>
        logger.warn(
          { err: err instanceof Error ? err.message : err, userId },
          'presence announce failed',
        ),
      );
    chains.set(userId, next);
    void next.finally(() => {
      if (chains.get(userId) === next) chains.delete(userId);
    });
  }

  async function arrive(userId: string) {
    try {
      const t = await registry.setPresent(nodeId, userId, true);
      let isOnline = t.isOnline;
      if (!t.nodeAlive) {
        // We were swept or Redis lost us: rejoin (re-registers everyone), then look again.
        await beat();
        [isOnline = false] = await registry.areOnline([userId]);
      }
      if (!t.wasOnline && isOnline) announce(userId, 'online');
    } catch (err) {
      registryFailed(err, 'arrive'); // restore() registers the user once Redis is back
    }
  }

  async function depart(userId: string, at: Date, retry = false) {
    try {
      const t = await registry.setPresent(nodeId, userId, false);
      unsettled.delete(userId);
      // A retried departure may find the registry rebuilt without the user (Redis restarted):
      // watchers were never told, so say it even though the registry saw no transition.
      if ((t.wasOnline || retry) && !t.isOnline) announce(userId, 'offline', at);
    } catch (err) {
      unsettled.add(userId);
      registryFailed(err, 'depart');
    }
  }

  function leave(userId: string, socketId: string) {
    const entry = local.get(userId);
    if (!entry) return;
    entry.sockets.delete(socketId);
    if (entry.sockets.size > 0 || closed) return;
    entry.graceTimer = setTimeout(() => {
      if (local.get(userId) !== entry || entry.sockets.size > 0) return;
      local.delete(userId);
      const at = new Date();
      // Cassandra keeps last-seen, so it survives a Redis restart. It is written before the
      // offline event goes out: a watcher that queries presence on that event must read
      // this last-seen, not the previous one.
      void stores.users
        .recordLastSeen(userId, at)
        .catch((err: unknown) => logger.warn({ err, userId }, 'could not record last seen'))
        .then(() => depart(userId, at));
    }, graceMs);
    entry.graceTimer.unref();
  }

  let beating: Promise<void> | undefined;
  function beat(): Promise<void> {
    beating ??= (async () => {
      try {
        if ((await registry.heartbeat(nodeId, timings.lifetimeMs)) === 'rejoined') {
          await registry.restore(nodeId, timings.lifetimeMs, [...local.keys()]);
          if (local.size > 0) logger.info({ users: local.size }, 'presence re-registered');
        }
        failing = false;
        for (const userId of [...unsettled]) {
          if (local.has(userId)) unsettled.delete(userId);
          else await depart(userId, new Date(), true);
        }
      } catch (err) {
        registryFailed(err, 'heartbeat');
      }
    })().finally(() => {
      beating = undefined;
    });
    return beating;
  }

  async function sweepNode(dead: DeadNode) {
    let total = 0;
    for (;;) {
      const { offline, done } = await registry.sweepNode(dead.nodeId, SWEEP_BATCH);
      total += offline.length;
      await forEachLimited(offline, CONCURRENCY, async (userId) => {
        // The node's last heartbeat is the last moment we know the user was connected.
        await stores.users.recordLastSeen(userId, dead.lastBeatAt).catch(() => undefined);
        announce(userId, 'offline', dead.lastBeatAt);
      });
      if (done) break;
    }
    logger.info({ deadNode: dead.nodeId, offline: total }, 'presence: swept dead node');
  }

  // Kept so close() can wait for a sweep in flight: a node that says 'stopped' is done.
  let sweeping: Promise<void> | undefined;
  function sweep(): Promise<void> {
    sweeping ??= (async () => {
      try {
        if (!(await registry.tryLockSweep(nodeId, timings.sweepEveryMs))) return;
        for (const dead of await registry.deadNodes()) {
          if (closed) return; // the next sweeper (another node) takes the rest
          // Our own expiry means we stalled: our next beat rejoins and restores our users.
          if (dead.nodeId !== nodeId) await sweepNode(dead);
        }
      } catch (err) {
        registryFailed(err, 'sweep');
      }
    })().finally(() => {
      sweeping = undefined;
    });
    return sweeping;
  }

  const heartbeatTimer = setInterval(() => void beat(), timings.heartbeatEveryMs).unref();
  const sweepTimer = setInterval(() => void sweep(), timings.sweepEveryMs).unref();
  const stopResetListener = registry.onReset(() => void beat());
  void beat();

  /** The ids that share at least one room with the caller (the caller always sees itself). */
  async function visibleTo(callerId: string, ids: string[]): Promise<string[]> {
    const mine = new Set((await stores.rooms.listRoomsOfUser(callerId)).map((m) => m.roomId));
    const visible = new Set<string>([callerId]);
    await forEachLimited(ids, CONCURRENCY, async (userId) => {
      if (userId === callerId) return;
      const theirs = await stores.rooms.listRoomsOfUser(userId);
      if (theirs.some((m) => mine.has(m.roomId))) visible.add(userId);
    });
    return ids.filter((id) => visible.has(id));
  }

  return {
    /** Counts a freshly connected socket; its disconnect starts the grace period. */
    track(socket: ParleySocket) {
      const { userId } = socket.data;
      let entry = local.get(userId);
      if (entry?.graceTimer) {
        clearTimeout(entry.graceTimer); // back within the grace period: nothing changed
        entry.graceTimer = undefined;
      }
      if (!entry) {
        entry = { sockets: new Set() };
        local.set(userId, entry);
        void arrive(userId);
      }
      entry.sockets.add(socket.id);
      socket.once('disconnect', () => leave(userId, socket.id));
    },

    /**
     * `presence:query`: by room (members only; online members first, at most `limit`) or by
     * ids (≤ limit, in the order asked). With PRESENCE_VISIBILITY=shared-room (the default) a user's
     * presence and last-seen are visible only to users who share a room with them: ids that
     * do not are left out of the answer.
     */
    async query(callerId: string, q: { userIds?: string[]; roomId?: string }): Promise<Presence[]> {
      let ids: string[];
      if (q.roomId !== undefined) {
        await rooms.requireMember(q.roomId, callerId);
        ids = (await stores.rooms.listMembers(q.roomId)).map((m) => m.userId);
      } else {
        ids = [...new Set(q.userIds ?? [])];
        if (deps.config.presenceVisibility === 'shared-room') ids = await visibleTo(callerId, ids);
      }
      let statuses: boolean[];
      try {
        statuses = await registry.areOnline(ids);
      } catch (err) {
        registryFailed(err, 'query');
        throw new AppError('UNAVAILABLE', 'presence is temporarily unavailable');
      }
      const all = ids.map((userId, i) => ({ userId, online: statuses[i] === true }));
      // A room's answer lists online members first at every size ("who is here" from the
      // head); an id query answers in the order asked.
      const entries = (
        q.roomId !== undefined
          ? [...all.filter((e) => e.online), ...all.filter((e) => !e.online)]
          : all
      ).slice(0, limits.presenceQueryMaxIds);
      const result: Presence[] = [];
      await forEachLimited(entries, CONCURRENCY, async ({ userId, online }) => {
        if (online) return;
        const user = await stores.users.findUserById(userId);
        const lastSeenAt = user?.lastSeenAt?.toISOString();
        result.push(
          lastSeenAt ? { userId, status: 'offline', lastSeenAt } : { userId, status: 'offline' },
        );
      });
      const offline = new Map(result.map((p) => [p.userId, p]));
      return entries.map(
        ({ userId, online }) =>
          (online ? { userId, status: 'online' } : offline.get(userId)) as Presence,
      );
    },

    /** Users this node counts as present (their sockets here, or within the grace period). */
    localUserCount: () => local.size,

    /**
     * Stops timers and hands this node's users over: with other nodes alive they stay
     * online for the grace period (clients reconnect elsewhere) and a sweeper removes the
     * rest; alone, we remove our entries ourselves.
     */
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeatTimer);
      clearInterval(sweepTimer);
      stopResetListener();
      const users = [...local.keys()];
      for (const entry of local.values()) clearTimeout(entry.graceTimer);
      local.clear();
      const at = new Date();
      try {
        if ((await registry.retire(nodeId, graceMs)) === 'alone')
          await sweepNode({ nodeId, lastBeatAt: at });
      } catch (err) {
        // Redis down: our deadline lapses by itself and another node's sweeper cleans up.
        registryFailed(err, 'retire');
      }
      await forEachLimited(users, CONCURRENCY, (userId) =>
        stores.users.recordLastSeen(userId, at).catch(() => undefined),
      );
      await Promise.allSettled([beating, sweeping]);
      await Promise.allSettled([...chains.values()]);
    },
  };
}
export type PresenceService = ReturnType<typeof createPresenceService>;

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += limit) {
    await Promise.all(items.slice(i, i + limit).map(work));
  }
}
