import type { RoomService } from '../rooms/room-service';
import { roomChannel, type ParleySocket } from './socket-types';

/**
 * Authorization on every room event, for one socket.
 *
 * The socket's room channels are a cache of its user's memberships, kept current by
 * confirmed channel changes (realtime/socket-io-fanout.ts). A cache that a single lost
 * broadcast could leave stale must not decide who may write, so a channel only counts as
 * proof of membership for `recheckMs` after Cassandra last confirmed it; then the next
 * request for that room asks Cassandra again (one primary-key read). A removed member on a
 * node that missed the revocation is refused after at most `recheckMs`; with confirmed
 * revocations (the normal case) at once, because the channel is gone. A refusal also drops
 * the channel, so the socket stops hearing the room.
 */
export function createRoomAuthorizer(
  socket: ParleySocket,
  deps: { rooms: Pick<RoomService, 'requireMember'>; recheckMs: number },
) {
  const confirmedAt = new Map<string, number>();

  return {
    async authorize(roomId: string) {
      const channel = roomChannel(roomId);
      const at = confirmedAt.get(roomId);
      if (at !== undefined && socket.rooms.has(channel) && Date.now() - at < deps.recheckMs) return;
      try {
        await deps.rooms.requireMember(roomId, socket.data.userId);
      } catch (err) {
        confirmedAt.delete(roomId);
        if (socket.rooms.has(channel)) void socket.leave(channel);
        throw err;
      }
      confirmedAt.set(roomId, Date.now());
      // A membership granted on another node whose channel change has not reached us yet.
      if (!socket.rooms.has(channel)) await socket.join(channel);
    },
  };
}
