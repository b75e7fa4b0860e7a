import { coalesceWritesPerTick } from './coalesce-writes';
import type { Auth } from '../auth/create-auth';
import { createKeyDirectoryService } from '../e2ee/key-directory-service';
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
  const keys = createKeyDirectoryService(deps);
  const presence = createPresenceService({ ...deps, rooms });
  metrics.sources.localUsers = () => presence.localUserCount();
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
    // Every line about this socket carries its connection id (and the user).
    const log = logger.child({ conn: socket.id, userId: socket.data.userId });
    const reconnect = (socket.handshake.auth as { reconnect?: unknown }).reconnect === true;
    const openedAt = Date.now();
    metrics.connections.inc();
    metrics.connects.inc({ kind: reconnect ? 'reconnect' : 'first' });
    log.info(
      {
        reqId: socket.handshake.headers['x-request-id'],
        ip: socket.handshake.address,
        transport: socket.conn.transport.name,
        reconnect,
      },
      'socket connected',
    );
    socket.on('disconnect', (reason) => {
      metrics.connections.dec();
      metrics.disconnects.inc({ reason });
      log.info({ reason, ms: Date.now() - openedAt }, 'socket disconnected');
    });
    if (deps.config.coalesceSocketWrites) coalesceWritesPerTick(socket);
    answerUnknownEvents({ socket, metrics });
    registerChatHandlers(socket, {
      logger: log,
      metrics,
      rooms,
      messages,
      keys,
      track,
      typingLimiter,
      authzRecheckMs: deps.config.authzRecheckMs,
    });
    registerPresenceHandlers(socket, { logger: log, metrics, presence });
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
    /**
     * Tells our clients to move, finishes the writes in flight and closes the sockets so
     * that clients reconnect (through the load balancer, to another node).
     */
    async drain(timeoutMs: number) {
      draining = true;
      const deadline = Date.now() + timeoutMs;
      logger.info(
        { sockets: io.of('/').sockets.size, inFlight: inFlight.size },
        'drain: telling clients to move',
      );
      io.local.emit('server:draining', { reconnectInMs: 0 });
      // Clients that honour server:draining leave at once. One that keeps sending keeps
      // work in flight for ever, so moving gets half the budget: the writes still in flight
      // when the sockets close must have the other half to finish.
      await settle(inFlight, Math.min(deadline, Date.now() + timeoutMs / 2));
      // Close the transport rather than `socket.disconnect()`: a standard socket.io-client
      // sees "transport close" and reconnects by itself, while "io server disconnect"
      // would leave it disconnected for good.
      for (const socket of io.of('/').sockets.values()) socket.conn.close();
      // Requests that arrived just before the close: their acks are lost, but the write
      // must still finish before storage closes (the SDK's retry then finds it done).
      await settle(inFlight, deadline);
      await presence.close();
      logger.info({ unfinished: inFlight.size }, 'drain: sockets closed, presence handed over');
    },
  };
}
export type Realtime = ReturnType<typeof registerRealtime>;

/** Waits until no tracked work is left (new work may join while we wait), or the deadline. */
async function settle(inFlight: Set<Promise<unknown>>, deadline: number) {
  while (inFlight.size > 0 && Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, deadline - Date.now());
    });
    await Promise.race([Promise.allSettled([...inFlight]), timeout]);
    clearTimeout(timer);
  }
}
