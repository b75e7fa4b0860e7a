import type { Auth } from '../auth/create-auth';
import { createMessageService } from '../messages/message-service';
import { registerPresenceHandlers } from '../presence/presence-handlers';
import { createPresenceService } from '../presence/presence-service';
import type { NodeContext } from '../ports/node-context';
import { createRoomService } from '../rooms/room-service';
import { registerChatHandlers } from './chat-handlers';
import { answerUnknownEvents } from './handle-request';
import { roomChannel, type ParleyServer, type ParleySocket } from './socket-types';

export interface RealtimeDeps extends NodeContext {
  /** The transport itself: the socket lifecycle lives here, the domain uses `fanout`. */
  io: ParleyServer;
  auth: Auth;
}

function drainingError() {
  return Object.assign(new Error('node is draining'), {
    data: { code: 'UNAVAILABLE', message: 'node is draining; reconnect' },
  });
}

/** Wires the socket events of every capability and owns the node's live-socket lifecycle. */
export function registerRealtime(deps: RealtimeDeps) {
  const { io, metrics, logger, stores } = deps;
  const inFlight = new Set<Promise<unknown>>();
  let draining = false;

  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work)).catch(() => undefined);
    return work;
  };
  const rooms = createRoomService(deps);
  const messages = createMessageService(deps);
  const presence = createPresenceService({ ...deps, rooms });
  // Cluster-wide (Redis in a cluster), so a user's second tab or node shares the budget.
  const typingLimiter = deps.engine.createRateLimiter({
    keyPrefix: 'typing',
    points: 1,
    durationSeconds: 1,
  });

  /** Puts the socket in the channel of every room its user belongs to, from Cassandra. */
  async function joinMemberRooms(socket: ParleySocket) {
    const memberships = await stores.rooms.listRoomsOfUser(socket.data.userId);
    const wanted = new Set(memberships.map((m) => roomChannel(m.roomId)));
    for (const channel of socket.rooms) {
      if (channel.startsWith('room:') && !wanted.has(channel)) void socket.leave(channel);
    }
    await socket.join([...wanted]);
  }

  // Join room channels before the connection completes, so no message published after
  // the client sees `connect` can miss its socket. A failure does not refuse the socket:
  // it is told to resync instead.
  const roomsNotLoaded = new WeakSet<ParleySocket>();
  io.use((socket, next) => {
    // A draining node takes no new sockets: the client tries another node at once.
    if (draining) return next(drainingError());
    joinMemberRooms(socket).then(
      // Draining may have begun while rooms were loading: refuse rather than accept a
      // socket that the shutdown would drop without a word.
      () => (draining ? next(drainingError()) : next()),
      (err: unknown) => {
        logger.warn(
          { err: err instanceof Error ? err.message : err },
          'could not load rooms at connect',
        );
        roomsNotLoaded.add(socket);
        next();
      },
    );
  });

  io.on('connection', (socket) => {
    if (draining) {
      socket.emit('server:draining', { reconnectInMs: 0 });
      socket.disconnect(true);
      return;
    }
    metrics.connections.inc();
    socket.on('disconnect', () => metrics.connections.dec());
    answerUnknownEvents({ socket, metrics });
    registerChatHandlers(socket, {
      logger,
      metrics,
      rooms,
      messages,
      track,
      typingLimiter,
      authzRecheckMs: deps.config.authzRecheckMs,
    });
    registerPresenceHandlers(socket, { logger, metrics, presence });
    if (roomsNotLoaded.has(socket)) {
      socket.emit('sync:required', { reason: 'room membership could not be loaded' });
    }
  });

  return {
    rooms,
    messages,
    track,
    /** Our sockets may have missed pub/sub events: refresh their channels and tell them to catch up. */
    resyncLocalSockets(reason: string) {
      logger.warn({ reason }, 'pub/sub gap: telling local sockets to resync from history');
      for (const socket of io.of('/').sockets.values()) {
        void joinMemberRooms(socket)
          .catch(() => undefined)
          .then(() => socket.emit('sync:required', { reason }));
      }
    },
    async drain(timeoutMs: number) {
      draining = true;
      io.local.emit('server:draining', { reconnectInMs: 0 });
      const deadline = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]), deadline]);
      io.local.disconnectSockets(true);
      await presence.close();
    },
  };
}
export type Realtime = ReturnType<typeof registerRealtime>;
