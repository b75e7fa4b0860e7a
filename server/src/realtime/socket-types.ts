import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from '@parley/contract';
import type { Socket } from 'socket.io';

export type ParleySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/** Socket.IO room that carries a chat room's events to its members' sockets. */
export const roomChannel = (roomId: string) => `room:${roomId}`;
