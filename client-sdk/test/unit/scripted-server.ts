import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message, RoomSummary } from '@parley/contract';
import { Server, type Socket } from 'socket.io';

/**
 * A stand-in Parley node speaking the wire contract over a real Socket.IO server (port 0),
 * with scripted answers: enough to test the client's wiring (events, failover, watchdog)
 * without Redis or Cassandra. Requests without a script get an `ok` with empty data.
 */
export type Handler = (payload: Record<string, unknown>, socket: Socket) => unknown;

export interface ScriptedServer {
  url: string;
  io: Server;
  /** Every request received: event, payload. */
  received: { event: string; payload: Record<string, unknown> }[];
  /** Sets how an event is answered: a value is acked `ok`; `'silent'` never answers. */
  on(event: string, handler: Handler | 'silent'): void;
  /** Messages `history:fetch` answers from, per room, by seq. */
  history: Map<string, Message[]>;
  connected(): Promise<Socket>;
  /** Resolves with the payload of the first `event` received (at once if it already came). */
  request(event: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const defaults: Record<string, Handler> = {
  'room:list': () => [],
  'delivery:ack': () => ({ accepted: 1 }),
  'presence:query': () => [],
};

export async function scriptedServer(): Promise<ScriptedServer> {
  const http = createServer();
  const io = new Server(http);
  const handlers = new Map<string, Handler | 'silent'>();
  const history = new Map<string, Message[]>();
  const received: ScriptedServer['received'] = [];
  const waiters: ((socket: Socket) => void)[] = [];
  const requestWaiters: { event: string; resolve: (p: Record<string, unknown>) => void }[] = [];
  let last: Socket | undefined;

  io.on('connection', (socket) => {
    last = socket;
    for (const wake of waiters.splice(0)) wake(socket);
    socket.onAny((event: string, ...args: unknown[]) => {
      const payload = (args[0] ?? {}) as Record<string, unknown>;
      const ack = args.at(-1);
      received.push({ event, payload });
      for (const w of requestWaiters.filter((x) => x.event === event)) {
        requestWaiters.splice(requestWaiters.indexOf(w), 1);
        w.resolve(payload);
      }
      const handler = handlers.get(event) ?? defaults[event] ?? historyHandler(event);
      if (handler === 'silent' || typeof ack !== 'function') return;
      ack({ ok: true, data: handler ? handler(payload, socket) : null });
    });
  });

  function historyHandler(event: string): Handler | undefined {
    if (event !== 'history:fetch') return undefined;
    return (payload) => {
      const after = typeof payload.after === 'number' ? payload.after : 0;
      const messages = (history.get(String(payload.roomId)) ?? [])
        .filter((m) => m.seq > after)
        .sort((a, b) => a.seq - b.seq);
      const highest = Math.max(0, ...messages.map((m) => m.seq));
      return { messages, hasMore: false, stableSeq: highest };
    };
  }

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    io,
    received,
    history,
    on: (event, handler) => handlers.set(event, handler),
    connected: () =>
      last?.connected ? Promise.resolve(last) : new Promise((resolve) => waiters.push(resolve)),
    request: (event) => {
      const seen = received.find((r) => r.event === event);
      if (seen) return Promise.resolve(seen.payload);
      return new Promise((resolve) => requestWaiters.push({ event, resolve }));
    },
    close: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}

/** An unsigned JWT-shaped token: the client reads `sub`, the scripted server checks nothing. */
export function fakeToken(sub = 'user-1'): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'none' })}.${part({ sub, iat: now, exp: now + 3600 })}.sig`;
}

export function summary(id: string, lastSeq: number): RoomSummary {
  return {
    id,
    name: 'added',
    kind: 'group',
    createdBy: 'user-2',
    createdAt: new Date(0).toISOString(),
    role: 'member',
    lastSeq,
    readSeq: 0,
    unread: 0,
  } as RoomSummary;
}
