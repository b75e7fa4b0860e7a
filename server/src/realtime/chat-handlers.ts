import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { consumeOrThrow } from '../auth/login-throttle';
import type { KeyDirectoryService } from '../e2ee/key-directory-service';
import type { MessageService } from '../messages/message-service';
import type { RoomService } from '../rooms/room-service';
import { handleRequest, type RequestContext } from './handle-request';
import { createRoomAuthorizer } from './room-authorizer';
import { roomChannel, type ParleySocket } from './socket-types';

export interface ChatHandlerDeps extends Omit<RequestContext, 'socket'> {
  rooms: RoomService;
  messages: MessageService;
  keys: KeyDirectoryService;
  /** Typing updates per user, room and state: shared by all the user's sockets and nodes. */
  typingLimiter: RateLimiterAbstract;
  authzRecheckMs: number;
}

export function registerChatHandlers(socket: ParleySocket, deps: ChatHandlerDeps) {
  const { rooms, messages } = deps;
  const ctx: RequestContext = { ...deps, socket };
  const me = () => socket.data.userId;
  const { authorize } = createRoomAuthorizer(socket, { rooms, recheckMs: deps.authzRecheckMs });

  handleRequest(ctx, 'room:create', (p) =>
    rooms.createGroup(me(), p.name, p.memberIds, p.public === true, p.e2ee === true),
  );
  handleRequest(ctx, 'room:join', (p) => rooms.join(me(), p.roomId));
  handleRequest(ctx, 'room:leave', (p) => rooms.leave(me(), p.roomId));
  handleRequest(ctx, 'room:invite', (p) => rooms.invite(me(), p.roomId, p.userIds));
  handleRequest(ctx, 'room:members', (p) => rooms.members(me(), p.roomId));
  handleRequest(ctx, 'room:receipts', (p) => rooms.receipts(me(), p.roomId));
  handleRequest(ctx, 'room:list', () => rooms.list(me()));
  handleRequest(ctx, 'dm:open', (p) => rooms.openDirect(me(), p.userId, p.e2ee === true));

  handleRequest(ctx, 'message:send', async (p) => {
    await authorize(p.roomId);
    return messages.send({ senderId: me(), ...p });
  });
  handleRequest(ctx, 'message:edit', async (p) => {
    await authorize(p.roomId);
    return messages.edit(me(), p.roomId, p.seq, p.body);
  });
  handleRequest(ctx, 'message:delete', async (p) => {
    await authorize(p.roomId);
    return messages.remove(me(), p.roomId, p.seq);
  });
  handleRequest(ctx, 'history:fetch', async (p) => {
    await authorize(p.roomId);
    return messages.history(p.roomId, p);
  });
  handleRequest(ctx, 'delivery:ack', async (p) => {
    await Promise.all([...new Set(p.acks.map((a) => a.roomId))].map(authorize));
    return { accepted: await messages.acknowledgeDelivery(me(), p.acks) };
  });
  handleRequest(ctx, 'read:mark', async (p) => {
    await authorize(p.roomId);
    return messages.markRead(me(), p.roomId, p.seq);
  });

  handleRequest(ctx, 'keys:upload', (p) => deps.keys.upload(me(), p.deviceId, p.keyPackages));
  handleRequest(ctx, 'keys:count', (p) => deps.keys.count(me(), p.deviceId));
  handleRequest(ctx, 'keys:claim', async (p) => {
    await authorize(p.roomId);
    return deps.keys.claim(me(), p.roomId, p.userIds, p.skipDeviceIds ?? []);
  });

  handleRequest(ctx, 'typing:set', async (p) => {
    await authorize(p.roomId);
    await consumeOrThrow(
      deps.typingLimiter,
      `${me()}:${p.roomId}:${p.typing}`,
      'typing updates are limited to one per second per room',
    );
    socket
      .to(roomChannel(p.roomId))
      .emit('typing:changed', { roomId: p.roomId, userId: me(), typing: p.typing });
    return null;
  });
}
