import type { Fanout } from '../ports/fanout';
import { roomChannel, sessionChannel, userChannel, type ParleyServer } from './socket-types';

/**
 * The port is typed per event already; Socket.IO's overloads cannot narrow a generic
 * event name, so the call goes through this one loosened view of the same operator.
 */
const untyped = (target: unknown) => target as { emit(event: string, payload: unknown): boolean };

/**
 * The fan-out port on Socket.IO: every call goes through the adapter, so it reaches the
 * sockets on every node. A broadcast is encoded once by the adapter for all nodes and sockets.
 */
export function createSocketIoFanout(io: ParleyServer): Fanout {
  return {
    toRooms(roomIds, event, payload) {
      if (roomIds.length === 0) return;
      untyped(io.to(roomIds.map(roomChannel))).emit(event, payload);
    },
    toUser(userId, event, payload) {
      untyped(io.to(userChannel(userId))).emit(event, payload);
    },
    subscribeUser(userId, roomId) {
      io.in(userChannel(userId)).socketsJoin(roomChannel(roomId));
    },
    unsubscribeUser(userId, roomId) {
      io.in(userChannel(userId)).socketsLeave(roomChannel(roomId));
    },
    disconnectUser(userId) {
      io.in(userChannel(userId)).disconnectSockets(true);
    },
    disconnectSession(sessionId) {
      io.in(sessionChannel(sessionId)).disconnectSockets(true);
    },
  };
}
