import { randomUUID } from 'node:crypto';
import type { RoomRemovedReason, Room, RoomMember, RoomSummary } from '@parley/contract';
import { limits } from '@parley/contract';
import { consumeOrThrow } from '../auth/login-throttle';
import type { Engine } from '../cluster/engine';
import type { Config } from '../config/load-config';
import { AppError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Fanout } from '../ports/fanout';
import type { ExclusionReason, Stores } from '../storage/types';

/** Unread counts stop at this many: "99+" is all a badge needs, and it bounds the read. */
export const UNREAD_CAP = 100;

export interface RoomServiceDeps {
  stores: Stores;
  fanout: Fanout;
  engine: Pick<Engine, 'createRateLimiter'>;
  config: { limits: Pick<Config['limits'], 'roomsCreatedPerHour'> };
  logger: Logger;
}

/**
 * One answer for "no such room", "not a member" and "not open to you": room ids are not
 * discoverable by probing.
 */
const notAllowed = () => new AppError('FORBIDDEN', 'no such room, or it is not open to you');

/**
 * Rooms and membership. Join policy: a group room is invite-only unless it was created with
 * `public: true`; a direct room is never joinable. A member removed by a moderator (kicked,
 * or removed by a ban) keeps an exclusion record: it refuses `room:join`, and an invite by
 * anyone but the room's owner; the owner's invite lifts it. Every membership change either
 * fully applies or fully fails: all user ids are checked first, then one logged batch.
 */
export function createRoomService(deps: RoomServiceDeps) {
  const { stores, fanout, logger } = deps;
  const createLimiter = deps.engine.createRateLimiter({
    keyPrefix: 'room-create',
    points: deps.config.limits.roomsCreatedPerHour,
    durationSeconds: 3600,
  });

  async function requireMember(roomId: string, userId: string): Promise<RoomMember> {
    const member = await stores.rooms.findMember(roomId, userId);
    if (!member) throw notAllowed();
    return member;
  }

  async function summarize(
    userId: string,
    roomId: string,
    role: RoomSummary['role'],
    knownRoom?: Room,
  ): Promise<RoomSummary | undefined> {
    // Three reads in parallel, one of them the room's tail (newest messages, no text): the
    // last seq and the unread count both come from it. A reconnect pays this per room.
    const [room, cursors, tail] = await Promise.all([
      knownRoom ?? stores.rooms.findRoom(roomId),
      stores.cursors.findCursors(userId, roomId),
      stores.messages.listTail(roomId, UNREAD_CAP),
    ]);
    if (!room) return undefined;
    const lastSeq = tail[0]?.seq ?? 0;
    // A cursor can never point past the room's end (one written before cursors were bounded).
    const readSeq = Math.min(cursors.readSeq, lastSeq);
    const unread = tail.filter(
      (m) => m.seq > readSeq && m.senderId !== userId && !m.deleted,
    ).length;
    return { ...room, role, lastSeq, readSeq, unread };
  }

  /** Every id must be a known user, or nothing happens (NOT_FOUND names the first unknown). */
  async function requireUsers(userIds: string[]) {
    const found = await Promise.all(userIds.map((id) => stores.users.findUserById(id)));
    const missing = userIds.find((_, i) => !found[i]);
    if (missing !== undefined) throw new AppError('NOT_FOUND', `no user ${missing}`);
  }

  function warnPartial(what: string, roomId: string) {
    logger.warn(
      { roomId, what },
      'a node did not confirm a channel change; authorization re-checks Cassandra there',
    );
  }

  /**
   * After the members are stored: subscribe their sockets everywhere (confirmed), then tell
   * the room (`member:joined`) and each new member on their own channel (`room:added`, with
   * the position to start from). The user channel always holds every socket of the user,
   * so `room:added` does not depend on the channel change having reached a node.
   */
  async function announceAdded(
    room: Room,
    added: RoomMember[],
    /** Whose arrival the room hears about (`member:joined`): not the creator of a room. */
    joined: (member: RoomMember) => boolean,
  ) {
    if (added.length === 0) return;
    const userIds = added.map((m) => m.userId);
    if ((await fanout.subscribeUsers(userIds, room.id)) === 'partial')
      warnPartial('subscribe', room.id);
    for (const member of added.filter(joined)) fanout.toRooms([room.id], 'member:joined', member);
    await Promise.all(
      added.map(async (member) => {
        const summary = await summarize(member.userId, room.id, member.role, room);
        if (summary) fanout.toUser(member.userId, 'room:added', summary);
      }),
    );
  }

  async function announceRemoved(roomId: string, userId: string, reason: RoomRemovedReason) {
    if ((await fanout.unsubscribeUsers([userId], roomId)) === 'partial')
      warnPartial('unsubscribe', roomId);
    fanout.toRooms([roomId], 'member:left', { roomId, userId });
    fanout.toUser(userId, 'room:removed', { roomId, reason });
  }

  return {
    requireMember,

    async createGroup(
      ownerId: string,
      name: string,
      memberIds: string[] = [],
      isPublic = false,
      e2ee = false,
    ): Promise<Room> {
      await consumeOrThrow(createLimiter, ownerId, 'creating rooms too fast');
      const others = [...new Set(memberIds)].filter((id) => id !== ownerId);
      await requireUsers(others);
      const room: Room = {
        id: randomUUID(),
        kind: 'group',
        name,
        createdBy: ownerId,
        createdAt: new Date().toISOString(),
      };
      if (isPublic) room.public = true;
      if (e2ee) room.e2ee = true;
      const members = [
        { userId: ownerId, role: 'owner' as const },
        ...others.map((userId) => ({ userId, role: 'member' as const })),
      ];
      await stores.rooms.createRoom(room, members);
      await announceAdded(
        room,
        members.map((m) => ({ roomId: room.id, ...m, joinedAt: room.createdAt })),
        (m) => m.userId !== ownerId,
      );
      return room;
    },

    /** `e2ee`: the pair's end-to-end encrypted DM, a room apart from their plain one. */
    async openDirect(userId: string, peerId: string, e2ee = false): Promise<Room> {
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
      if (e2ee) candidate.e2ee = true;
      const room = await stores.rooms.findOrCreateDirectRoom(candidate, userId, peerId);
      const members = [userId, peerId].map((id): RoomMember => ({
        roomId: room.id,
        userId: id,
        role: 'member',
        joinedAt: room.createdAt,
      }));
      if (room.id === candidate.id) await announceAdded(room, members, () => false);
      // An existing pair room: make sure this user's sockets hear it (a no-op when they do).
      else await fanout.subscribeUsers([userId], room.id);
      return room;
    },

    async join(userId: string, roomId: string): Promise<RoomSummary> {
      const [room, existing, exclusion] = await Promise.all([
        stores.rooms.findRoom(roomId),
        stores.rooms.findMember(roomId, userId),
        stores.rooms.findExclusion(roomId, userId),
      ]);
      if (!room) throw notAllowed();
      if (existing) {
        await fanout.subscribeUsers([userId], roomId);
        return (await summarize(userId, roomId, existing.role, room)) as RoomSummary;
      }
      if (room.kind !== 'group' || room.public !== true || exclusion) throw notAllowed();
      const member: RoomMember = {
        roomId,
        userId,
        role: 'member',
        joinedAt: new Date().toISOString(),
      };
      await stores.rooms.addMembers(roomId, [member], new Date(member.joinedAt));
      await announceAdded(room, [member], () => true);
      return (await summarize(userId, roomId, 'member', room)) as RoomSummary;
    },

    async leave(userId: string, roomId: string) {
      await requireMember(roomId, userId);
      const room = await stores.rooms.findRoom(roomId);
      if (room?.kind === 'dm') throw new AppError('FORBIDDEN', 'direct rooms cannot be left');
      await stores.rooms.removeMember(roomId, userId);
      await announceRemoved(roomId, userId, 'left');
      return { roomId };
    },

    async invite(inviterId: string, roomId: string, userIds: string[]) {
      const inviter = await requireMember(roomId, inviterId);
      const room = await stores.rooms.findRoom(roomId);
      if (!room || room.kind !== 'group')
        throw new AppError('FORBIDDEN', 'only group rooms take invites');
      const candidates = [...new Set(userIds)];
      await requireUsers(candidates);
      const [memberships, exclusions] = await Promise.all([
        Promise.all(candidates.map((id) => stores.rooms.findMember(roomId, id))),
        Promise.all(candidates.map((id) => stores.rooms.findExclusion(roomId, id))),
      ]);
      const excluded = candidates.filter((_, i) => exclusions[i] !== undefined);
      if (excluded.length > 0 && inviter.role !== 'owner') {
        throw new AppError(
          'FORBIDDEN',
          `only the room's owner can invite back a removed member (${excluded[0]})`,
        );
      }
      const joinedAt = new Date();
      const added: RoomMember[] = candidates
        .filter((_, i) => memberships[i] === undefined)
        .map((id) => ({ roomId, userId: id, role: 'member', joinedAt: joinedAt.toISOString() }));
      await stores.rooms.addMembers(roomId, added, joinedAt);
      await Promise.all(excluded.map((id) => stores.rooms.clearExclusion(roomId, id)));
      await announceAdded(room, added, () => true);
      return { roomId, added: added.map((m) => m.userId) };
    },

    async members(userId: string, roomId: string) {
      await requireMember(roomId, userId);
      return stores.rooms.listMembers(roomId);
    },

    /** Delivery and read receipts: how far each member has received and read. */
    async receipts(userId: string, roomId: string) {
      await requireMember(roomId, userId);
      const [members, cursors] = await Promise.all([
        stores.rooms.listMembers(roomId),
        // Rows of former members may be among them: read well past the members shown.
        stores.cursors.listCursorsOfRoom(roomId, limits.receiptsMax * 5),
      ]);
      const byUser = new Map(cursors.map((c) => [c.userId, c]));
      const receipts = members.slice(0, limits.receiptsMax).map((m) => ({
        userId: m.userId,
        deliveredSeq: byUser.get(m.userId)?.deliveredSeq ?? 0,
        readSeq: byUser.get(m.userId)?.readSeq ?? 0,
      }));
      return { roomId, receipts, truncated: members.length > limits.receiptsMax };
    },

    /**
     * A moderator removes a member (admin kick). The exclusion record is written first, so
     * the member cannot rejoin in between; authorization re-checks Cassandra on a miss.
     */
    async expel(roomId: string, userId: string, reason: ExclusionReason) {
      await stores.rooms.excludeMember(roomId, { userId, reason, at: new Date() });
      await stores.rooms.removeMember(roomId, userId);
      await announceRemoved(roomId, userId, reason);
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
