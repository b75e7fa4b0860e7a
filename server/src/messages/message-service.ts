import { type HistoryPage, limits, type Message } from '@parley/contract';
import { AppError } from '../errors';
import type { NodeContext } from '../ports/node-context';
import { hideDuplicates } from './hide-duplicates';
import { createSendPath, type SendRequest, toClientMessage } from './send-path';

export { toClientMessage };
export type MessageServiceDeps = NodeContext;

export function createMessageService(deps: MessageServiceDeps) {
  const { stores, engine, fanout } = deps;

  const publish = (
    event: 'message:created' | 'message:updated' | 'message:deleted',
    message: Message,
  ) => {
    // One broadcast: the adapter encodes it once and every node delivers to its sockets.
    fanout.toRooms([message.roomId], event, toClientMessage(message));
  };
  const sendPath = createSendPath(deps, (message) => publish('message:created', message));

  return {
    /**
     * At-least-once in, exactly-once stored: acked only after Cassandra has the message;
     * every attempt of one clientMsgId reuses one binding (seq, id), and a retry of a
     * stored message answers with its current state (see send-path.ts).
     */
    async send(req: SendRequest): Promise<Message> {
      return sendPath(req);
    },

    async edit(userId: string, roomId: string, seq: number, body: string): Promise<Message> {
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
        [...highest].map(([roomId, seq]) =>
          stores.cursors.advanceDeliveredCursor(userId, roomId, seq),
        ),
      );
      return highest.size;
    },

    async markRead(userId: string, roomId: string, seq: number) {
      await Promise.all([
        stores.cursors.advanceReadCursor(userId, roomId, seq),
        stores.cursors.advanceDeliveredCursor(userId, roomId, seq),
      ]);
      const { readSeq } = await stores.cursors.findCursors(userId, roomId);
      fanout.toRooms([roomId], 'read:updated', { roomId, userId, readSeq });
      return { roomId, readSeq };
    },
  };
}
export type MessageService = ReturnType<typeof createMessageService>;
