/**
 * One load-generator process of the peer bench (forked by peers-bench.ts). It holds a
 * share of the subscriber connections and times every delivery against the send time
 * carried in the body. It speaks the wire protocols directly on `ws` — Engine.IO v4 /
 * Socket.IO v5 frames, Centrifugo's JSON protocol — and finds the body in each frame with
 * indexOf instead of parsing it, so the generator stays cheap next to the servers.
 */
import WebSocket from 'ws';
import { Histogram } from './histogram';
import type { FromWorker, SubscriberTarget, ToWorker } from './protocol';

const now = () => performance.timeOrigin + performance.now();
const send = (m: FromWorker) => process.send?.(m);

interface Tagged {
  histogram: Histogram;
  deliveries: number;
  bytes: number;
}
const byTag = new Map<string, Tagged>();
const sockets: WebSocket[] = [];
const ready = new Set<WebSocket>();
const BODY = '"body":"';

/** Records every bench body found in one frame (Centrifugo may batch several per frame). */
function onFrame(ws: WebSocket, text: string, bytes: number) {
  const at = now();
  let from = 0;
  for (;;) {
    const i = text.indexOf(BODY, from);
    if (i < 0) return;
    const start = i + BODY.length;
    const bar1 = text.indexOf('|', start);
    const bar2 = text.indexOf('|', bar1 + 1);
    from = bar2 + 1;
    if (bar1 < 0 || bar2 < 0) return;
    const tag = text.slice(bar1 + 1, bar2);
    if (tag === 'p') {
      ready.add(ws);
      continue;
    }
    if (tag === 'w') continue;
    let t = byTag.get(tag);
    if (!t) byTag.set(tag, (t = { histogram: new Histogram(), deliveries: 0, bytes: 0 }));
    t.histogram.record(at - Number(text.slice(start, bar1)));
    t.deliveries++;
    t.bytes += bytes / countOf(text);
  }
}

function countOf(text: string) {
  let n = 0;
  for (let i = text.indexOf(BODY); i >= 0; i = text.indexOf(BODY, i + 1)) n++;
  return Math.max(1, n);
}

function openSocketIo(target: SubscriberTarget): Promise<WebSocket> {
  const url = `${target.url}/socket.io/?EIO=4&transport=websocket`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    let connected = false;
    const timer = setTimeout(() => fail(new Error('socket.io connect timeout')), 30_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    ws.on('error', (err) => (connected ? undefined : fail(err)));
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (connected) {
        if (text === '2')
          ws.send('3'); // Engine.IO ping → pong
        else onFrame(ws, text, data.length);
        return;
      }
      if (text.startsWith('0')) ws.send(`40${JSON.stringify({ token: target.token })}`);
      else if (text.startsWith('40')) {
        connected = true;
        clearTimeout(timer);
        resolve(ws);
      } else if (text.startsWith('44')) fail(new Error(`socket.io connect refused: ${text}`));
    });
  });
}

function openCentrifugo(target: SubscriberTarget): Promise<WebSocket> {
  const ws = new WebSocket(target.url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    let subscribed = false;
    const timer = setTimeout(() => fail(new Error('centrifugo connect timeout')), 30_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(err);
    };
    ws.on('error', (err) => (subscribed ? undefined : fail(err)));
    ws.on('open', () => {
      // Commands may be sent back to back; replies carry the ids.
      ws.send(
        `${JSON.stringify({ id: 1, connect: { token: target.token, name: 'peers-bench' } })}\n` +
          JSON.stringify({ id: 2, subscribe: { channel: target.channel } }),
      );
    });
    ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (subscribed) {
        if (text === '{}')
          ws.send('{}'); // server ping → client pong
        else onFrame(ws, text, data.length);
        return;
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        const reply = JSON.parse(line) as { id?: number; error?: unknown };
        if (reply.error) return fail(new Error(`centrifugo refused: ${line}`));
        if (reply.id === 2) {
          subscribed = true;
          clearTimeout(timer);
          resolve(ws);
        }
      }
    });
  });
}

async function connectAll(targets: SubscriberTarget[], concurrency: number) {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const lane = async () => {
    while (next < targets.length) {
      const target = targets[next++] as SubscriberTarget;
      try {
        const ws = await (target.wire === 'socketio'
          ? openSocketIo(target)
          : openCentrifugo(target));
        sockets.push(ws);
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  send({ type: 'connected', count: sockets.length, failed, firstError });
}

async function disconnectAll() {
  await Promise.all(
    sockets.splice(0).map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          ws.close();
          setTimeout(() => {
            ws.terminate();
            resolve();
          }, 2_000).unref();
        }),
    ),
  );
  ready.clear();
  byTag.clear();
  send({ type: 'disconnected' });
}

process.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'connect':
      void connectAll(m.targets, m.concurrency);
      break;
    case 'ready-count':
      send({
        type: 'ready-count',
        ready: ready.size,
        open: sockets.filter((s) => s.readyState === WebSocket.OPEN).length,
      });
      break;
    case 'collect': {
      const t = byTag.get(m.tag);
      byTag.delete(m.tag);
      send({
        type: 'collected',
        tag: m.tag,
        histogram: (t?.histogram ?? new Histogram()).toSparse(),
        deliveries: t?.deliveries ?? 0,
        bytes: t?.bytes ?? 0,
      });
      break;
    }
    case 'count':
      send({ type: 'count', tag: m.tag, deliveries: byTag.get(m.tag)?.deliveries ?? 0 });
      break;
    case 'disconnect':
      void disconnectAll();
      break;
  }
});
process.on('disconnect', () => process.exit(0));
