/**
 * A client process of the reconnect-storm bench (forked by reconnect-bench.ts). Each client
 * is a raw Socket.IO connection that behaves like the SDK on reconnect: it asks `room:list`,
 * then pages `history:fetch` after its last seq for every room that moved. When the node
 * dies, every client reconnects at once to the failover URL and catches up again; the
 * client is done when it holds every room's expected seq.
 */
import WebSocket from 'ws';

const now = () => performance.timeOrigin + performance.now();

type In =
  | { type: 'connect'; url: string; tokens: string[]; concurrency: number }
  | { type: 'failover'; url: string }
  | { type: 'expect'; seqs: Record<string, number> }
  | { type: 'status' };

interface Client {
  token: string;
  ws?: WebSocket;
  lastSeq: Map<string, number>;
  nextAckId: number;
  acks: Map<number, (data: unknown) => void>;
  reconnectedAt?: number;
  caughtUpAt?: number;
  closedAt?: number;
  errors: number;
}

const clients: Client[] = [];
let failoverUrl: string | undefined;
let expected: Record<string, number> = {};
let firstError: string | undefined;
const reply = (m: unknown) => process.send?.(m);

function open(client: Client, url: string): Promise<void> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
    perMessageDeflate: false,
  });
  client.ws = ws;
  return new Promise((resolve, reject) => {
    let connected = false;
    ws.on('error', (err) => {
      if (!connected) reject(err);
    });
    ws.on('close', () => {
      if (!connected) return reject(new Error('closed before connect'));
      client.closedAt ??= now();
      for (const cb of client.acks.values()) cb(undefined);
      client.acks.clear();
      if (failoverUrl) void reconnect(client);
    });
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text === '2') return ws.send('3');
      if (text.startsWith('0')) return ws.send(`40${JSON.stringify({ token: client.token })}`);
      if (text.startsWith('40') && !connected) {
        connected = true;
        return resolve();
      }
      if (text.startsWith('44')) return reject(new Error(`refused: ${text}`));
      if (text.startsWith('43')) {
        const bracket = text.indexOf('[');
        const id = Number(text.slice(2, bracket));
        const cb = client.acks.get(id);
        client.acks.delete(id);
        cb?.((JSON.parse(text.slice(bracket)) as unknown[])[0]);
        return;
      }
      if (text.startsWith('42["message:created"')) {
        const room = /"roomId":"([^"]+)"/.exec(text)?.[1];
        const seq = Number(/"seq":(\d+)/.exec(text)?.[1]);
        if (room && seq > (client.lastSeq.get(room) ?? 0)) client.lastSeq.set(room, seq);
        checkDone(client);
      }
    });
  });
}

function call<T>(client: Client, event: string, payload: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const ws = client.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return reject(new Error('not open'));
    const id = client.nextAckId++;
    client.acks.set(id, (data) => {
      const ack = data as { ok: boolean; data?: T; error?: { code: string } } | undefined;
      if (ack?.ok) resolve(ack.data as T);
      else reject(new Error(`${event}: ${ack?.error?.code ?? 'connection lost'}`));
    });
    ws.send(`42${id}${JSON.stringify([event, payload])}`);
  });
}

/** What the SDK does after (re)connecting: list rooms, fetch what moved since lastSeq. */
async function catchUp(client: Client) {
  const rooms = await call<{ id: string; lastSeq: number }[]>(client, 'room:list', {});
  for (const room of rooms) {
    for (;;) {
      const mine = client.lastSeq.get(room.id) ?? 0;
      if (room.lastSeq <= mine) break;
      const page = await call<{ messages: { seq: number }[]; hasMore: boolean }>(
        client,
        'history:fetch',
        { roomId: room.id, after: mine, limit: 100 },
      );
      const top = Math.max(mine, ...page.messages.map((m) => m.seq));
      client.lastSeq.set(room.id, top);
      if (!page.hasMore || top === mine) break;
    }
  }
}

function checkDone(client: Client) {
  if (client.caughtUpAt !== undefined || client.reconnectedAt === undefined) return;
  for (const [room, seq] of client.lastSeq) if ((expected[room] ?? 0) > seq) return;
  if (Object.keys(expected).length === 0) return;
  client.caughtUpAt = now();
}

async function reconnect(client: Client) {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await open(client, failoverUrl as string);
      client.reconnectedAt = now();
      await catchUp(client);
      checkDone(client);
      return;
    } catch (err) {
      client.errors++;
      firstError ??= err instanceof Error ? err.message : String(err);
      // A refused reconnect during the storm: back off briefly like a client would.
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
    }
  }
}

process.on('message', (m: In) => {
  if (m.type === 'connect') {
    void (async () => {
      let next = 0;
      let failed = 0;
      const lane = async () => {
        while (next < m.tokens.length) {
          const client: Client = {
            token: m.tokens[next++] as string,
            lastSeq: new Map(),
            nextAckId: 0,
            acks: new Map(),
            errors: 0,
          };
          try {
            await open(client, m.url);
            await catchUp(client);
            clients.push(client);
          } catch (err) {
            failed++;
            firstError ??= err instanceof Error ? err.message : String(err);
          }
        }
      };
      await Promise.all(Array.from({ length: m.concurrency }, lane));
      reply({ type: 'connected', count: clients.length, failed, firstError });
    })();
  } else if (m.type === 'failover') {
    failoverUrl = m.url;
    reply({ type: 'ok' });
  } else if (m.type === 'expect') {
    expected = m.seqs;
    for (const c of clients) checkDone(c);
    reply({ type: 'ok' });
  } else {
    const done = clients.filter((c) => c.caughtUpAt !== undefined);
    reply({
      type: 'status',
      clients: clients.length,
      reconnected: clients.filter((c) => c.reconnectedAt !== undefined).length,
      caughtUp: done.length,
      firstClosedAt: Math.min(...clients.map((c) => c.closedAt ?? Infinity)),
      lastReconnectedAt: Math.max(0, ...clients.map((c) => c.reconnectedAt ?? 0)),
      lastCaughtUpAt: Math.max(0, ...done.map((c) => c.caughtUpAt ?? 0)),
      caughtUpTimes: done.map((c) => c.caughtUpAt as number),
      errors: clients.reduce((a, c) => a + c.errors, 0),
      firstError,
    });
  }
});
process.on('disconnect', () => process.exit(0));
