import { createServer } from 'node:http';
import type { AddressInfo, Socket as TcpSocket } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { coalesceWritesPerTick } from '../../src/realtime/coalesce-writes';
import type { ParleySocket } from '../../src/realtime/socket-types';

const BURST = 50;

/** A Socket.IO server on port 0 that sends BURST events in one tick to each new socket. */
async function burstServer(coalesce: boolean) {
  const http = createServer();
  const server = new Server(http);
  const writes: number[] = [];
  server.on('connection', (socket) => {
    if (coalesce) coalesceWritesPerTick(socket as unknown as ParleySocket);
    // Count what reaches the TCP socket's write paths: one call is one syscall (or fewer).
    const transport = socket.conn.transport as unknown as { socket: { _socket: TcpSocket } };
    const tcp = transport.socket._socket as TcpSocket & {
      _write: (...a: unknown[]) => void;
      _writev: (...a: unknown[]) => void;
    };
    let calls = 0;
    for (const method of ['_write', '_writev'] as const) {
      const real = tcp[method].bind(tcp);
      tcp[method] = (...args: unknown[]) => {
        calls++;
        real(...args);
      };
    }
    socket.on('burst', () => {
      calls = 0;
      for (let i = 0; i < BURST; i++) socket.emit('n', i);
      setTimeout(() => writes.push(calls), 50);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return { url, writes, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const open: { close(): Promise<void> }[] = [];
const clients: ClientSocket[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of open.splice(0)) await s.close();
});

async function receiveBurst(coalesce: boolean) {
  const server = await burstServer(coalesce);
  open.push(server);
  const client = connect(server.url, { transports: ['websocket'] });
  clients.push(client);
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  const got: number[] = [];
  const all = new Promise<void>((resolve) =>
    client.on('n', (i: number) => {
      got.push(i);
      if (got.length === BURST) resolve();
    }),
  );
  client.emit('burst');
  await all;
  while (server.writes.length === 0) await new Promise((r) => setTimeout(r, 10));
  return { got, writes: server.writes[0]! };
}

describe('coalescing the frames a socket gets within one tick', () => {
  it('sends a burst of one tick in two writes, every frame intact and in order', async () => {
    const { got, writes } = await receiveBurst(true);
    expect(got).toEqual([...Array(BURST).keys()]);
    // engine.io writes the first frame at once and queues the rest until that write is done.
    expect(writes).toBe(2);
  });

  it('without it, the same burst takes a write per frame (what it saves)', async () => {
    const { got, writes } = await receiveBurst(false);
    expect(got).toEqual([...Array(BURST).keys()]);
    expect(writes).toBeGreaterThan(BURST / 2);
  });
});
