/**
 * Connection-memory benchmark (`npm run bench:connections`): one Parley node, idle
 * authenticated Socket.IO connections added in steps; reports the node's RSS and V8 heap
 * per connection at each checkpoint and the most sockets the node held. Clients are
 * spread over several generator processes (one process may open at most 20,000 files
 * here, and so may the node). See docs/benchmarks.md ("Connections").
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rssBytes } from './lib/proc-stats';
import { textTable } from './lib/report';
import { Generator } from './peers/generator';
import { startParley, startRedis } from './peers/systems';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const log = (line: string) => console.log(`[connections] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const { values } = parseArgs({
  options: {
    at: { type: 'string', default: '5000,15000' },
    max: { type: 'string', default: '20000' },
    step: { type: 'string', default: '1000' },
    users: { type: 'string', default: '500' },
    workers: { type: 'string', default: '5' },
    engine: { type: 'string', default: 'embedded' },
    cassandra: { type: 'string', default: '127.0.0.1:9042' },
    keyspace: { type: 'string', default: 'parley_bench_peers' },
    'redis-port': { type: 'string', default: '6424' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`Usage: npm run bench:connections -- [--at 5000,15000] [--max 20000] [--step 1000]
  [--users 500] [--workers 5] [--engine embedded|cluster] [--cassandra H] [--keyspace K] [--redis-port 6424]
  Sockets use the tokens of --users users round-robin (one user may hold many sockets).
  --max 0 skips the search for the most sockets one node holds.`);
  process.exit(0);
}
const checkpoints = String(values.at)
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const max = Number(values.max);
const step = Number(values.step);

/** RSS and the V8 heap the node reports on /metrics (prom-client default metrics). */
async function nodeMemory(url: string, pid: number) {
  let heapUsed = Number.NaN;
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes\s+([\d.e+]+)/m.exec(text);
    if (m?.[1]) heapUsed = Number(m[1]);
  } catch {
    // metrics unavailable: RSS only
  }
  return { rss: rssBytes(pid) ?? Number.NaN, heapUsed };
}

async function main() {
  const runId = randomBytes(3).toString('hex');
  const cluster = values.engine === 'cluster';
  const stops: (() => Promise<void>)[] = [];
  const generator = new Generator(Number(values.workers));
  try {
    let redisUrl = '';
    if (cluster) {
      const redis = await startRedis(Number(values['redis-port']));
      stops.push(() => redis.stop());
      redisUrl = redis.url;
    }
    const parley = await startParley({
      repoRoot,
      runId,
      nodes: 1,
      users: Number(values.users),
      senders: 1,
      rooms: 1,
      log,
      cluster: cluster
        ? { redisUrl, cassandra: String(values.cassandra), keyspace: String(values.keyspace) }
        : undefined,
    });
    stops.push(() => parley.stop());
    const node = parley.nodes[0] as (typeof parley.nodes)[number];
    await sleep(3_000);
    const base = await nodeMemory(node.url, node.pid);
    log(
      `baseline: RSS ${(base.rss / 2 ** 20).toFixed(0)} MB, heap ${(base.heapUsed / 2 ** 20).toFixed(0)} MB`,
    );
    const rows: string[][] = [
      ['sockets', 'node RSS MB', 'RSS KB/socket', 'heap MB', 'heap KB/socket', 'connect s'],
    ];
    let open = 0;
    const targets = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => parley.target(from + k));
    const record = async (connectSeconds: number) => {
      await sleep(3_000); // let allocation from the connects settle
      const m = await nodeMemory(node.url, node.pid);
      rows.push([
        String(open),
        (m.rss / 2 ** 20).toFixed(0),
        ((m.rss - base.rss) / 1024 / open).toFixed(1),
        (m.heapUsed / 2 ** 20).toFixed(0),
        ((m.heapUsed - base.heapUsed) / 1024 / open).toFixed(1),
        connectSeconds.toFixed(1),
      ]);
      log(
        `${open} sockets: RSS ${(m.rss / 2 ** 20).toFixed(0)} MB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MB`,
      );
    };
    for (const at of checkpoints) {
      const t0 = performance.now();
      const r = await generator.tryConnect(targets(open, at));
      open = r.count;
      if (r.failed) log(`${r.failed} connects failed on the way to ${at}: ${r.firstError}`);
      await record((performance.now() - t0) / 1000);
    }
    let most = open;
    if (max > open) {
      log(`adding ${step} at a time up to ${max}, until connects fail`);
      while (open < max) {
        const t0 = performance.now();
        const r = await generator.tryConnect(targets(open, Math.min(max, open + step)));
        open = r.count;
        most = Math.max(most, open);
        if (r.failed) {
          log(`${r.failed} connects failed at ${open} open: ${r.firstError}`);
          await record((performance.now() - t0) / 1000);
          break;
        }
      }
      if (rows.at(-1)?.[0] !== String(open)) await record(0);
    }
    console.log(
      `\nnpm run bench:connections -- ${process.argv.slice(2).join(' ')}\n${cluster ? 'cluster' : 'embedded'} engine, one node, idle authenticated sockets (${values.users} users' tokens), ${values.workers} client processes; per-socket figures are (value − baseline) / sockets\n`,
    );
    console.log(textTable(rows));
    console.log(
      `\nbaseline (no sockets): RSS ${(base.rss / 2 ** 20).toFixed(0)} MB, heap ${(base.heapUsed / 2 ** 20).toFixed(0)} MB; most sockets held: ${most}; load average ${os
        .loadavg()
        .map((n) => n.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    generator.stop();
    for (const s of stops.reverse()) await s().catch(() => undefined);
  }
}

await main();
