import { randomUUID } from 'node:crypto';
import { type HistoryPage, limits, type Message } from '@parley/contract';
import { consumeOrThrow } from '../auth/login-throttle';
import { AppError } from '../errors';
import type { NodeContext } from '../ports/node-context';

export type MessageServiceDeps = NodeContext;

/** What clients see: a deleted message keeps its place but loses its body. */
export function toClientMessage(message: Message): Message {
  return message.deleted ? { ...message, body: '' } : message;
}

export function createMessageService(deps: MessageServiceDeps) {
  const { stores, engine, fanout, metrics, logger } = deps;
  const sendLimiter = engine.createRateLimiter({
    keyPrefix: 'send',
    points: deps.config.limits.messagesPer10s,
    durationSeconds: 10,
  });

  const publish = (
    event: 'message:created' | 'message:updated' | 'message:deleted',
    message: Message,
  ) => {
    // One broadcast: the adapter encodes it once and every node delivers to its sockets.
    fanout.toRooms([message.roomId], event, toClientMessage(message));
  };

  async function storeNew(
    roomId: string,
    senderId: string,
    clientMsgId: string,
    body: string,
  ): Promise<Message> {
    const seq = await engine.sequences.next(roomId, () => stores.messages.findLatestSeq(roomId));
    // Stored or failed, the seq is settled afterwards so catching-up clients can move past it.
    const settle = () => void engine.sequences.settle(roomId, seq).catch(() => undefined);
    const message: Message = {
      roomId,
      seq,
      id: randomUUID(),
      senderId,
      clientMsgId,
      body,
      createdAt: new Date().toISOString(),
    };
    try {
      await stores.messages.appendMessage(message);
    } finally {
      settle();
    }
    metrics.messagesStored.inc();
    return message;
  }

  return {
    /**
     * At-least-once in, exactly-once stored: acked only after Cassandra has the message;
     * a retry with the same clientMsgId gets the original back (and re-publishes it, in
     * case the first attempt's node died between the write and the publish).
     */
    async send(
      senderId: string,
      roomId: string,
      clientMsgId: string,
      body: string,
    ): Promise<Message> {
      const timer = metrics.sendLatency.startTimer();
      await consumeOrThrow(sendLimiter, senderId, 'sending too fast');
      const key = `${roomId}:${senderId}:${clientMsgId}`;
      const claim = await engine.sendClaims.claim(key).catch((err: unknown) => {
        throw unavailable('claim', err);
      });
      if (claim.state === 'done') return replay(claim.message);
      if (claim.state === 'in-flight') {
        throw new AppError('CONFLICT', 'this message is already being stored; retry shortly', {
          retryable: true,
          retryAfterMs: 200,
        });
      }
      try {
        // Redis is lossy: the durable dedupe record decides whether this is a retry.
        const existing = await stores.messages.findMessageByClientMsgId(
          roomId,
          senderId,
          clientMsgId,
        );
        if (existing) {
          void engine.sendClaims.complete(key, existing).catch(() => undefined);
          return replay(existing);
        }
        const message = await storeNew(roomId, senderId, clientMsgId, body);
        void engine.sendClaims.complete(key, message).catch(() => undefined);
        publish('message:created', message);
        timer();
        return message;
      } catch (err) {
        void engine.sendClaims.release(key).catch(() => undefined);
        throw err instanceof AppError ? err : unavailable('store', err);
      }

      function replay(message: Message) {
        metrics.duplicateSends.inc();
        publish('message:created', message);
        return toClientMessage(message);
      }
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
          messages: rows.slice(0, limit).map(toClientMessage),
          hasMore: rows.length > limit,
        };
      }
      // Read the stable point BEFORE the rows: every seq settled by then is visible to the
      // (quorum) read that follows, so a seq missing at or below it is truly a hole.
      const stableSeq = await engine.sequences.stableSeq(roomId).catch(() => undefined);
      const rows = await stores.messages.listMessagesAfter(roomId, query.after, limit + 1);
      const page: HistoryPage = {
        messages: rows.slice(0, limit).map(toClientMessage),
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

  function unavailable(stage: string, err: unknown) {
    logger.warn(
      { err: err instanceof Error ? err.message : String(err), stage },
      'send failed; client will retry',
    );
    return new AppError('UNAVAILABLE', 'storage is unavailable; retry', { retryable: true });
  }
}
export type MessageService = ReturnType<typeof createMessageService>;
