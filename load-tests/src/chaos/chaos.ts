/**
 * The chaos checker: SDK clients on a three-node Parley cluster behind HAProxy, with Redis
 * and a three-node Cassandra ring at RF=3, while faults hit every part (process kills,
 * freezes, a rolling restart, silent network partitions). At the end it reads every room's
 * history straight from Cassandra and compares it with what was acked and what each app
 * received. One summary line; exit 1 on any loss, duplicate or reordering.
 *
 *   npm run chaos -- --minutes 10
 *
 * See docs/operations.md ("Chaos checker") for the fault schedule and every field.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ChaosCluster } from './cluster';
import { FAULTS, type FaultEvent, runFaults } from './faults';
import { sleep } from './processes';
import { judge, readHistory, violations } from './verify';
import { Workload } from './workload';

const usage = `Usage: npm run chaos -- [--minutes N] [options]
  --minutes N          minutes of faults (default 10; one full fault cycle always runs)
  --clients N          SDK clients (default 10)
  --rooms N            rooms (default 4)
  --e2ee-rooms N       how many of them are end-to-end encrypted (default 1; MLS through the SDK)
  --members N          members per room (default 5; rooms overlap)
  --rate N             messages per second, all clients together (default 12)
  --cassandra-port N   CQL port of the ring on 127.0.0.2-4 (default 9042)
  --keep-cassandra     leave the Cassandra ring running at the end (it is reused next time)`;

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      clients: { type: 'string', default: '10' },
      rooms: { type: 'string', default: '4' },
      'e2ee-rooms': { type: 'string', default: '1' },
      members: { type: 'string', default: '5' },
      rate: { type: 'string', default: '12' },
      'cassandra-port': { type: 'string', default: '9042' },
      'keep-cassandra': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const num = (name: keyof typeof values, min: number, max: number) => {
    const n = Number(values[name]);
    if (!Number.isFinite(n) || n < min || n > max) {
      console.error(`chaos: --${name} must be a number from ${min} to ${max}\n${usage}`);
      process.exit(2);
    }
    return n;
  };
  const clients = num('clients', 2, 200);
  return {
    minutes: num('minutes', 0.5, 240),
    clients,
    rooms: num('rooms', 1, 50),
    e2eeRooms: num('e2ee-rooms', 0, 50),
    members: Math.min(clients, num('members', 2, 200)),
    rate: num('rate', 1, 500),
    cassandraPort: num('cassandra-port', 1024, 65535),
    keepCassandra: Boolean(values['keep-cassandra']),
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;

async function main(): Promise<number> {
  const opts = options();
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const runDir = join(repoRoot, '.cache', 'chaos', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(runDir, { recursive: true });
  const t0 = Date.now();
  const log = (line: string) =>
    console.error(`[chaos +${((Date.now() - t0) / 1000).toFixed(0)}s] ${line}`);

  const cluster = new ChaosCluster({ repoRoot, runDir, cqlPort: opts.cassandraPort });
  let workload: Workload | undefined;
  let stopping = false;
  const cleanup = async () => {
    if (stopping) return;
    stopping = true;
    workload?.close();
    await cluster.stop(opts.keepCassandra).catch((err: unknown) => {
      // A failed launcher call carries its output: the line that says why is in there.
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
      const tail = `${stdout}${stderr}`.trim().split('\n').slice(-8).join(' | ');
      log(`cleanup: ${String(err).split('\n')[0]}${tail ? ` — ${tail}` : ''}`);
    });
  };
  // A hard limit: whatever hangs, the run ends, cleans up and says so.
  const limitMs = (opts.minutes * 60 + 20 * 60) * 1000;
  const watchdog = setTimeout(() => {
    console.log(`chaos: result=ERROR reason=timeout_after_${limitMs / 1000}s logs=${runDir}`);
    void cleanup().finally(() => process.exit(2));
  }, limitMs);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => void cleanup().finally(() => process.exit(130)));
  }

  try {
    log(`logs in ${runDir}`);
    log('starting Cassandra ring (RF=3), Redis, toxiproxy, 3 Parley nodes, HAProxy');
    await cluster.start();
    log(`cluster up behind ${cluster.lbUrl} (keyspace ${cluster.keyspace})`);
    workload = new Workload({
      lbUrl: cluster.lbUrl,
      clients: opts.clients,
      rooms: opts.rooms,
      e2eeRooms: Math.min(opts.e2eeRooms, opts.rooms),
      membersPerRoom: opts.members,
      rate: opts.rate,
    });
    await workload.start();
    workload.startSending();
    const faultsStart = Date.now();
    log(
      `${opts.clients} clients in ${opts.rooms} rooms (${Math.min(opts.e2eeRooms, opts.rooms)} E2EE) sending ${opts.rate} msg/s; faults for ${opts.minutes} min`,
    );
    await sleep(10_000);
    const events: FaultEvent[] = await runFaults(cluster, opts.minutes * 60_000 - 10_000, log);
    const faultSeconds = (Date.now() - faultsStart) / 1000;
    await workload.stopSending();
    log(`faults over; ${workload.pending()} sends still pending, waiting for them`);
    const w = workload;
    const settleBy = Date.now() + 180_000;
    while (w.pending() > 0 && Date.now() < settleBy) await sleep(500);
    // Quiescence: every feed has every acked message, and nothing new arrives for 5 s.
    const convergeBy = Date.now() + 120_000;
    let last = -1;
    let stableSince = Date.now();
    while (Date.now() < convergeBy) {
      const now = w.deliveredCount();
      if (now !== last) {
        last = now;
        stableSince = Date.now();
      }
      if (w.converged() && Date.now() - stableSince >= 5_000) break;
      await sleep(500);
    }
    log('quiescent; reading every room back from Cassandra at consistency ALL');
    const rows = await readHistory(
      cluster.ring.contactPoints,
      cluster.keyspace,
      w.rooms.map((r) => r.id),
    );
    const verdict = judge(w.sends, rows, w.rooms, w.feeds);
    const bad = violations(verdict);

    const latencies = w.sends
      .filter((s) => s.state === 'acked' && s.settledAt)
      .map((s) => s.settledAt! - s.startedAt)
      .sort((a, b) => a - b);
    // How long sends made right after each Cassandra SIGKILL took to be acked.
    const afterKill = events
      .filter((e) => e.name === 'cassandra-kill')
      .flatMap((e) =>
        w.sends.filter(
          (s) =>
            s.state === 'acked' && s.startedAt >= e.startedAt && s.startedAt < e.startedAt + 10_000,
        ),
      )
      .map((s) => s.settledAt! - s.startedAt)
      .sort((a, b) => a - b);
    const faultCounts = FAULTS.map((f) => `${f}:${events.filter((e) => e.name === f).length}`);

    const fields: [string, string | number][] = [
      ['acked', verdict.acked],
      ['lost', verdict.lost],
      ['stored_dupes', verdict.storedDupes],
      ['app_dupes', verdict.appDupes],
      ['out_of_order', verdict.outOfOrder],
      ['late', verdict.late],
      ['e2ee_rooms', w.rooms.filter((r) => r.e2ee).length],
      ['undecryptable', verdict.undecryptable],
      ['body_dupes', verdict.bodyDupes],
      ['seq_conflicts', verdict.seqConflicts],
      ['unseen', verdict.unseen],
      ['unsettled', verdict.unsettled],
      ['sent', verdict.sent],
      ['failed_visible', verdict.failedVisible],
      ['failed_but_stored', verdict.failedButStored],
      ['stored', verdict.stored],
      ['delivered', verdict.delivered],
      ['faults', events.length],
      ['fault_kinds', faultCounts.join(',')],
      ['ack_p50_ms', percentile(latencies, 50)],
      ['ack_p99_ms', percentile(latencies, 99)],
      ['ack_max_ms', latencies.at(-1) ?? 0],
      ['ack_max_after_cassandra_kill_ms', afterKill.at(-1) ?? 0],
      ['fault_minutes', (faultSeconds / 60).toFixed(1)],
      ['duration_s', Math.round((Date.now() - t0) / 1000)],
      ['rf', 3],
      ['result', bad.length ? `FAIL(${bad.join('+')})` : 'PASS'],
    ];
    writeFileSync(
      join(runDir, 'verdict.json'),
      JSON.stringify(
        {
          options: opts,
          summary: Object.fromEntries(fields),
          events,
          sdkErrors: Object.fromEntries(w.sdkErrors),
          failures: w.sends
            .filter((s) => s.state !== 'acked')
            .map((s) => ({ ...s, message: undefined })),
          examples: verdict.examples,
        },
        null,
        2,
      ),
    );
    log(`details in ${join(runDir, 'verdict.json')}`);
    await cleanup();
    clearTimeout(watchdog);
    console.log(`chaos: ${fields.map(([k, v]) => `${k}=${v}`).join(' ')}`);
    return bad.length ? 1 : 0;
  } catch (err) {
    log(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanup();
    clearTimeout(watchdog);
    console.log(
      `chaos: result=ERROR reason=${JSON.stringify(String(err instanceof Error ? err.message : err)).slice(0, 300)} logs=${runDir}`,
    );
    return 2;
  }
}

process.exit(await main());
