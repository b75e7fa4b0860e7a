import { type HistoryPage, limits, type Message } from '@parley/contract';
import { consumeOrThrow } from '../auth/login-throttle';
import { AppError } from '../errors';
import type { NodeContext } from '../ports/node-context';
import { hideDuplicates } from './hide-duplicates';
import { createSendPath, type SendRequest, toClientMessage } from './send-path';

export { toClientMessage };
export type MessageServiceDeps = NodeContext;

export function createMessageService(deps: MessageServiceDeps) {
  const { stores, engine, fanout } = deps;
  const editLimiter = engine.createRateLimiter({
    keyPrefix: 'edit',
    points: deps.config.limits.editsPer10s,
    durationSeconds: 10,
  });

  /**
   * Moves a member's cursors forward, bounded by the room's last stored seq: a client cannot
   * acknowledge or read positions that do not exist (a seq above the end is clamped to it,
   * not refused, so an ack racing a history read never fails). A stored cursor above the
   * end (written before cursors were bounded) is brought back down to it. Plain writes, no
   * write-timestamp trick: two devices acking at once may leave the lower of two values for
   * a moment, which only means a little redelivery; the next ack moves it on.
   */
  async function moveCursors(
    userId: string,
    roomId: string,
    wanted: { deliveredSeq?: number; readSeq?: number },
  ) {
    const [current, lastSeq] = await Promise.all([
      stores.cursors.findCursors(userId, roomId),
      stores.messages.findLatestSeq(roomId),
    ]);
    const next: { deliveredSeq?: number; readSeq?: number } = {};
    for (const kind of ['deliveredSeq', 'readSeq'] as const) {
      const want = wanted[kind];
      if (want === undefined) continue;
      const target = Math.min(want, lastSeq);
      if (target > current[kind] || current[kind] > lastSeq) next[kind] = target;
    }
    if (next.deliveredSeq !== undefined || next.readSeq !== undefined)
      await stores.cursors.writeCursors(userId, roomId, next);
    return { ...current, ...next };
  }

  const publish = (
    event: 'message:created' | 'message:updated' | 'message:deleted',
    message: Message,
  ) => {
    // One broadcast: the adapter encodes it once and every node delivers to its sockets.
    fanout.toRooms([message.roomId], event, toClientMessage(message));
  };
  const sendPath = createSendPath(deps, (message) => publish('message:created', message));

  /**
   * Whether a room is end-to-end encrypted. Fixed at creation, so a node caches it for good
   * (bounded: cleared when full): one room read per room per node, not one per send.
   */
  const e2eeRooms = new Map<string, boolean>();
  async function isE2ee(roomId: string): Promise<boolean> {
    const known = e2eeRooms.get(roomId);
    if (known !== undefined) return known;
    const room = await stores.rooms.findRoom(roomId);
    if (!room) throw new AppError('FORBIDDEN', 'no such room, or it is not open to you');
    if (e2eeRooms.size >= 50_000) e2eeRooms.clear();
    e2eeRooms.set(roomId, room.e2ee === true);
    return room.e2ee === true;
  }

  return {
    /**
     * At-least-once in, exactly-once stored: acked only after Cassandra has the message;
     * every attempt of one clientMsgId reuses one binding (seq, id), and a retry of a
     * stored message answers with its current state (see send-path.ts).
     */
    async send(req: SendRequest): Promise<Message> {
      // The server checks the shape (kind, base64, size), never the content.
      const e2ee = await isE2ee(req.roomId);
      if (e2ee && req.kind === undefined)
        throw new AppError(
          'ROOM_IS_E2EE',
          'this room is end-to-end encrypted: send an MLS message (kind and base64 body)',
        );
      if (!e2ee && req.kind !== undefined)
        throw new AppError(
          'ROOM_NOT_E2EE',
          `this room is not end-to-end encrypted: no ${req.kind}`,
        );
      return sendPath(req);
    },

    async edit(userId: string, roomId: string, seq: number, body: string): Promise<Message> {
      await consumeOrThrow(editLimiter, userId, 'editing too fast');
      // An edit body is plaintext on the wire: E2EE rooms have no edits (yet).
      if (await isE2ee(roomId))
        throw new AppError(
          'ROOM_IS_E2EE',
          'messages of end-to-end encrypted rooms cannot be edited',
        );
      const message = await stores.messages.findMessage(roomId, seq);
      if (!message || message.deleted) throw new AppError('NOT_FOUND', 'no such message');
      if (message.senderId !== userId)
        throw new AppError('FORBIDDEN', 'only the sender can edit a message');
      const edited = await stores.messages.editMessage(roomId, seq, body, new Date());
      if (!edited) throw new AppError('NOT_FOUND', 'no such message');
      publish('message:updated', edited);
      return toClientMessage(edited);
    },

    async remove(
      userId: string,
      roomId: string,
      seq: number,
      asModerator = false,
    ): Promise<Message> {
      const message = await stores.messages.findMessage(roomId, seq);
      if (!message) throw new AppError('NOT_FOUND', 'no such message');
      if (!asModerator && message.senderId !== userId) {
        throw new AppError('FORBIDDEN', 'only the sender can delete a message');
      }
      if (message.deleted) return toClientMessage(message);
      const deleted = await stores.messages.markMessageDeleted(roomId, seq, new Date());
      if (!deleted) throw new AppError('NOT_FOUND', 'no such message');
      publish('message:deleted', deleted);
      return toClientMessage(deleted);
    },

    async history(
      roomId: string,
      query: { before?: number; after?: number; limit?: number },
    ): Promise<HistoryPage> {
      const limit = Math.min(query.limit ?? limits.historyPageDefault, limits.historyPageMax);
      if (query.after === undefined) {
        // One extra row tells whether another page exists without a second query.
        const rows = await stores.messages.listMessagesBefore(roomId, query.before, limit + 1);
        return {
          messages: hideDuplicates(rows.slice(0, limit)).map(toClientMessage),
          hasMore: rows.length > limit,
        };
      }
      // Read the stable point BEFORE the rows: every seq settled by then is visible to the
      // (quorum) read that follows, so a seq missing at or below it is truly a hole.
      const stableSeq = await engine.sequences.stableSeq(roomId).catch(() => undefined);
      const rows = await stores.messages.listMessagesAfter(roomId, query.after, limit + 1);
      const page: HistoryPage = {
        messages: hideDuplicates(rows.slice(0, limit)).map(toClientMessage),
        hasMore: rows.length > limit,
      };
      if (stableSeq !== undefined) page.stableSeq = stableSeq;
      return page;
    },

    async acknowledgeDelivery(userId: string, acks: { roomId: string; seq: number }[]) {
      // Keep only the highest seq per room: one write per room per batch.
      const highest = new Map<string, number>();
      for (const { roomId, seq } of acks)
        highest.set(roomId, Math.max(seq, highest.get(roomId) ?? 0));
      await Promise.all(
        [...highest].map(([roomId, seq]) => moveCursors(userId, roomId, { deliveredSeq: seq })),
      );
      return highest.size;
    },

    async markRead(userId: string, roomId: string, seq: number) {
      // What was read was received: the delivered cursor follows.
      const { readSeq } = await moveCursors(userId, roomId, { readSeq: seq, deliveredSeq: seq });
      fanout.toRooms([roomId], 'read:updated', { roomId, userId, readSeq });
      return { roomId, readSeq };
    },
  };
}
export type MessageService = ReturnType<typeof createMessageService>;
