/**
 * Durable-sends benchmark (`npm run bench:durable`): Parley cluster (2 nodes, Redis,
 * Cassandra) against Centrifugo's Redis engine (2 nodes, history on), 200 users in 20
 * rooms, sends spread over the rooms at each rate, history pages read alongside.
 * Reports send→ack p50/p99, history page p99, delivery p99 and Cassandra CPU per send.
 * See docs/benchmarks.md ("Durable sends").
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds } from './lib/proc-stats';
import { markdownTable, textTable } from './lib/report';
import { percentile, Samples } from './lib/stats';
import { cpuOf, drive, findCassandraPid, median } from './peers/bench-lib';
import { ensureCentrifugo, newSecrets, removeWorkDir } from './peers/centrifugo';
import { Generator } from './peers/generator';
import { makeBody } from './peers/protocol';
import { startCentrifugoSystem, startParley, startRedis, type System } from './peers/systems';

const here = dirname(fileURLToPath(import.meta.url));
const loadTestsDir = resolve(here, '..');
const repoRoot = resolve(loadTestsDir, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(`[durable] ${line}`);
const now = () => performance.timeOrigin + performance.now();

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '200,1000' },
    users: { type: 'string', default: '200' },
    rooms: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'history-rate': { type: 'string', default: '20' },
    'history-limit': { type: 'string', default: '50' },
    workers: { type: 'string', default: '2' },
    cassandra: { type: 'string', default: '127.0.0.1:9042' },
    keyspace: { type: 'string', default: 'parley_bench_peers' },
    'redis-port': { type: 'string', default: '6422' },
    'centrifugo-port': { type: 'string', default: '3410' },
    out: { type: 'string', default: join(loadTestsDir, 'reports') },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:durable -- [--rates 200,1000] [--users 200] [--rooms 20] [--rounds 2]
  [--duration 10] [--warmup 2] [--history-rate 20] [--history-limit 50] [--workers 2]
  [--cassandra 127.0.0.1:9042] [--keyspace parley_bench_peers] [--redis-port 6422 (and +1)]
  [--centrifugo-port 3410 (and +1)] [--out DIR]
  [--cpu-prof DIR (Parley nodes run under node --cpu-prof; read with tools/profile-top.ts)]`);
  process.exit(0);
}
const num = (k: keyof typeof values) => {
  const n = Number(values[k]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${k} must be a number`);
  return n;
};
const rates = String(values.rates).split(',').map(Number);
const users = num('users');
const rooms = num('rooms');
const rounds = num('rounds');
const duration = num('duration');
const warmup = num('warmup');
const historyRate = num('history-rate');
const historyLimit = num('history-limit');
const redisPort = num('redis-port');
const cfPort = num('centrifugo-port');
if (!/^(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(String(values.cassandra)))
  throw new Error('--cassandra must be a loopback address');

interface Row {
  rate: number;
  system: string;
  round: number;
  ackP50: number;
  ackP99: number;
  historyP99: number;
  deliveryP99: number;
  errors: number;
  acked: number;
  systemCpuPct: number;
  cassandraCpuPct: number | null;
  cassandraIdlePct: number | null;
  cassandraMsPerSend: number | null;
}

/** History pages at `perSec` from random rooms until `until()`; collects page times. */
async function readHistory(sys: System, perSec: number, stop: { done: boolean }, out: Samples) {
  // 0 = no history reads (1000 / 0 would be a 1 ms timer, i.e. reads as fast as possible).
  if (perSec <= 0) return;
  const pending: Promise<void>[] = [];
  while (!stop.done) {
    const t0 = performance.now();
    pending.push(
      (sys.historyPage as NonNullable<System['historyPage']>)(
        historyLimit,
        Math.floor(Math.random() * rooms),
      ).then(
        () => out.push(performance.now() - t0),
        () => undefined,
      ),
    );
    await sleep(1000 / perSec);
  }
  await Promise.all(pending);
}

async function main() {
  const runId = randomBytes(3).toString('hex');
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const stops: (() => Promise<void>)[] = [];
  const cfWork = join(loadTestsDir, '.cache', 'centrifugo', runId);
  const generator = new Generator(num('workers'));
  const cleanup = async () => {
    generator.stop();
    for (const s of stops.reverse()) await s().catch(() => undefined);
    removeWorkDir(cfWork);
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  const rows: Row[] = [];
  try {
    const cassandraPid = findCassandraPid(String(values.cassandra));
    const pRedis = await startRedis(redisPort);
    stops.push(() => pRedis.stop());
    const parley = await startParley({
      repoRoot,
      runId,
      nodes: 2,
      cluster: {
        redisUrl: pRedis.url,
        cassandra: String(values.cassandra),
        keyspace: String(values.keyspace),
      },
      users,
      senders: 5,
      rooms,
      log,
      cpuProf: values['cpu-prof'] ? resolve(String(values['cpu-prof'])) : undefined,
    });
    stops.push(() => parley.stop());
    parley.pids.set('redis', pRedis.pid);
    const cRedis = await startRedis(redisPort + 1);
    stops.push(() => cRedis.stop());
    const cf = await startCentrifugoSystem({
      bin: ensureCentrifugo(join(loadTestsDir, '.cache'), log),
      workDir: cfWork,
      secrets: newSecrets(),
      ports: [cfPort, cfPort + 1],
      redisUrl: cRedis.url,
      runId,
      rooms,
    });
    stops.push(() => cf.stop());
    cf.pids.set('redis', cRedis.pid);
    const systems = [parley, cf];
    let expectedReady = 0;
    for (const sys of systems) {
      await generator.connect(Array.from({ length: users }, (_, i) => sys.target(i)));
      expectedReady += users;
      for (let probe = 0; (await generator.readyCount()) < expectedReady; probe++) {
        if (probe > 120) throw new Error(`${sys.key}: subscribers never all received a probe`);
        for (let r = 0; r < rooms; r++) await sys.publish(makeBody(now(), 'p', probe, 100), r);
        await sleep(500);
      }
      log(`${sys.key}: ${users} users connected in ${rooms} rooms`);
    }

    let tagNo = 0;
    for (let round = 1; round <= rounds; round++)
      for (const rate of rates)
        for (const sys of round % 2 ? systems : [...systems].reverse()) {
          const w = await drive(sys, rate, warmup, 'w', 100, new Samples(), rooms);
          await w.settle(5_000);
          // Cassandra is shared with other work on this box: measure its idle rate first.
          const idle0 = cassandraPid ? cpuSeconds(cassandraPid) : undefined;
          await sleep(2_000);
          const idle1 = cassandraPid ? cpuSeconds(cassandraPid) : undefined;
          const tag = `d${++tagNo}`;
          const acks = new Samples();
          const historyTimes = new Samples();
          const stop = { done: false };
          const sysPids = [...sys.pids.values()];
          const cpu0 = cpuOf(sysPids);
          const cas0 = cassandraPid ? cpuSeconds(cassandraPid) : undefined;
          const t0 = performance.now();
          const reader = readHistory(sys, historyRate, stop, historyTimes);
          const d = await drive(sys, rate, duration, tag, 100, acks, rooms);
          const elapsed = (performance.now() - t0) / 1000;
          stop.done = true;
          const cpu = cpuOf(sysPids) - cpu0;
          const cas1 = cassandraPid ? cpuSeconds(cassandraPid) : undefined;
          const settled = await d.settle(15_000);
          await reader;
          await generator.drain(tag, (settled.acked * users) / rooms);
          const got = await generator.collect(tag);
          const a = acks.sorted();
          const h = historyTimes.sorted();
          const isParley = sys.key === 'cluster';
          const casPct =
            cas0 !== undefined && cas1 !== undefined ? ((cas1 - cas0) / elapsed) * 100 : null;
          const idlePct =
            idle0 !== undefined && idle1 !== undefined ? ((idle1 - idle0) / 2) * 100 : null;
          const row: Row = {
            rate,
            system: isParley ? 'Parley cluster' : 'Centrifugo Redis',
            round,
            ackP50: percentile(a, 50),
            ackP99: percentile(a, 99),
            historyP99: percentile(h, 99),
            deliveryP99: got.histogram.percentile(99),
            errors: settled.errors,
            acked: settled.acked,
            systemCpuPct: (cpu / elapsed) * 100,
            cassandraCpuPct: isParley ? casPct : null,
            cassandraIdlePct: isParley ? idlePct : null,
            cassandraMsPerSend:
              isParley && casPct !== null && idlePct !== null
                ? (((casPct - idlePct) / 100) * elapsed * 1000) / Math.max(1, settled.acked)
                : null,
          };
          rows.push(row);
          log(
            `round ${round} ${rate}/s ${row.system}: ack p50 ${row.ackP50.toFixed(1)} p99 ${row.ackP99.toFixed(1)} ms, history p99 ${row.historyP99.toFixed(1)} ms, delivery p99 ${row.deliveryP99.toFixed(1)} ms, errors ${row.errors}` +
              (isParley
                ? `, Cassandra ${casPct?.toFixed(0)}% (idle ${idlePct?.toFixed(0)}%) = ${row.cassandraMsPerSend?.toFixed(2)} ms CPU/send`
                : ''),
          );
        }
  } finally {
    await cleanup();
  }

  const f = (n: number | null, d = 1) => (n !== null && Number.isFinite(n) ? n.toFixed(d) : '-');
  const table: string[][] = [
    [
      'sends/s',
      'system',
      'ack p50',
      'ack p99',
      'history p99',
      'delivery p99',
      'errors',
      'system CPU %',
      'Cassandra % (idle %)',
      'Cassandra CPU ms/send',
    ],
  ];
  for (const rate of rates)
    for (const system of ['Parley cluster', 'Centrifugo Redis']) {
      const rs = rows.filter((r) => r.rate === rate && r.system === system);
      const m = (k: keyof Row) => median(rs.map((r) => r[k] as number).filter((v) => v !== null));
      table.push([
        String(rate),
        system,
        f(m('ackP50')),
        f(m('ackP99')),
        f(m('historyP99')),
        f(m('deliveryP99')),
        String(rs.reduce((a, r) => a + r.errors, 0)),
        f(m('systemCpuPct'), 0),
        system === 'Parley cluster'
          ? `${f(m('cassandraCpuPct'), 0)} (${f(m('cassandraIdlePct'), 0)})`
          : '',
        system === 'Parley cluster' ? f(m('cassandraMsPerSend'), 2) : '',
      ]);
    }
  const command = `npm run bench:durable -- ${process.argv.slice(2).join(' ')}`.trim();
  const loadLine = `load average before ${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}`;
  console.log(
    `\n${command}\n${users} users in ${rooms} rooms, 2 nodes each, ${rounds} round(s) × ${duration} s, history pages of ${historyLimit} at ${historyRate}/s; medians over rounds\n`,
  );
  console.log(textTable(table));
  console.log(`\n${loadLine}`);
  mkdirSync(String(values.out), { recursive: true });
  const base = join(String(values.out), `${startedAt.toISOString().replace(/[:.]/g, '-')}-durable`);
  writeFileSync(`${base}.json`, JSON.stringify({ command, startedAt, loadBefore, rows }, null, 2));
  writeFileSync(
    `${base}.md`,
    `# Durable sends ${startedAt.toISOString()}\n\n\`\`\`sh\n${command}\n\`\`\`\n\n${markdownTable(table)}\n\n${loadLine}\n`,
  );
  console.log(`report: ${base}.{md,json}`);
}

await main();
