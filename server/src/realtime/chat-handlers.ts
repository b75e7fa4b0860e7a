import {
  deliveryAckSchema,
  dmOpenSchema,
  historyFetchSchema,
  markReadSchema,
  messageDeleteSchema,
  messageEditSchema,
  messageSendSchema,
  roomCreateSchema,
  roomInviteSchema,
  roomRefSchema,
  typingSchema,
} from '@parley/contract';
import { z } from 'zod';
import { AppError } from '../errors';
import type { MessageService } from '../messages/message-service';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RoomService } from '../rooms/room-service';
import { handleRequest } from './handle-request';
import { roomChannel, type ParleySocket } from './socket-types';

/** Typing indicators are ephemeral and capped per socket and room. */
const TYPING_MIN_INTERVAL_MS = 1_000;

export interface ChatHandlerDeps {
  logger: Logger;
  metrics: Metrics;
  rooms: RoomService;
  messages: MessageService;
  track: <T>(work: Promise<T>) => Promise<T>;
}

export function registerChatHandlers(socket: ParleySocket, deps: ChatHandlerDeps) {
  const { rooms, messages } = deps;
  const ctx = { socket, logger: deps.logger, metrics: deps.metrics, track: deps.track };
  const me = () => socket.data.userId;

  /**
   * Authorization on every event. The socket's channels are the fast path; a miss
   * asks Cassandra (a membership granted on another node may not have reached us yet).
   */
  async function authorize(roomId: string) {
    if (socket.rooms.has(roomChannel(roomId))) return;
    await rooms.requireMember(roomId, me());
    await socket.join(roomChannel(roomId));
  }

  handleRequest(ctx, 'room:create', roomCreateSchema, (p) =>
    rooms.createGroup(me(), p.name, p.memberIds),
  );
  handleRequest(ctx, 'room:join', roomRefSchema, (p) => rooms.join(me(), p.roomId));
  handleRequest(ctx, 'room:leave', roomRefSchema, (p) => rooms.leave(me(), p.roomId));
  handleRequest(ctx, 'room:invite', roomInviteSchema, (p) =>
    rooms.invite(me(), p.roomId, p.userIds),
  );
  handleRequest(ctx, 'room:members', roomRefSchema, (p) => rooms.members(me(), p.roomId));
  handleRequest(ctx, 'room:list', z.object({}).strict(), () => rooms.list(me()));
  handleRequest(ctx, 'dm:open', dmOpenSchema, (p) => rooms.openDirect(me(), p.userId));

  handleRequest(ctx, 'message:send', messageSendSchema, async (p) => {
    await authorize(p.roomId);
    return messages.send({ senderId: me(), ...p });
  });
  handleRequest(ctx, 'message:edit', messageEditSchema, async (p) => {
    await authorize(p.roomId);
    return messages.edit(me(), p.roomId, p.seq, p.body);
  });
  handleRequest(ctx, 'message:delete', messageDeleteSchema, async (p) => {
    await authorize(p.roomId);
    return messages.remove(me(), p.roomId, p.seq);
  });
  handleRequest(ctx, 'history:fetch', historyFetchSchema, async (p) => {
    await authorize(p.roomId);
    return messages.history(p.roomId, p);
  });
  handleRequest(ctx, 'delivery:ack', deliveryAckSchema, async (p) => {
    await Promise.all([...new Set(p.acks.map((a) => a.roomId))].map(authorize));
    return { accepted: await messages.acknowledgeDelivery(me(), p.acks) };
  });
  handleRequest(ctx, 'read:mark', markReadSchema, async (p) => {
    await authorize(p.roomId);
    return messages.markRead(me(), p.roomId, p.seq);
  });

  const lastTyping = new Map<string, number>();
  handleRequest(ctx, 'typing:set', typingSchema, async (p) => {
    await authorize(p.roomId);
    const now = Date.now();
    const key = `${p.roomId}:${p.typing}`;
    if (now - (lastTyping.get(key) ?? 0) < TYPING_MIN_INTERVAL_MS) {
      throw new AppError('RATE_LIMITED', 'typing updates are limited to one per second', {
        retryAfterMs: TYPING_MIN_INTERVAL_MS - (now - (lastTyping.get(key) ?? 0)),
      });
    }
    lastTyping.set(key, now);
    socket
      .to(roomChannel(p.roomId))
      .emit('typing:changed', { roomId: p.roomId, userId: me(), typing: p.typing });
    return null;
  });
}
