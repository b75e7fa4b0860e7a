import { randomUUID } from 'node:crypto';
import type { Room, RoomMember, RoomSummary } from '@parley/contract';
import { AppError } from '../errors';
import type { Fanout } from '../ports/fanout';
import type { Stores } from '../storage/types';

/** Unread counts stop at this many: "99+" is all a badge needs, and it bounds the read. */
export const UNREAD_CAP = 100;

export function createRoomService(deps: { stores: Stores; fanout: Fanout }) {
  const { stores, fanout } = deps;

  /** Adds the user's sockets on every node to the room's events. */
  function attachUserSockets(userId: string, roomId: string) {
    fanout.subscribeUser(userId, roomId);
  }

  async function requireMember(roomId: string, userId: string): Promise<RoomMember> {
    const member = await stores.rooms.findMember(roomId, userId);
    // Same answer for "no such room" and "not a member": room ids are not discoverable.
    if (!member) throw new AppError('FORBIDDEN', 'not a member of this room');
    return member;
  }

  async function summarize(
    userId: string,
    roomId: string,
    role: RoomSummary['role'],
  ): Promise<RoomSummary | undefined> {
    const [room, cursors, lastSeq] = await Promise.all([
      stores.rooms.findRoom(roomId),
      stores.cursors.findCursors(userId, roomId),
      stores.messages.findLatestSeq(roomId),
    ]);
    if (!room) return undefined;
    const unreadMessages =
      lastSeq > cursors.readSeq
        ? await stores.messages.listMessagesAfter(roomId, cursors.readSeq, UNREAD_CAP)
        : [];
    const unread = unreadMessages.filter((m) => m.senderId !== userId && !m.deleted).length;
    return { ...room, role, lastSeq, readSeq: cursors.readSeq, unread };
  }

  async function addMembers(room: Room, userIds: string[]): Promise<string[]> {
    const added: string[] = [];
    for (const userId of new Set(userIds)) {
      if (!(await stores.users.findUserById(userId)))
        throw new AppError('NOT_FOUND', `no user ${userId}`);
      if (await stores.rooms.findMember(room.id, userId)) continue;
      const joinedAt = new Date();
      await stores.rooms.addMember(room.id, userId, 'member', joinedAt);
      attachUserSockets(userId, room.id);
      const joined = {
        roomId: room.id,
        userId,
        role: 'member' as const,
        joinedAt: joinedAt.toISOString(),
      };
      fanout.toRooms([room.id], 'member:joined', joined);
      // Also to the invitee directly: a remote node may apply the subscription above after
      // that broadcast, and the invitee would not learn about the room (a repeat is harmless).
      fanout.toUser(userId, 'member:joined', joined);
      added.push(userId);
    }
    return added;
  }

  return {
    requireMember,
    attachUserSockets,

    async createGroup(ownerId: string, name: string, memberIds: string[] = []): Promise<Room> {
      const room: Room = {
        id: randomUUID(),
        kind: 'group',
        name,
        createdBy: ownerId,
        createdAt: new Date().toISOString(),
      };
      await stores.rooms.createRoom(room, [{ userId: ownerId, role: 'owner' }]);
      attachUserSockets(ownerId, room.id);
      await addMembers(
        room,
        memberIds.filter((id) => id !== ownerId),
      );
      return room;
    },

    async openDirect(userId: string, peerId: string): Promise<Room> {
      if (userId === peerId)
        throw new AppError('VALIDATION', 'cannot open a direct conversation with yourself');
      if (!(await stores.users.findUserById(peerId)))
        throw new AppError('NOT_FOUND', 'no such user');
      const candidate: Room = {
        id: randomUUID(),
        kind: 'dm',
        name: '',
        createdBy: userId,
        createdAt: new Date().toISOString(),
      };
      const room = await stores.rooms.findOrCreateDirectRoom(candidate, userId, peerId);
      attachUserSockets(userId, room.id);
      attachUserSockets(peerId, room.id);
      return room;
    },

    async join(userId: string, roomId: string): Promise<RoomSummary> {
      const room = await stores.rooms.findRoom(roomId);
      if (!room) throw new AppError('NOT_FOUND', 'no such room');
      const existing = await stores.rooms.findMember(roomId, userId);
      if (!existing) {
        if (room.kind !== 'group') throw new AppError('FORBIDDEN', 'direct rooms cannot be joined');
        await addMembers(room, [userId]);
      }
      attachUserSockets(userId, roomId);
      return (await summarize(userId, roomId, existing?.role ?? 'member')) as RoomSummary;
    },

    async leave(userId: string, roomId: string) {
      const member = await requireMember(roomId, userId);
      const room = await stores.rooms.findRoom(roomId);
      if (room?.kind === 'dm') throw new AppError('FORBIDDEN', 'direct rooms cannot be left');
      await stores.rooms.removeMember(roomId, member.userId);
      fanout.unsubscribeUser(userId, roomId);
      fanout.toRooms([roomId], 'member:left', { roomId, userId });
      return { roomId };
    },

    async invite(userId: string, roomId: string, userIds: string[]) {
      await requireMember(roomId, userId);
      const room = await stores.rooms.findRoom(roomId);
      if (!room || room.kind !== 'group')
        throw new AppError('FORBIDDEN', 'only group rooms take invites');
      return { roomId, added: await addMembers(room, userIds) };
    },

    async members(userId: string, roomId: string) {
      await requireMember(roomId, userId);
      return stores.rooms.listMembers(roomId);
    },

    async list(userId: string): Promise<RoomSummary[]> {
      const memberships = await stores.rooms.listRoomsOfUser(userId);
      const summaries = await Promise.all(
        memberships.map((m) => summarize(userId, m.roomId, m.role)),
      );
      return summaries.filter((s): s is RoomSummary => s !== undefined);
    },
  };
}
export type RoomService = ReturnType<typeof createRoomService>;
