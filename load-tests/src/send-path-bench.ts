/**
 * Cost per send of each server send path, measured end to end (emit → ack) on one
 * cluster node against the real Redis and Cassandra, one send at a time so the figures are
 * the path's own latency, not queueing. Paths, interleaved round-robin so noise hits all:
 *
 *   fast          attempt 1, new clientMsgId: bind in one Redis call, three ordered writes
 *   retry-stored  attempt 2 of a stored send: Redis binding + one Cassandra read
 *   lwt           attempt 2 with no Redis binding (Redis lost it): Paxos on the dedupe
 *                 row, then the writes — also what a client that sends no attempt pays
 *
 *   npm run bench:send-path -- [--sends N] [--redis URL] [--cassandra HOST:PORT] [--keyspace K]
 *
 * Prints p50/p99/mean per path. Figures, never assertions: see docs/benchmarks.md.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Ack, ClientToServerEvents, ServerToClientEvents } from '@parley/contract';
import { io, type Socket } from 'socket.io-client';
import { generateSigningKey, migrate, nodeEnv, startNode, stopNodes } from './lib/nodes';

type BenchSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const PATHS = ['fast', 'retry-stored', 'lwt'] as const;
type PathName = (typeof PATHS)[number];

const { values } = parseArgs({
  options: {
    sends: { type: 'string', default: '300' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6390' },
    cassandra: { type: 'string', default: '127.0.0.1:9042' },
    keyspace: { type: 'string', default: 'parley_bench' },
  },
});
const sends = Number(values.sends);
for (const [name, value] of [
  ['redis', values.redis],
  ['cassandra', values.cassandra],
] as const) {
  // Load and fault traffic stays on this machine.
  if (!/(^|\/\/)127\.\d+\.\d+\.\d+[:/]?/.test(value)) throw new Error(`--${name} must be loopback`);
}
if (!Number.isInteger(sends) || sends < 10) throw new Error('--sends must be an integer >= 10');

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function request(socket: BenchSocket, payload: Record<string, unknown>): Promise<Ack<unknown>> {
  return new Promise((resolvePromise, reject) => {
    const emit = socket.timeout(15_000).emit as unknown as (
      event: string,
      payload: unknown,
      ack: (err: Error | null, response: Ack<unknown>) => void,
    ) => void;
    emit.call(socket.timeout(15_000), 'message:send', payload, (err, response) =>
      err ? reject(err) : resolvePromise(response),
    );
  });
}

async function postJson(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function main() {
  const runId = randomBytes(3).toString('hex');
  const env = nodeEnv({
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    ARGON2_MEMORY_KIB: '8192',
    ARGON2_TIME_COST: '1',
    MESSAGES_PER_USER_PER_10S: '10000000',
    REDIS_URL: values.redis,
    REDIS_KEY_PREFIX: `bench:${runId}:`,
    CASSANDRA_CONTACT_POINTS: values.cassandra,
    CASSANDRA_KEYSPACE: values.keyspace,
  });
  console.log(`[send-path] ${await migrate(repoRoot, env)}`);
  const node = await startNode('node-1', repoRoot, {
    ...env,
    JWT_PRIVATE_KEY: generateSigningKey(),
    NODE_ID: `send-path-${runId}`,
  });
  node.child.stdout?.resume();
  let socket: BenchSocket | undefined;
  try {
    const credentials = { username: `sp${runId}`, password: 'bench-password-1' };
    await postJson(`${node.url}/auth/register`, credentials);
    const login = await postJson(`${node.url}/auth/login`, credentials);
    const token = String(login.body.accessToken);
    socket = io(node.url, { auth: { token }, transports: ['websocket'], reconnection: false });
    await new Promise((r, j) => {
      socket!.once('connect', () => r(undefined));
      socket!.once('connect_error', j);
    });
    const created = await new Promise<Ack<{ id: string }>>((r) =>
      socket!.emit('room:create', { name: 'send-path' }, (ack) => r(ack as Ack<{ id: string }>)),
    );
    if (!created.ok) throw new Error('room:create failed');
    const roomId = created.data.id;

    const loadBefore = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    const timings: Record<PathName, number[]> = { fast: [], 'retry-stored': [], lwt: [] };
    const warmup = 20;
    for (let i = 0; i < sends + warmup; i++) {
      for (const path of PATHS) {
        const clientMsgId = randomUUID();
        const body = `${path} ${i}`;
        if (path === 'retry-stored') {
          const stored = await request(socket, { roomId, clientMsgId, body, attempt: 1 });
          if (!stored.ok) throw new Error('setup send failed');
        }
        const payload = { roomId, clientMsgId, body, attempt: path === 'fast' ? 1 : 2 };
        const started = performance.now();
        const ack = await request(socket, payload);
        const took = performance.now() - started;
        if (!ack.ok) throw new Error(`${path} send failed: ${ack.error.code}`);
        if (i >= warmup) timings[path].push(took);
      }
    }
    console.log(`[send-path] ${sends} sequential sends per path, emit → ack, one node`);
    // The figures only mean something on a quiet machine: print how busy it was.
    console.log(
      `[send-path] load avg ${loadBefore} -> ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    console.log('path           p50 ms  p99 ms  mean ms');
    for (const path of PATHS) {
      const sorted = [...timings[path]].sort((x, y) => x - y);
      const mean = sorted.reduce((x, y) => x + y, 0) / sorted.length;
      console.log(
        `${path.padEnd(13)} ${pct(sorted, 50).toFixed(2).padStart(7)} ${pct(sorted, 99).toFixed(2).padStart(7)} ${mean.toFixed(2).padStart(8)}`,
      );
    }
  } finally {
    socket?.close();
    await stopNodes([node]);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
