import type { Socket as TcpSocket } from 'node:net';
import type { ParleySocket } from './socket-types';

/** The TCP socket under a WebSocket transport; undefined for long-polling (or a change). */
function tcpSocketOf(socket: ParleySocket): TcpSocket | undefined {
  // engine.io's WebSocket transport keeps the `ws` socket as `socket`, and ws keeps the TCP
  // socket as `_socket`; neither is typed. Anything unexpected means: do not coalesce.
  const transport = socket.conn.transport as unknown as { socket?: { _socket?: unknown } };
  const tcp = transport.socket?._socket as Partial<TcpSocket> | undefined;
  return typeof tcp?.cork === 'function' && typeof tcp.uncork === 'function'
    ? (tcp as TcpSocket)
    : undefined;
}

/**
 * The frames engine.io hands the transport in one go leave in one write. engine.io sends a
 * socket's first packet at once and queues the ones that come while that write is in
 * flight; when it completes, it flushes the whole queue to the transport, which sends one
 * WebSocket frame each — one syscall per frame. Corking the TCP socket at each flush and
 * uncorking at the end of the tick turns those N syscalls into one writev. A fan-out node
 * spends most of its CPU in them (issue 11's profile: 47 % in native writev), and a
 * broadcast burst, or several Redis pub/sub messages parsed from one read, queues several
 * frames per socket. Frames and their order are unchanged; only their grouping is.
 */
export function coalesceWritesPerTick(socket: ParleySocket): void {
  let corked = false;
  socket.conn.on('flush', () => {
    if (corked) return;
    const tcp = tcpSocketOf(socket);
    if (!tcp) return;
    corked = true;
    tcp.cork();
    process.nextTick(() => {
      corked = false;
      tcp.uncork();
    });
  });
}
