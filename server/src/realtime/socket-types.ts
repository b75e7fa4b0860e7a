import type {
  ClientToServerEvents,
  InterServerEvents,
  ServerToClientEvents,
  SocketData,
} from '@parley/contract';
import type { Server, Socket } from 'socket.io';

export type ParleyServer = Server<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

export type ParleySocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  InterServerEvents,
  SocketData
>;

/** Socket.IO room that carries a chat room's events to its members' sockets. */
export const roomChannel = (roomId: string) => `room:${roomId}`;
/** Socket.IO room holding every socket of one user (all devices, all nodes). */
export const userChannel = (userId: string) => `user:${userId}`;
/** Socket.IO room holding the sockets opened with one login session. */
export const sessionChannel = (sessionId: string) => `session:${sessionId}`;
