import { io } from 'socket.io-client';
import type { TestSocket } from './socket-client';

export type { TestSocket };

/** The `data` a server middleware attaches to `connect_error`. */
export interface HandshakeRefusal {
  message: string;
  data?: { code?: string; message?: string };
}

/** Auth tests need the handshake's refusal itself, and custom Origin headers. */

/** A raw test socket: websocket only, no reconnection, so every outcome is one event. */
export function openSocket(
  url: string,
  auth: Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
): TestSocket {
  return io(url, {
    auth,
    extraHeaders,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
}

/** Resolves once connected; rejects with the refusal when the handshake fails. */
export function connectSocket(
  url: string,
  token: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<TestSocket> {
  const socket = openSocket(url, { token }, extraHeaders);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Resolves with the refusal; fails the test when the handshake unexpectedly succeeds. */
export function expectHandshakeRefused(
  url: string,
  auth: Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
): Promise<HandshakeRefusal> {
  const socket = openSocket(url, auth, extraHeaders);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.close();
      reject(new Error('handshake was accepted'));
    });
    socket.once('connect_error', (err) => {
      socket.close();
      resolve(err as HandshakeRefusal);
    });
  });
}
