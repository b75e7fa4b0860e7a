import { parseArgs } from 'node:util';
import { SYSTEM_KEYS, type SystemKey, VARIANT_KEYS } from './systems';

export interface PeersOptions {
  steps: { subs: number; rate: number }[];
  rounds: number;
  duration: number;
  warmup: number;
  systems: SystemKey[];
  workers: number;
  size: number;
  senders: number;
  cassandra: string;
  keyspace: string;
  redisPort: number;
  centrifugoPort: number;
  outDir: string;
  timeout: number;
}

export const usage = `Usage: npm run bench:peers -- [options]

Runs bare Socket.IO, Parley (embedded; cluster of 2 nodes + Redis + Cassandra) and
Centrifugo v6.9.1 (memory; Redis engine with 2 nodes) side by side, one load generator,
interleaved rounds, all subscribers in one room/channel. See docs/benchmarks.md.

  --steps LIST     subscribers x msg/s per step  (default 500x40,500x80,1000x40,1000x60,1000x120)
  --rounds N       interleaved rounds (every system once per step per round)   (default 3)
  --duration S     measured seconds per step and system                       (default 10)
  --warmup S       unmeasured seconds before each measurement                 (default 2)
  --systems LIST   subset of ${SYSTEM_KEYS.join(',')}                (default all),
                   plus variants ${VARIANT_KEYS.join(',')} (ws without native addons)
  --workers N      load-generator processes holding the subscribers           (default 4)
  --size N         message body bytes                                         (default 100)
  --senders N      publisher connections per Socket.IO system                 (default 5)
  --cassandra H    Cassandra contact point for Parley cluster                 (default 127.0.0.1:9042)
  --keyspace K     keyspace the bench migrates and uses                       (default parley_bench_peers)
  --redis-port P   Redis for Parley on P, for Centrifugo on P+1 (started and stopped here) (default 6420)
  --centrifugo-port P  Centrifugo nodes on P, P+1, P+2                        (default 3400)
  --out DIR        report directory                                           (default load-tests/reports)
  --timeout S      hard limit for the whole run                               (default: estimate + 600)
`;

export function parsePeersOptions(argv: string[], defaultOut: string): PeersOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      steps: { type: 'string', default: '500x40,500x80,1000x40,1000x60,1000x120' },
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      systems: { type: 'string', default: SYSTEM_KEYS.join(',') },
      workers: { type: 'string', default: '4' },
      size: { type: 'string', default: '100' },
      senders: { type: 'string', default: '5' },
      cassandra: { type: 'string', default: '127.0.0.1:9042' },
      keyspace: { type: 'string', default: 'parley_bench_peers' },
      'redis-port': { type: 'string', default: '6420' },
      'centrifugo-port': { type: 'string', default: '3400' },
      out: { type: 'string', default: defaultOut },
      timeout: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const int = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer in ${min}..${max}, got "${v}"`);
    return n;
  };
  const steps = values.steps.split(',').map((s) => {
    const m = /^(\d+)x(\d+(?:\.\d+)?)$/.exec(s.trim());
    if (!m) throw new Error(`--steps: "${s}" is not SUBSxRATE (e.g. 1000x60)`);
    const subs = int('steps', m[1] as string, 1, 15_000);
    return { subs, rate: Number(m[2]) };
  });
  const systems = values.systems.split(',').map((s) => s.trim());
  for (const s of systems)
    if (![...SYSTEM_KEYS, ...VARIANT_KEYS].includes(s as SystemKey))
      throw new Error(`--systems: unknown "${s}" (known: ${SYSTEM_KEYS.join(', ')})`);
  if (!/^(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(values.cassandra))
    throw new Error('--cassandra must be a loopback address');
  const o: PeersOptions = {
    steps,
    rounds: int('rounds', values.rounds, 1, 50),
    duration: int('duration', values.duration, 1, 3_600),
    warmup: int('warmup', values.warmup, 0, 600),
    systems: systems as SystemKey[],
    workers: int('workers', values.workers, 1, 32),
    size: int('size', values.size, 40, 10_000),
    senders: int('senders', values.senders, 1, 100),
    cassandra: values.cassandra,
    keyspace: values.keyspace,
    redisPort: int('redis-port', values['redis-port'], 1024, 65_000),
    centrifugoPort: int('centrifugo-port', values['centrifugo-port'], 1024, 65_000),
    outDir: values.out,
    timeout: 0,
  };
  const estimate = o.steps.length * o.systems.length * o.rounds * (o.duration + o.warmup + 4) + 300;
  o.timeout = values.timeout ? int('timeout', values.timeout, 10, 86_400) : estimate + 600;
  return o;
}
