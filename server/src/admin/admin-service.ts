import { randomUUID } from 'node:crypto';
import type { Message } from '@parley/contract';
import type { Response } from 'express';
import { toPublicUser } from '../auth/auth-service';
import { AppError } from '../errors';
import { createDuplicateFilter, hideDuplicates } from '../messages/hide-duplicates';
import type { MessageService } from '../messages/message-service';
import type { Logger } from '../observability/logger';
import type { Fanout } from '../ports/fanout';
import type { RoomService } from '../rooms/room-service';
import type { Stores, UserMessagePosition, UserRecord } from '../storage/types';
import {
  type ExportQuery,
  LISTING_SCAN_BUDGET,
  type ListingQuery,
  type RoomHistoryQuery,
  type UserHistoryQuery,
} from './admin-api';
import { decodeRoomCursor, decodeUserCursor, encodeCursor } from './history-cursor';

/**
 * One request reads at most this many rows, whatever the filters: a sparse filter
 * returns a short page and a cursor to continue instead of scanning a whole room.
 */
export const HISTORY_SCAN_BUDGET = 2_000;
const SCAN_BATCH = 250;
const EXPORT_BATCH = 500;
/**
 * seq and createdAt are assigned a moment apart on the sending node, so seq order
 * follows time order up to clock skew and pauses. A time-bounded walk in seq order
 * stops once it is this far past the bound.
 */
const SEQ_TIME_SKEW_MS = 60_000;
const NIL_ID = '00000000-0000-0000-0000-000000000000';

/**
 * A bounded, filtered walk over a storage-order listing (users or rooms): reads batches
 * after the cursor until the page is full or the scan budget is spent. The cursor is the
 * last id read, so the next request continues right after it.
 */
async function scanListing<T extends { id: string }>(
  query: ListingQuery,
  read: (afterId: string | undefined, want: number) => Promise<T[]>,
  keep: (item: T) => boolean,
): Promise<{ items: T[]; nextCursor: string | null }> {
  const items: T[] = [];
  let after = query.cursor;
  let scanned = 0;
  while (scanned < LISTING_SCAN_BUDGET) {
    const want = Math.min(SCAN_BATCH, LISTING_SCAN_BUDGET - scanned);
    const rows = await read(after, want);
    for (const row of rows) {
      scanned++;
      after = row.id;
      if (!keep(row)) continue;
      items.push(row);
      if (items.length === query.limit) return { items, nextCursor: row.id };
    }
    if (rows.length < want) return { items, nextCursor: null };
  }
  return { items, nextCursor: after ?? null };
}

export interface HistoryPageResult {
  messages: Message[];
  nextCursor: string | null;
  scanned: number;
}

/**
 * One bounded walk through a history table: reads batches from `start`, keeps what passes
 * the filters, stops at the page size, at the scan budget, past the asked range, or when
 * the table is exhausted (`done`: no further page exists).
 */
async function scanHistory<P>(walk: {
  start: P;
  limit: number;
  read: (position: P, want: number) => Promise<Message[]>;
  positionOf: (m: Message) => P;
  pastRange: (m: Message) => boolean;
  keep: (m: Message) => boolean;
}): Promise<{ messages: Message[]; position: P; done: boolean; scanned: number }> {
  let position = walk.start;
  const messages: Message[] = [];
  let scanned = 0;
  let done = false;
  while (messages.length < walk.limit && scanned < HISTORY_SCAN_BUDGET) {
    const want = Math.min(SCAN_BATCH, HISTORY_SCAN_BUDGET - scanned);
    const rows = await walk.read(position, want);
    let consumed = 0;
    for (const m of rows) {
      consumed++;
      scanned++;
      if (walk.pastRange(m)) {
        done = true;
        break;
      }
      position = walk.positionOf(m);
      if (walk.keep(m)) messages.push(m);
      if (messages.length === walk.limit) break;
    }
    if (done) break;
    if (rows.length < want && consumed === rows.length) {
      done = true;
      break;
    }
  }
  return { messages, position, done, scanned };
}

export function createAdminService(deps: {
  stores: Stores;
  fanout: Fanout;
  messages: MessageService;
  rooms: Pick<RoomService, 'expel'>;
  logger: Logger;
}) {
  const { stores, fanout, logger } = deps;

  /**
   * Written before the action or the read it describes: when the audit log cannot be
   * written, the action does not happen (the request fails with 503).
   */
  async function audit(
    actor: UserRecord,
    action: string,
    targetType: 'room' | 'user' | 'message',
    targetId: string,
    detail?: Record<string, unknown>,
  ) {
    const at = new Date();
    try {
      await stores.audit.appendAudit({
        id: randomUUID(),
        actorId: actor.id,
        action,
        targetType,
        targetId,
        ...(detail ? { detail: JSON.stringify(detail) } : {}),
        at,
      });
    } catch (err) {
      logger.error({ err, action, targetId }, 'audit log write failed; refusing the admin action');
      throw new AppError('UNAVAILABLE', 'the audit log is unavailable; retry', { retryable: true });
    }
  }

  async function requireRoom(roomId: string) {
    const room = await stores.rooms.findRoom(roomId);
    if (!room) throw new AppError('NOT_FOUND', 'no such room');
    return room;
  }
  async function requireUser(userId: string) {
    const user = await stores.users.findUserById(userId);
    if (!user) throw new AppError('NOT_FOUND', 'no such user');
    return user;
  }

  const inRange = (m: Message, q: { from?: Date; to?: Date; includeDeleted: boolean }) => {
    const at = Date.parse(m.createdAt);
    if (q.from && at < q.from.getTime()) return false;
    if (q.to && at >= q.to.getTime()) return false;
    return q.includeDeleted || !m.deleted;
  };

  return {
    async roomHistory(
      actor: UserRecord,
      roomId: string,
      q: RoomHistoryQuery,
    ): Promise<HistoryPageResult> {
      const start = q.cursor ? decodeRoomCursor(q.cursor, roomId, q.order).s : undefined;
      await requireRoom(roomId);
      await audit(actor, 'history.room.read', 'room', roomId, queryDetail(q));
      const desc = q.order === 'desc';
      const { messages, position, done, scanned } = await scanHistory<number | undefined>({
        start: start ?? (desc ? undefined : 0),
        limit: q.limit,
        read: (position, want) =>
          desc
            ? stores.messages.listMessagesBefore(roomId, position, want)
            : stores.messages.listMessagesAfter(roomId, position ?? 0, want),
        positionOf: (m) => m.seq,
        pastRange: (m) => {
          const at = Date.parse(m.createdAt);
          return desc
            ? Boolean(q.from && at < q.from.getTime() - SEQ_TIME_SKEW_MS)
            : Boolean(q.to && at >= q.to.getTime() + SEQ_TIME_SKEW_MS);
        },
        keep: (m) => inRange(m, q) && (!q.senderId || m.senderId === q.senderId),
      });
      return {
        // Stored duplicates of one send (from before the send path kept one binding).
        messages: hideDuplicates(messages),
        nextCursor:
          done || position === undefined
            ? null
            : encodeCursor({ k: 'room', r: roomId, o: q.order, s: position ?? 0 }),
        scanned,
      };
    },

    async userHistory(
      actor: UserRecord,
      userId: string,
      q: UserHistoryQuery,
    ): Promise<HistoryPageResult> {
      const cursor = q.cursor ? decodeUserCursor(q.cursor, userId) : undefined;
      await requireUser(userId);
      await audit(actor, 'history.user.read', 'user', userId, queryDetail(q));
      // createdAt is the clustering order here, so `to` is a seek, not a scan.
      const { messages, position, done, scanned } = await scanHistory<
        UserMessagePosition | undefined
      >({
        start: cursor
          ? { createdAt: cursor.t, id: cursor.i }
          : q.to
            ? { createdAt: q.to.toISOString(), id: NIL_ID }
            : undefined,
        limit: q.limit,
        read: (position, want) => stores.messages.listMessagesOfUser(userId, position, want),
        positionOf: (m) => ({ createdAt: m.createdAt, id: m.id }),
        pastRange: (m) => Boolean(q.from && Date.parse(m.createdAt) < q.from.getTime()),
        keep: (m) => inRange(m, q) && (!q.roomId || m.roomId === q.roomId),
      });
      return {
        messages,
        nextCursor:
          done || !position
            ? null
            : encodeCursor({ k: 'user', u: userId, t: position.createdAt, i: position.id }),
        scanned,
      };
    },

    /**
     * Streams the room oldest first as NDJSON, one store page at a time, waiting for the
     * socket to drain whenever the client reads slower than Cassandra answers.
     */
    async exportRoom(actor: UserRecord, roomId: string, q: ExportQuery, res: Response) {
      await requireRoom(roomId);
      await audit(actor, 'history.room.export', 'room', roomId, queryDetail(q));
      res
        .status(200)
        .type('application/x-ndjson')
        .setHeader('Content-Disposition', `attachment; filename="room-${roomId}.ndjson"`);
      let after = 0;
      const firstOfSend = createDuplicateFilter();
      try {
        for (;;) {
          const rows = await stores.messages.listMessagesAfter(roomId, after, EXPORT_BATCH);
          let chunk = '';
          let past = false;
          for (const m of rows) {
            after = m.seq;
            if (q.to && Date.parse(m.createdAt) >= q.to.getTime() + SEQ_TIME_SKEW_MS) {
              past = true;
              break;
            }
            if (inRange(m, q) && (!q.senderId || m.senderId === q.senderId) && firstOfSend(m))
              chunk += `${JSON.stringify(m)}\n`;
          }
          if (chunk && !res.write(chunk)) await drained(res);
          if (res.destroyed) return;
          if (past || rows.length < EXPORT_BATCH) break;
        }
        res.end();
      } catch (err) {
        // Before the first byte the error handler can still answer with a problem.
        if (!res.headersSent) throw err;
        logger.error({ err, roomId }, 'export failed mid-stream; cutting the response');
        res.destroy();
      }
    },

    async room(actor: UserRecord, roomId: string) {
      const room = await requireRoom(roomId);
      await audit(actor, 'room.read', 'room', roomId);
      const [members, lastSeq] = await Promise.all([
        stores.rooms.listMembers(roomId),
        stores.messages.findLatestSeq(roomId),
      ]);
      return { room, members, lastSeq };
    },

    async user(actor: UserRecord, userId: string) {
      const user = await requireUser(userId);
      await audit(actor, 'user.read', 'user', userId);
      return { user: toAdminUser(user), rooms: await stores.rooms.listRoomsOfUser(userId) };
    },

    async findUsers(actor: UserRecord, username: string) {
      const user = await stores.users.findUserByUsername(username);
      if (user) await audit(actor, 'user.find', 'user', user.id, { username });
      return { users: user ? [toAdminUser(user)] : [], nextCursor: null };
    },

    async searchUsers(query: ListingQuery) {
      const needle = query.q?.toLowerCase();
      const page = await scanListing(
        query,
        (after, want) => stores.users.scanUsers(after, want),
        (u) => needle === undefined || u.id === needle || u.username.toLowerCase().includes(needle),
      );
      return { users: page.items.map(toAdminUser), nextCursor: page.nextCursor };
    },

    async searchRooms(query: ListingQuery) {
      const needle = query.q?.toLowerCase();
      const page = await scanListing(
        query,
        (after, want) => stores.rooms.scanRooms(after, want),
        (r) => needle === undefined || r.id === needle || r.name.toLowerCase().includes(needle),
      );
      return { rooms: page.items, nextCursor: page.nextCursor };
    },

    async deleteMessage(actor: UserRecord, roomId: string, seq: number, reason?: string) {
      const message = await stores.messages.findMessage(roomId, seq);
      if (!message) throw new AppError('NOT_FOUND', 'no such message');
      await audit(actor, 'message.delete', 'message', `${roomId}:${seq}`, {
        senderId: message.senderId,
        ...(reason ? { reason } : {}),
      });
      // The realtime service stores the soft delete and broadcasts message:deleted cluster-wide.
      return deps.messages.remove(actor.id, roomId, seq, true);
    },

    async ban(actor: UserRecord, userId: string, reason: string | undefined) {
      if (userId === actor.id) throw new AppError('CONFLICT', 'you cannot ban yourself');
      const user = await requireUser(userId);
      await audit(actor, 'user.ban', 'user', userId, reason ? { reason } : undefined);
      const bannedAt = user.bannedAt ?? new Date();
      if (!user.bannedAt) await stores.users.setUserBanned(userId, bannedAt);
      // Memberships stay (an unban restores them), but the user's clients are told they no
      // longer have the rooms, before their sockets close (same adapter, same order).
      const memberships = await stores.rooms.listRoomsOfUser(userId);
      for (const m of memberships)
        fanout.toUser(userId, 'room:removed', { roomId: m.roomId, reason: 'banned' });
      // Through the adapter: the user's sockets on every node. New handshakes, logins,
      // refreshes and REST calls are refused because the ban is stored first.
      fanout.disconnectUser(userId);
      return { userId, bannedAt: bannedAt.toISOString() };
    },

    async unban(actor: UserRecord, userId: string) {
      const user = await requireUser(userId);
      await audit(actor, 'user.unban', 'user', userId);
      if (user.bannedAt) await stores.users.setUserBanned(userId, undefined);
      return { userId, bannedAt: null };
    },

    async kick(actor: UserRecord, roomId: string, userId: string, reason?: string) {
      const room = await requireRoom(roomId);
      const member = await stores.rooms.findMember(roomId, userId);
      if (!member) throw new AppError('NOT_FOUND', 'not a member of this room');
      if (room.kind === 'dm')
        throw new AppError('CONFLICT', 'direct rooms keep both members; ban the user instead');
      await audit(actor, 'room.kick', 'room', roomId, { userId, ...(reason ? { reason } : {}) });
      // Recorded, removed, unsubscribed on every node (confirmed), then announced: the room
      // hears member:left, the user room:removed on their own channel. The record keeps
      // them from rejoining with room:join.
      await deps.rooms.expel(roomId, userId, 'kicked');
      // Clients from before room:removed existed listen for member:left on the user channel.
      fanout.toUser(userId, 'member:left', { roomId, userId });
      return { roomId, userId };
    },

    async auditEntries(limit: number) {
      const entries = await stores.audit.listAuditEntries(limit);
      return { entries: entries.map((e) => ({ ...e, at: e.at.toISOString() })) };
    },
  };
}
export type AdminService = ReturnType<typeof createAdminService>;

function toAdminUser(user: UserRecord) {
  return {
    ...toPublicUser(user),
    bannedAt: user.bannedAt?.toISOString() ?? null,
    lastSeenAt: user.lastSeenAt?.toISOString() ?? null,
  };
}

function queryDetail(q: object) {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
}

function drained(res: Response) {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
