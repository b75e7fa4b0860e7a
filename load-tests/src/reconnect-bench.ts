/**
 * Reconnect-storm benchmark (`npm run bench:reconnect`): a 2-node Parley cluster (own
 * Redis, shared Cassandra, a keyspace of its own so Cassandra's per-table read counters
 * are this run's alone). Every client connects to node A; A is SIGKILLed while messages
 * keep arriving through node B; every client reconnects to B at once and catches up
 * the way the SDK does (room:list, then history after its last seq). Reports the time
 * from the kill until every client holds every message, and Cassandra reads per
 * reconnect (coordinator reads from system_views.coordinator_read_latency, by table).
 * See docs/benchmarks.md ("Reconnect storm").
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cassandra from 'cassandra-driver';
import { io } from 'socket.io-client';
import { textTable } from './lib/report';
import { startParley, startRedis } from './peers/systems';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const log = (line: string) => console.log(`[storm] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.timeOrigin + performance.now();

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' },
    users: { type: 'string', default: '1000' },
    rooms: { type: 'string', default: '20' },
    before: { type: 'string', default: '10' },
    during: { type: 'string', default: '5' },
    workers: { type: 'string', default: '4' },
    cassandra: { type: 'string', default: '127.0.0.1:9042' },
    keyspace: { type: 'string', default: 'parley_bench_storm' },
    'redis-port': { type: 'string', default: '6425' },
    timeout: { type: 'string', default: '180' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:reconnect -- [--clients 5000] [--users 1000] [--rooms 20]
  [--before 10] [--during 5] [--workers 4] [--cassandra H] [--keyspace parley_bench_storm]
  [--redis-port 6425] [--timeout 180]
  Client i uses user i mod users; user u is a member of room u mod rooms. --before messages
  per room are sent before the kill, --during per room right after it (through node B).`);
  process.exit(0);
}
const n = (k: keyof typeof values) => Number(values[k]);
const [host = '127.0.0.1', port = '9042'] = String(values.cassandra).split(':');
if (!/^(127\.\d+\.\d+\.\d+|localhost)$/.test(host)) throw new Error('--cassandra must be loopback');

async function readCounts(): Promise<Map<string, number>> {
  const client = new cassandra.Client({
    contactPoints: [`${host}:${port}`],
    localDataCenter: 'datacenter1',
  });
  try {
    const rs = await client.execute(
      'SELECT table_name, count FROM system_views.coordinator_read_latency WHERE keyspace_name = ? ALLOW FILTERING',
      [String(values.keyspace)],
    );
    return new Map(rs.rows.map((r) => [String(r.table_name), Number(r.count)]));
  } finally {
    await client.shutdown();
  }
}

type Status = {
  clients: number;
  reconnected: number;
  caughtUp: number;
  firstClosedAt: number;
  lastReconnectedAt: number;
  lastCaughtUpAt: number;
  caughtUpTimes: number[];
  errors: number;
  firstError?: string;
};

async function main() {
  const runId = randomBytes(3).toString('hex');
  const clientsWanted = n('clients');
  const stops: (() => Promise<void>)[] = [];
  const workers: ChildProcess[] = [];
  const ask = <T>(w: ChildProcess, m: unknown) =>
    new Promise<T>((res) => {
      w.once('message', (r) => res(r as T));
      w.send(m as never);
    });
  try {
    const redis = await startRedis(n('redis-port'));
    stops.push(() => redis.stop());
    const parley = await startParley({
      repoRoot,
      runId,
      nodes: 2,
      cluster: {
        redisUrl: redis.url,
        cassandra: String(values.cassandra),
        keyspace: String(values.keyspace),
      },
      users: n('users'),
      senders: 2,
      rooms: n('rooms'),
      log,
    });
    stops.push(() => parley.stop());
    const [nodeA, nodeB] = parley.nodes as [(typeof parley.nodes)[0], (typeof parley.nodes)[0]];
    // A publisher on B, so sends go on while A is dead.
    const pub = io(nodeB.url, {
      auth: { token: parley.senderTokens[1] },
      transports: ['websocket'],
      forceNew: true,
    });
    await new Promise((r) => pub.once('connect', () => r(undefined)));
    const send = (roomId: string) =>
      new Promise<number>((res, rej) =>
        pub.timeout(30_000).emit(
          'message:send',
          {
            roomId,
            clientMsgId: randomUUID(),
            body: `storm ${now()}`.padEnd(100, 'x'),
            attempt: 1,
          },
          (err: Error | null, ack: { ok: boolean; data?: { seq: number } }) =>
            err || !ack.ok ? rej(err ?? new Error('send refused')) : res(ack.data?.seq ?? 0),
        ),
      );

    for (let i = 0; i < n('workers'); i++)
      workers.push(
        fork(join(here, 'peers', 'storm-worker.ts'), [], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        }),
      );
    const tokens = Array.from(
      { length: clientsWanted },
      (_, i) => parley.target(i).token as string,
    );
    const t0 = performance.now();
    const connected = await Promise.all(
      workers.map((w, k) =>
        ask<{ count: number; failed: number; firstError?: string }>(w, {
          type: 'connect',
          url: nodeA.url,
          tokens: tokens.filter((_, i) => i % workers.length === k),
          concurrency: 20,
        }),
      ),
    );
    const total = connected.reduce((a, c) => a + c.count, 0);
    const failed = connected.reduce((a, c) => a + c.failed, 0);
    if (failed)
      throw new Error(
        `${failed} clients failed to connect: ${connected.find((c) => c.firstError)?.firstError}`,
      );
    log(`${total} clients on node A in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    for (let k = 0; k < n('before'); k++) await Promise.all(parley.roomIds.map(send));
    await sleep(2_000);
    await Promise.all(workers.map((w) => ask(w, { type: 'failover', url: nodeB.url })));
    const before = await readCounts();

    const killAt = now();
    nodeA.child.kill('SIGKILL');
    log(`node A (pid ${nodeA.pid}) SIGKILLed; ${n('during')} messages per room go through B`);
    const latest: Record<string, number> = {};
    for (let k = 0; k < n('during'); k++) {
      const seqs = await Promise.all(parley.roomIds.map(send));
      parley.roomIds.forEach((r, i) => (latest[r] = Math.max(latest[r] ?? 0, seqs[i] ?? 0)));
    }
    await Promise.all(workers.map((w) => ask(w, { type: 'expect', seqs: latest })));

    const deadline = performance.now() + n('timeout') * 1000;
    let statuses: Status[] = [];
    for (;;) {
      await sleep(500);
      statuses = await Promise.all(workers.map((w) => ask<Status>(w, { type: 'status' })));
      const done = statuses.reduce((a, s) => a + s.caughtUp, 0);
      if (done >= total || performance.now() > deadline) break;
    }
    await sleep(1_000);
    const after = await readCounts();
    pub.close();

    const sum = (k: keyof Status) => statuses.reduce((a, s) => a + (s[k] as number), 0);
    const times = statuses
      .flatMap((s) => s.caughtUpTimes)
      .map((t) => (t - killAt) / 1000)
      .sort((a, b) => a - b);
    const pct = (p: number) =>
      times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] ?? NaN;
    const reconnects = sum('reconnected');
    const reads: string[][] = [['table', 'coordinator reads', 'per reconnect']];
    let totalReads = 0;
    for (const [table, count] of after) {
      const d = count - (before.get(table) ?? 0);
      if (d <= 0) continue;
      totalReads += d;
      reads.push([table, String(d), (d / Math.max(1, reconnects)).toFixed(2)]);
    }
    reads.push(['total', String(totalReads), (totalReads / Math.max(1, reconnects)).toFixed(2)]);
    console.log(`\nnpm run bench:reconnect -- ${process.argv.slice(2).join(' ')}`);
    console.log(
      `${total} clients (${values.users} users) in ${values.rooms} rooms on node A; A SIGKILLed; every client reconnects to B at once and catches up (room:list + history after its last seq)\n`,
    );
    console.log(
      textTable([
        [
          'clients',
          'reconnected',
          'caught up',
          'errors',
          'all caught up after s',
          'p50 s',
          'p99 s',
          'last reconnect after s',
        ],
        [
          String(total),
          String(reconnects),
          String(sum('caughtUp')),
          String(sum('errors')),
          times.length === total
            ? (times.at(-1) as number).toFixed(2)
            : `not all (${times.length})`,
          pct(50).toFixed(2),
          pct(99).toFixed(2),
          ((Math.max(...statuses.map((s) => s.lastReconnectedAt)) - killAt) / 1000).toFixed(2),
        ],
      ]),
    );
    console.log(`\nCassandra coordinator reads during the storm (keyspace ${values.keyspace}):\n`);
    console.log(textTable(reads));
    const firstError = statuses.find((s) => s.firstError)?.firstError;
    if (firstError) console.log(`\nfirst client error: ${firstError}`);
    console.log(
      `load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    for (const w of workers) w.kill('SIGKILL');
    for (const s of stops.reverse()) await s().catch(() => undefined);
  }
}

await main();
