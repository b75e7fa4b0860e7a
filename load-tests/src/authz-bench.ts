/**
 * What the authorization re-check costs on the send path (issue 12, defect 9).
 *
 * A socket trusts its cached room membership for AUTHZ_RECHECK_MS after Cassandra last
 * confirmed it; 0 re-reads Cassandra (one primary-key read of room_members) before every
 * request. This starts one cluster node per setting against the same Redis and Cassandra and
 * drives closed-loop `message:send` from several senders into one room, printing throughput
 * and ack latency for each setting.
 *
 *   npm run bench:authz -w load-tests -- [--redis redis://127.0.0.1:6390] [--cassandra 127.0.0.1:9042]
 *     [--senders 8] [--messages 300] [--settings 0,2000]
 *
 * It migrates a fresh keyspace `bench_authz_<random>` and leaves it behind (drop it with
 * `DROP KEYSPACE` when done; it holds only the bench's throwaway users and messages).
 */
import { randomUUID } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ack, Message, Room, TokenPair } from '@parley/contract';
import { io, type Socket } from 'socket.io-client';
import {
  benchServerEnv,
  generateSigningKey,
  migrate,
  nodeEnv,
  startNode,
  stopNodes,
} from './lib/nodes';
import { distribution, round, Samples } from './lib/stats';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');

function arg(name: string, fallback: string) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const redisUrl = arg('redis', 'redis://127.0.0.1:6390');
const cassandra = arg('cassandra', '127.0.0.1:9042');
const senders = Number(arg('senders', '8'));
const messages = Number(arg('messages', '300'));
const settings = arg('settings', '0,2000').split(',').map(Number);

async function post(url: string, body: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await res.json()) as unknown;
}

function connect(url: string, token: string): Promise<Socket> {
  const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false });
  return new Promise((ok, fail) => {
    socket.once('connect', () => ok(socket));
    socket.once('connect_error', fail);
  });
}

function request<T>(socket: Socket, event: string, payload: unknown): Promise<T> {
  return new Promise((ok, fail) => {
    socket.timeout(10_000).emit(event, payload, (err: Error | null, ack: Ack<T>) => {
      if (err) return fail(err);
      if (!ack.ok) return fail(new Error(`${event}: ${ack.error.code} ${ack.error.message}`));
      ok(ack.data);
    });
  });
}

async function runSetting(recheckMs: number, keyspace: string) {
  const env = nodeEnv({
    ...benchServerEnv(`bench-authz:${randomUUID().slice(0, 8)}:`),
    REDIS_URL: redisUrl,
    CASSANDRA_CONTACT_POINTS: cassandra,
    CASSANDRA_KEYSPACE: keyspace,
    JWT_PRIVATE_KEY: generateSigningKey(),
    AUTHZ_RECHECK_MS: String(recheckMs),
  });
  const node = await startNode(`authz-${recheckMs}`, repoRoot, env);
  node.child.stdout?.resume();
  const sockets: Socket[] = [];
  try {
    const users: TokenPair[] = [];
    for (let i = 0; i < senders; i++) {
      const username = `b_${randomUUID().slice(0, 12)}`;
      const password = 'bench password 123';
      await post(`${node.url}/auth/register`, { username, password });
      users.push((await post(`${node.url}/auth/login`, { username, password })) as TokenPair);
    }
    for (const u of users) sockets.push(await connect(node.url, u.accessToken));
    const room = await request<Room>(sockets[0]!, 'room:create', {
      name: 'authz bench',
      memberIds: users.slice(1).map((u) => u.user.id),
    });
    const latencies = new Samples();
    const started = performance.now();
    await Promise.all(
      sockets.map(async (socket) => {
        for (let i = 0; i < messages; i++) {
          const t0 = performance.now();
          await request<Message>(socket, 'message:send', {
            roomId: room.id,
            clientMsgId: randomUUID(),
            body: `m${i}`,
          });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const d = distribution(latencies);
    return {
      recheckMs,
      sends: d.count,
      perSecond: round(d.count / seconds),
      p50: round(d.p50),
      p99: round(d.p99),
    };
  } finally {
    for (const s of sockets) s.close();
    await stopNodes([node]);
  }
}

const keyspace = `bench_authz_${randomUUID().slice(0, 8).replace(/-/g, '')}`;
console.log(
  `migrating ${keyspace}: ${await migrate(repoRoot, nodeEnv({ CASSANDRA_CONTACT_POINTS: cassandra, CASSANDRA_KEYSPACE: keyspace }))}`,
);
const rows = [];
for (const recheckMs of settings) rows.push(await runSetting(recheckMs, keyspace));
console.log(`\n${senders} senders × ${messages} closed-loop sends into one room, one node`);
console.log('AUTHZ_RECHECK_MS | sends/s | ack p50 ms | ack p99 ms');
for (const r of rows)
  console.log(
    `${String(r.recheckMs).padStart(16)} | ${String(r.perSecond).padStart(7)} | ${String(r.p50).padStart(10)} | ${String(r.p99).padStart(10)}`,
  );
