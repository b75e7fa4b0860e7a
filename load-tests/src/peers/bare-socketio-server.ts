/**
 * The baseline of the peer bench: bare Socket.IO 4 on one process, websocket transport
 * only, no auth, no storage. Publishers emit `send` with an ack; the server broadcasts
 * `{ body }` as `message` to every subscriber (all in room `all`) and acks. Prints
 * `bare listening on http://127.0.0.1:<port>` once ready. Loopback only.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 0);
const http = createServer();
const io = new Server(http, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  if (socket.handshake.auth?.role !== 'publisher') void socket.join('all');
  socket.on('send', (payload: { body?: unknown }, ack?: (r: { ok: boolean }) => void) => {
    if (typeof payload?.body !== 'string') return ack?.({ ok: false });
    io.to('all').emit('message', { body: payload.body });
    ack?.({ ok: true });
  });
});

http.listen(port, '127.0.0.1', () => {
  const address = http.address();
  if (typeof address === 'object' && address)
    console.log(`bare listening on http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
