import type { ChannelUpdate, Fanout } from '../ports/fanout';
import { roomChannel, sessionChannel, userChannel, type ParleyServer } from './socket-types';

/**
 * The port is typed per event already; Socket.IO's overloads cannot narrow a generic
 * event name, so the call goes through this one loosened view of the same operator.
 */
const untyped = (target: unknown) => target as { emit(event: string, payload: unknown): boolean };

/** A node that has not confirmed a channel change by then is reported as 'partial'. */
export const CHANNEL_CONFIRM_TIMEOUT_MS = 2_000;

/**
 * The fan-out port on Socket.IO: every call goes through the adapter, so it reaches the
 * sockets on every node. A broadcast is encoded once by the adapter for all nodes and sockets.
 *
 * Channel changes (who hears a room) are confirmed, not fire-and-forget: `socketsJoin`
 * through the Redis adapter is one publish that a remote node may apply after a later room
 * broadcast (an invitee on another node missed `member:joined`), or never when the publish
 * is lost (a kicked member kept hearing the room). Instead every node applies the change to
 * its own sockets and acknowledges (`serverSideEmit` with an ack); the caller awaits all
 * acks before it broadcasts into the room.
 */
export function createSocketIoFanout(io: ParleyServer, options: { clustered: boolean }): Fanout {
  function applyLocally(userIds: string[], roomId: string, op: 'join' | 'leave') {
    if (userIds.length === 0) return;
    const sockets = io.local.in(userIds.map(userChannel));
    if (op === 'join') sockets.socketsJoin(roomChannel(roomId));
    else sockets.socketsLeave(roomChannel(roomId));
  }

  io.on('channel:update', (change, reply) => {
    applyLocally(change.userIds, change.roomId, change.op);
    reply(true);
  });

  function updateEverywhere(
    userIds: string[],
    roomId: string,
    op: 'join' | 'leave',
  ): Promise<ChannelUpdate> {
    applyLocally(userIds, roomId, op);
    if (!options.clustered || userIds.length === 0) return Promise.resolve('confirmed');
    return new Promise((resolve) => {
      // The adapter times out on its own (requestsTimeout, 5 s); ours is shorter.
      const guard = setTimeout(() => resolve('partial'), CHANNEL_CONFIRM_TIMEOUT_MS);
      try {
        io.serverSideEmit('channel:update', { userIds, roomId, op }, (err: Error | null) => {
          clearTimeout(guard);
          resolve(err ? 'partial' : 'confirmed');
        });
      } catch {
        clearTimeout(guard);
        resolve('partial');
      }
    });
  }

  return {
    toRooms(roomIds, event, payload) {
      if (roomIds.length === 0) return;
      untyped(io.to(roomIds.map(roomChannel))).emit(event, payload);
    },
    toUser(userId, event, payload) {
      untyped(io.to(userChannel(userId))).emit(event, payload);
    },
    subscribeUsers: (userIds, roomId) => updateEverywhere(userIds, roomId, 'join'),
    unsubscribeUsers: (userIds, roomId) => updateEverywhere(userIds, roomId, 'leave'),
    disconnectUser(userId) {
      io.in(userChannel(userId)).disconnectSockets(true);
    },
    disconnectSession(sessionId) {
      io.in(sessionChannel(sessionId)).disconnectSockets(true);
    },
  };
}
