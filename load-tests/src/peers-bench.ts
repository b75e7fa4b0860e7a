/**
 * Peer benchmark (`npm run bench:peers`): bare Socket.IO, Parley embedded, Parley cluster
 * (2 nodes, Redis, Cassandra, durable acks), Centrifugo memory and Centrifugo Redis
 * (2 nodes, history on), measured side by side by one load generator spread over
 * several processes, in interleaved rounds. See docs/benchmarks.md ("Peer benchmark").
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds } from './lib/proc-stats';
import { cpuOf, drive, findCassandraPid, median } from './peers/bench-lib';
import { markdownTable, svgLinesChart, textTable } from './lib/report';
import { percentile, Samples } from './lib/stats';
import { ensureCentrifugo, newSecrets, removeWorkDir } from './peers/centrifugo';
import { Generator } from './peers/generator';
import { type PeersOptions, parsePeersOptions } from './peers/peers-options';
import { makeBody } from './peers/protocol';
import {
  startBare,
  startCentrifugoSystem,
  startParley,
  startRedis,
  type System,
  SYSTEM_LABELS,
  type SystemKey,
} from './peers/systems';

const here = dirname(fileURLToPath(import.meta.url));
const loadTestsDir = resolve(here, '..');
const repoRoot = resolve(loadTestsDir, '..');
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(`[peers] ${line}`);

export interface Measurement {
  step: string;
  subs: number;
  rate: number;
  system: SystemKey;
  round: number;
  p50: number;
  p99: number;
  max: number;
  ackP50: number;
  ackP99: number;
  sends: number;
  acked: number;
  errors: number;
  deliveries: number;
  missing: number;
  deliveriesPerSec: number;
  /** CPU-seconds of the system's processes (servers + its Redis) per 1,000 deliveries. */
  cpuPer1k: number;
  /** Mean CPU of the system's processes, % of one core. */
  systemCpuPct: number;
  cassandraCpuPct: number | null;
  generatorCpuPct: number;
  bytesPerDelivery: number;
  load1: number;
}

async function main() {
  const opts = parsePeersOptions(process.argv.slice(2), join(loadTestsDir, 'reports'));
  const runId = randomBytes(3).toString('hex');
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const stops: (() => Promise<void>)[] = [];
  const cfWork = join(loadTestsDir, '.cache', 'centrifugo', runId);
  let generator: Generator | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      generator?.stop();
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      removeWorkDir(cfWork);
    })());
  const abort = (why: string, code: number) => {
    console.error(`[peers] ${why}: stopping`);
    void cleanup().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  setTimeout(() => abort(`hard timeout of ${opts.timeout} s`, 2), opts.timeout * 1000).unref();

  try {
    const results = await run(opts, runId, stops, cfWork, (g) => (generator = g));
    await cleanup();
    report(opts, results, startedAt, loadBefore, os.loadavg());
  } finally {
    await cleanup();
  }
}

async function run(
  opts: PeersOptions,
  runId: string,
  stops: (() => Promise<void>)[],
  cfWork: string,
  setGenerator: (g: Generator) => void,
): Promise<Measurement[]> {
  const maxSubs = Math.max(...opts.steps.map((s) => s.subs));
  const want = new Set(opts.systems);
  const systems: System[] = [];
  const cassandraPid = findCassandraPid(opts.cassandra);

  if (want.has('bare')) {
    const s = await startBare(repoRoot, opts.senders);
    stops.push(() => s.stop());
    systems.push(s);
  }
  if (want.has('embedded')) {
    const s = await startParley({
      repoRoot,
      runId,
      nodes: 1,
      users: maxSubs,
      senders: opts.senders,
      rooms: 1,
      log,
    });
    stops.push(() => s.stop());
    systems.push(s);
  }
  if (want.has('embedded-js-ws')) {
    const s = await startParley({
      repoRoot,
      runId,
      nodes: 1,
      users: maxSubs,
      senders: opts.senders,
      rooms: 1,
      log,
      jsWs: true,
    });
    stops.push(() => s.stop());
    systems.push(s);
  }
  if (want.has('cluster')) {
    const redis = await startRedis(opts.redisPort);
    stops.push(() => redis.stop());
    const s = await startParley({
      repoRoot,
      runId,
      nodes: 2,
      cluster: { redisUrl: redis.url, cassandra: opts.cassandra, keyspace: opts.keyspace },
      users: maxSubs,
      senders: opts.senders,
      rooms: 1,
      log,
    });
    stops.push(() => s.stop());
    s.pids.set('redis', redis.pid);
    systems.push(s);
  }
  if (want.has('cf-memory') || want.has('cf-redis')) {
    const bin = ensureCentrifugo(join(loadTestsDir, '.cache'), log);
    const secrets = newSecrets();
    if (want.has('cf-memory')) {
      const s = await startCentrifugoSystem({
        bin,
        workDir: cfWork,
        secrets,
        ports: [opts.centrifugoPort],
        runId,
      });
      stops.push(() => s.stop());
      systems.push(s);
    }
    if (want.has('cf-redis')) {
      const redis = await startRedis(opts.redisPort + 1);
      stops.push(() => redis.stop());
      const s = await startCentrifugoSystem({
        bin,
        workDir: cfWork,
        secrets,
        ports: [opts.centrifugoPort + 1, opts.centrifugoPort + 2],
        redisUrl: redis.url,
        runId,
      });
      stops.push(() => s.stop());
      s.pids.set('redis', redis.pid);
      systems.push(s);
    }
  }
  log(
    `systems up: ${systems.map((s) => `${s.key} [${[...s.pids].map(([n, p]) => `${n}:${p}`).join(' ')}]`).join(', ')}`,
  );
  log(
    `Centrifugo auth: connection JWTs (HS256) with an HMAC secret and an API key generated for this run`,
  );

  const generator = new Generator(opts.workers);
  setGenerator(generator);
  const genPids = [...generator.pids, process.pid];
  const results: Measurement[] = [];
  const groups = [...new Set(opts.steps.map((s) => s.subs))];
  let measurementNo = 0;

  for (const subs of groups) {
    // Connect every system's subscribers, one system at a time, and wait until each
    // socket has received a probe (the ready count is cumulative over systems).
    let expectedReady = 0;
    for (const sys of systems) {
      const t0 = performance.now();
      await generator.connect(Array.from({ length: subs }, (_, i) => sys.target(i)));
      expectedReady += subs;
      const deadline = performance.now() + 60_000;
      for (let probe = 0; ; probe++) {
        await sys.publish(makeBody(now(), 'p', probe, opts.size));
        await sleep(500);
        const ready = await generator.readyCount();
        if (ready >= expectedReady) break;
        if (performance.now() > deadline)
          throw new Error(
            `${sys.key}: only ${ready - (expectedReady - subs)}/${subs} subscribers receive`,
          );
      }
      log(
        `${sys.key}: ${subs} subscribers connected and receiving (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
      );
    }
    const steps = opts.steps.filter((s) => s.subs === subs);
    for (let round = 1; round <= opts.rounds; round++) {
      for (const step of steps) {
        // Rotate the order each round, so no system always runs right after the same one.
        const order = systems.map((_, i) => systems[(i + round - 1) % systems.length] as System);
        for (const sys of order) {
          const tag = `m${++measurementNo}`;
          const m = await measure(
            sys,
            step.subs,
            step.rate,
            round,
            tag,
            opts,
            genPids,
            cassandraPid,
            generator,
            subs * systems.length,
          );
          results.push(m);
          log(
            `round ${round} ${step.subs}x${step.rate} ${sys.key.padEnd(9)} p50 ${m.p50.toFixed(1)} p99 ${m.p99.toFixed(1)} ms, ack p50 ${m.ackP50.toFixed(1)}, ${Math.round(m.deliveriesPerSec)} dl/s, missing ${m.missing}, CPU ${m.cpuPer1k.toFixed(4)} s/1k, gen ${m.generatorCpuPct.toFixed(0)}%, load ${m.load1.toFixed(2)}`,
          );
        }
      }
    }
    await generator.disconnect();
  }
  return results;
}

async function measure(
  sys: System,
  subs: number,
  rate: number,
  round: number,
  tag: string,
  opts: PeersOptions,
  genPids: number[],
  cassandraPid: number | undefined,
  generator: Generator,
  expectedOpen: number,
): Promise<Measurement> {
  const load1 = os.loadavg()[0] as number;
  if (opts.warmup > 0) {
    const w = await drive(sys, rate, opts.warmup, 'w', opts.size, new Samples());
    await w.settle(5_000);
  }
  const sysPids = [...sys.pids.values()];
  const cpu0 = cpuOf(sysPids);
  const gen0 = cpuOf(genPids);
  const cas0 = cassandraPid ? cpuSeconds(cassandraPid) : undefined;
  const t0 = performance.now();
  const acks = new Samples();
  const d = await drive(sys, rate, opts.duration, tag, opts.size, acks);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuOf(sysPids) - cpu0;
  const gen = cpuOf(genPids) - gen0;
  const cas1 = cassandraPid ? cpuSeconds(cassandraPid) : undefined;
  const settled = await d.settle(15_000);
  if (settled.firstError)
    log(`${sys.key}: ${settled.errors} send errors, first: ${settled.firstError}`);
  // Late deliveries of the window still count.
  const expected = settled.acked * subs;
  await generator.drain(tag, expected);
  const got = await generator.collect(tag);
  const open = await generator.openCount();
  if (open < expectedOpen)
    log(
      `after ${sys.key}: ${expectedOpen - open} subscriber sockets closed by the servers so far (all systems together)`,
    );
  const sortedAcks = acks.sorted();
  return {
    step: `${subs}x${rate}`,
    subs,
    rate,
    system: sys.key,
    round,
    p50: got.histogram.percentile(50),
    p99: got.histogram.percentile(99),
    max: got.histogram.max,
    ackP50: percentile(sortedAcks, 50),
    ackP99: percentile(sortedAcks, 99),
    sends: d.sent,
    acked: settled.acked,
    errors: settled.errors,
    deliveries: got.deliveries,
    missing: Math.max(0, expected - got.deliveries),
    deliveriesPerSec: got.deliveries / elapsed,
    cpuPer1k: got.deliveries > 0 ? cpu / (got.deliveries / 1000) : Number.NaN,
    systemCpuPct: (cpu / elapsed) * 100,
    cassandraCpuPct:
      sys.key === 'cluster' && cas0 !== undefined && cas1 !== undefined
        ? ((cas1 - cas0) / elapsed) * 100
        : null,
    generatorCpuPct: (gen / elapsed) * 100,
    bytesPerDelivery: got.deliveries > 0 ? got.bytes / got.deliveries : Number.NaN,
    load1,
  };
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');

function report(
  opts: PeersOptions,
  results: Measurement[],
  startedAt: Date,
  loadBefore: number[],
  loadAfter: number[],
) {
  const steps = opts.steps.map((s) => `${s.subs}x${s.rate}`);
  const systems = [...new Set(results.map((r) => r.system))];
  const cell = (step: string, sys: SystemKey) =>
    results.filter((r) => r.step === step && r.system === sys);
  const med = (step: string, sys: SystemKey, k: keyof Measurement) =>
    median(cell(step, sys).map((r) => r[k] as number));
  const spread = (step: string, sys: SystemKey, k: keyof Measurement) => {
    const xs = cell(step, sys)
      .map((r) => r[k] as number)
      .filter(Number.isFinite);
    return xs.length ? `${f(Math.min(...xs), 0)}–${f(Math.max(...xs), 0)}` : '-';
  };

  const main: string[][] = [
    [
      'subs×msg/s',
      'system',
      'p50 ms',
      'p99 ms',
      'p99 spread',
      'max ms',
      'ack p50',
      'ack p99',
      'dl/s',
      'missing',
      'CPU-s/1k dl',
      'sys CPU %',
      'Cassandra %',
      'gen CPU %',
      'B/dl',
      'load1',
    ],
  ];
  for (const step of steps)
    for (const sys of systems) {
      if (cell(step, sys).length === 0) continue;
      const cas = med(step, sys, 'cassandraCpuPct');
      main.push([
        step.replace('x', '×'),
        SYSTEM_LABELS[sys],
        f(med(step, sys, 'p50')),
        f(med(step, sys, 'p99')),
        spread(step, sys, 'p99'),
        f(med(step, sys, 'max'), 0),
        f(med(step, sys, 'ackP50')),
        f(med(step, sys, 'ackP99')),
        f(med(step, sys, 'deliveriesPerSec'), 0),
        f(
          cell(step, sys).reduce((a, r) => a + r.missing, 0),
          0,
        ),
        f(med(step, sys, 'cpuPer1k'), 4),
        f(med(step, sys, 'systemCpuPct'), 0),
        sys === 'cluster' ? f(cas, 0) : '',
        f(med(step, sys, 'generatorCpuPct'), 0),
        f(med(step, sys, 'bytesPerDelivery'), 0),
        f(med(step, sys, 'load1'), 2),
      ]);
    }
  const pairs: [SystemKey, SystemKey][] = [
    ['embedded', 'bare'],
    ['cluster', 'cf-redis'],
    ['embedded', 'cf-memory'],
    ['embedded', 'embedded-js-ws'],
  ].filter(([a, b]) => systems.includes(a as SystemKey) && systems.includes(b as SystemKey)) as [
    SystemKey,
    SystemKey,
  ][];
  const ratios: string[][] = [
    ['subs×msg/s', ...pairs.flatMap(([a, b]) => [`${a}/${b} p99`, `${a}/${b} CPU`])],
  ];
  for (const step of steps)
    ratios.push([
      step.replace('x', '×'),
      ...pairs.flatMap(([a, b]) => [
        f(med(step, a, 'p99') / med(step, b, 'p99'), 2),
        f(med(step, a, 'cpuPer1k') / med(step, b, 'cpuPer1k'), 2),
      ]),
    ]);
  const loadLine = `load average before ${loadBefore.map((n) => n.toFixed(2)).join(' ')}, after ${loadAfter.map((n) => n.toFixed(2)).join(' ')}; ${os.cpus().length} cores`;
  const command = `npm run bench:peers -- ${process.argv.slice(2).join(' ')}`.trim();
  console.log(
    `\n${command}\n${opts.rounds} interleaved round(s), ${opts.duration} s measured + ${opts.warmup} s warmup per step and system, ${opts.size}-byte bodies, ${opts.workers} generator processes; medians over rounds\n`,
  );
  console.log(textTable(main));
  console.log(`\nratios of medians (Parley / peer; < 1 = Parley better):\n`);
  console.log(textTable(ratios));
  console.log(`\n${loadLine}`);

  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  mkdirSync(opts.outDir, { recursive: true });
  const base = join(opts.outDir, `${stamp}-peers`);
  const colors: Record<SystemKey, string> = {
    bare: '#999',
    embedded: '#2a7',
    cluster: '#d33',
    'cf-memory': '#58c',
    'cf-redis': '#e90',
    'embedded-js-ws': '#7b5',
  };
  const svg = svgLinesChart({
    title: `p99 delivery latency, median of ${opts.rounds} round(s) (${startedAt.toISOString()})`,
    xLabels: steps.map((s) => s.replace('x', '×')),
    yLabel: 'p99 ms (log), subscribers × msg/s',
    series: systems.map((sys) => ({
      name: SYSTEM_LABELS[sys],
      color: colors[sys],
      values: steps.map((s) => (cell(s, sys).length ? med(s, sys, 'p99') : null)),
    })),
  });
  writeFileSync(`${base}.svg`, svg);
  writeFileSync(
    `${base}.json`,
    JSON.stringify(
      {
        kind: 'parley-peers-bench',
        startedAt,
        command,
        options: opts,
        loadBefore,
        loadAfter,
        results,
      },
      null,
      2,
    ),
  );
  writeFileSync(
    `${base}.md`,
    [
      `# Peer benchmark ${startedAt.toISOString()}`,
      '',
      '```sh',
      command,
      '```',
      '',
      markdownTable(main),
      '',
      markdownTable(ratios),
      '',
      loadLine,
      '',
      `![p99 per step](${base.split('/').pop()}.svg)`,
      '',
    ].join('\n'),
  );
  console.log(`\nreport: ${base}.{md,json,svg}`);
}

await main();
