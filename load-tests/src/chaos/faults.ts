import type { ChaosCluster } from './cluster';
import { sleep } from './processes';

export interface FaultEvent {
  name: FaultName;
  target: string;
  startedAt: number;
  endedAt: number;
}

export const FAULTS = [
  'parley-kill',
  'cassandra-kill',
  'partition-redis',
  'cassandra-stop',
  'redis-kill-in-stall',
  'partition-cassandra',
  'rolling-sigterm',
] as const;
export type FaultName = (typeof FAULTS)[number];

/**
 * One cycle holds every fault kind once, plus a second Parley SIGKILL. The first cycle
 * always runs to the end (so even a short run injects every kind); more cycles follow
 * while time remains, each hitting the next node of each kind.
 */
const CYCLE: FaultName[] = [
  'parley-kill',
  'cassandra-kill',
  'partition-redis',
  'cassandra-stop',
  'parley-kill',
  'redis-kill-in-stall',
  'partition-cassandra',
  'rolling-sigterm',
];

/** Runs faults until `durationMs` has passed (at least one full cycle); returns what ran. */
export async function runFaults(
  cluster: ChaosCluster,
  durationMs: number,
  log: (line: string) => void,
): Promise<FaultEvent[]> {
  const events: FaultEvent[] = [];
  const start = Date.now();
  // Pauses between faults grow with the run, so a long run is not one constant outage.
  const gapMs = Math.min(20_000, Math.max(5_000, durationMs / 40));
  const counters = new Map<FaultName, number>();
  for (let i = 0; ; i++) {
    const name = CYCLE[i % CYCLE.length]!;
    if (i >= CYCLE.length && Date.now() - start >= durationMs) break;
    const n = counters.get(name) ?? 0;
    counters.set(name, n + 1);
    const startedAt = Date.now();
    const target = await inject(cluster, name, n, log);
    events.push({ name, target, startedAt, endedAt: Date.now() });
    log(`fault ${name} ${target} done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
    await sleep(gapMs);
  }
  return events;
}

async function inject(
  cluster: ChaosCluster,
  name: FaultName,
  n: number,
  log: (line: string) => void,
): Promise<string> {
  // Each kind walks the nodes in turn, and the kinds start on different Cassandra nodes,
  // so one cycle hits every replica with something.
  const parley = (n % 3) + 1;
  const offset = { 'cassandra-kill': 0, 'cassandra-stop': 1, 'partition-cassandra': 2 } as const;
  const replica = ((n + (name in offset ? offset[name as keyof typeof offset] : 0)) % 3) + 1;
  switch (name) {
    case 'parley-kill': {
      log(`fault parley-kill: SIGKILL p${parley}, restart after 3 s`);
      cluster.parley[parley - 1]!.signal('SIGKILL');
      await cluster.parley[parley - 1]!.waitExit(10_000);
      await sleep(3_000);
      await cluster.startParley(parley);
      return `p${parley}`;
    }
    case 'cassandra-kill': {
      const pid = await cluster.ring.pid(replica);
      log(
        `fault cassandra-kill: SIGKILL Cassandra node ${replica} (pid ${pid}), restart after 10 s`,
      );
      process.kill(pid, 'SIGKILL');
      await sleep(10_000);
      await cluster.ring.up(replica);
      return `cassandra${replica}`;
    }
    case 'cassandra-stop': {
      const pid = await cluster.ring.pid(replica);
      log(`fault cassandra-stop: SIGSTOP Cassandra node ${replica} for 12 s`);
      process.kill(pid, 'SIGSTOP');
      await sleep(12_000);
      process.kill(pid, 'SIGCONT');
      return `cassandra${replica}`;
    }
    case 'redis-kill-in-stall': {
      // The whole ring stalls (every replica frozen), and Redis dies and comes back empty
      // while sends are stuck in Cassandra: the binding kept only in Redis is gone.
      const pids = await Promise.all([1, 2, 3].map((k) => cluster.ring.pid(k)));
      log(
        'fault redis-kill-in-stall: SIGSTOP all Cassandra nodes 10 s; SIGKILL Redis at 3 s, restart at 5 s',
      );
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      try {
        await sleep(3_000);
        cluster.redis.signal('SIGKILL');
        await cluster.redis.waitExit(5_000);
        await sleep(2_000);
        await cluster.startRedis();
        await sleep(5_000);
      } finally {
        for (const pid of pids) process.kill(pid, 'SIGCONT');
      }
      return 'redis+ring';
    }
    case 'partition-redis': {
      log('fault partition-redis: p3 <-> Redis packets dropped silently for 15 s');
      await cluster.toxiproxy.partition('p3-redis');
      await sleep(15_000);
      await cluster.toxiproxy.heal('p3-redis');
      return 'p3-redis';
    }
    case 'partition-cassandra': {
      log(
        `fault partition-cassandra: p2 <-> Cassandra node ${replica} packets dropped silently for 15 s`,
      );
      await cluster.toxiproxy.partition(`p2-cassandra${replica}`);
      await sleep(15_000);
      await cluster.toxiproxy.heal(`p2-cassandra${replica}`);
      return `p2-cassandra${replica}`;
    }
    case 'rolling-sigterm': {
      log(
        'fault rolling-sigterm: SIGTERM p1, p2, p3 one after another, each restarted before the next',
      );
      for (const i of [1, 2, 3]) {
        const node = cluster.parley[i - 1]!;
        node.signal('SIGTERM');
        if (!(await node.waitExit(30_000))) {
          log(`p${i} did not exit 30 s after SIGTERM; SIGKILL`);
          node.signal('SIGKILL');
          await node.waitExit(10_000);
        }
        await cluster.startParley(i);
        await sleep(2_000);
      }
      return 'p1,p2,p3';
    }
  }
}
