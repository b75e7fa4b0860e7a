import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@parley/contract';
import { io, type Socket } from 'socket.io-client';

export type TestSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Connects with the websocket transport only (no sticky sessions needed) and waits for the handshake. */
export function connect(
  url: string,
  token: string,
  options: { reconnection?: boolean } = {},
): Promise<TestSocket> {
  const socket: TestSocket = io(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: options.reconnection ?? false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

type Payload<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[0];
type Result<E extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[E]>[1] extends (
  ack: Ack<infer R>,
) => void
  ? R
  : never;

/** Emits a request and resolves with its ack envelope. */
export function request<E extends keyof ClientToServerEvents>(
  socket: TestSocket,
  event: E,
  payload: Payload<E>,
  timeoutMs = 10_000,
): Promise<Ack<Result<E>>> {
  return new Promise((resolve, reject) => {
    const emit = socket.timeout(timeoutMs).emit as (
      event: string,
      payload: unknown,
      ack: (err: Error | null, response: Ack<Result<E>>) => void,
    ) => void;
    emit.call(socket.timeout(timeoutMs), event, payload, (err, response) =>
      err ? reject(err) : resolve(response),
    );
  });
}

/** Like request, but returns the data and throws on an error ack. */
export async function call<E extends keyof ClientToServerEvents>(
  socket: TestSocket,
  event: E,
  payload: Payload<E>,
): Promise<Result<E>> {
  const ack = await request(socket, event, payload);
  if (!ack.ok) throw new Error(`${event} failed: ${ack.error.code} ${ack.error.message}`);
  return ack.data;
}

/** Resolves when `predicate` holds for the events collected so far (or later ones). */
export function collect<E extends keyof ServerToClientEvents>(socket: TestSocket, event: E) {
  type Arg = Parameters<ServerToClientEvents[E]>[0];
  const items: Arg[] = [];
  const waiters: { predicate: (items: Arg[]) => boolean; resolve: () => void }[] = [];
  (socket.on as (e: string, l: (arg: Arg) => void) => void)(event, (arg) => {
    items.push(arg);
    for (const w of [...waiters]) {
      if (w.predicate(items)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  });
  return {
    items,
    until(predicate: (items: Arg[]) => boolean, timeoutMs = 15_000): Promise<Arg[]> {
      if (predicate(items)) return Promise.resolve(items);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${event}; got ${items.length}`)),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: () => {
            clearTimeout(timer);
            resolve(items);
          },
        });
      });
    },
  };
}

/** Sockets a test opens, closed together in afterAll. */
export function socketPool() {
  const sockets: TestSocket[] = [];
  return {
    async open(url: string, token: string): Promise<TestSocket> {
      const socket = await connect(url, token);
      sockets.push(socket);
      return socket;
    },
    closeAll() {
      for (const socket of sockets) socket.close();
    },
  };
}
