import { parseArgs } from 'node:util';

export type EngineKind = 'embedded' | 'cluster';

export interface BenchOptions {
  clients: number;
  nodes: number;
  engine: EngineKind;
  senders: number;
  /** Messages per second, all senders together; several = one step per rate on the same clients. */
  rates: number[];
  /** Measured seconds, after the warmup. */
  duration: number;
  /** Body length in characters (ASCII, so bytes). */
  size: number;
  warmup: number;
  redisUrl: string;
  cassandra: string;
  keyspace: string;
  outDir: string;
  /** Sends still waiting for their ack, per sender, before the harness skips a send. */
  maxInFlight: number;
  sendTimeoutMs: number;
  /** How long to wait for straggling deliveries after the last send. */
  drain: number;
  /** Whole-run limit in seconds; the harness kills everything and exits 2 past it. */
  timeout: number;
  connectConcurrency: number;
  registerConcurrency: number;
  label: string;
  /** Extra processes to sample (name -> pid), e.g. Redis and Cassandra. */
  watch: Map<string, number>;
  /** Directory for `node --cpu-prof` profiles of the server nodes (written when they stop). */
  cpuProf?: string;
}

/** One process cannot open more than 20,000 files here; stay well below with sockets. */
export const MAX_CLIENTS_PER_PROCESS = 9_000;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

const usage = `Usage: npm run bench:fanout -- [options]

  --clients N        connected clients, all members of one room      (default 500, max ${MAX_CLIENTS_PER_PROCESS})
  --nodes N          server node processes; clients spread round-robin (default 1)
  --engine E         embedded | cluster (default: embedded for 1 node, cluster for more)
  --senders N        clients that send                                (default 5)
  --rate N[,N...]    messages per second, all senders together        (default 40);
                     a list runs one warmup+measured step per rate on the same clients
  --duration S       measured seconds after the warmup                (default 20)
  --warmup S         seconds sent but not measured                    (default 3)
  --size N           message body length in bytes                     (default 100)
  --redis URL        cluster engine Redis   (default redis://127.0.0.1:6390)
  --cassandra HOST   cluster engine Cassandra contact point (default 127.0.0.1:9042)
  --keyspace NAME    keyspace the harness migrates and uses           (default parley_bench)
  --max-in-flight N  unacked sends per sender before sends are skipped (default 1000)
  --send-timeout MS  ack timeout of one send                          (default 10000)
  --drain S          wait for late deliveries after the last send     (default 10)
  --timeout S        hard limit for the whole run                     (default (warmup+duration)×steps+drain+300)
  --out DIR          report directory                                 (default load-tests/reports)
  --label TEXT       free text stored in the report
  --watch NAME=PID,...  also sample CPU%/RSS of these processes (e.g. redis=123,cassandra=456)
  --cpu-prof DIR     run the server nodes with node --cpu-prof, profiles into DIR
                     (read them with: npx tsx load-tests/src/tools/profile-top.ts FILE)
`;

export function parseOptions(argv: string[], defaultOutDir: string): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      clients: { type: 'string' },
      nodes: { type: 'string' },
      engine: { type: 'string' },
      senders: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      size: { type: 'string' },
      redis: { type: 'string' },
      cassandra: { type: 'string' },
      keyspace: { type: 'string' },
      'max-in-flight': { type: 'string' },
      'send-timeout': { type: 'string' },
      drain: { type: 'string' },
      timeout: { type: 'string' },
      out: { type: 'string' },
      label: { type: 'string' },
      watch: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'connect-concurrency': { type: 'string' },
      'register-concurrency': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const num = (
    name: string,
    raw: string | undefined,
    fallback: number,
    min: number,
    max: number,
  ) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new Error(`--${name} must be a number between ${min} and ${max}, got "${raw}"`);
    }
    return n;
  };
  const clients = Math.floor(num('clients', values.clients, 500, 2, MAX_CLIENTS_PER_PROCESS));
  const nodes = Math.floor(num('nodes', values.nodes, 1, 1, 16));
  const engineRaw = values.engine ?? (nodes > 1 ? 'cluster' : 'embedded');
  if (engineRaw !== 'embedded' && engineRaw !== 'cluster') {
    throw new Error(`--engine must be embedded or cluster, got "${engineRaw}"`);
  }
  if (engineRaw === 'embedded' && nodes > 1) {
    throw new Error('the embedded engine is one node: use --engine cluster with --nodes > 1');
  }
  const senders = Math.floor(num('senders', values.senders, 5, 1, clients));
  const warmup = num('warmup', values.warmup, 3, 0, 600);
  const rates = (values.rate ?? '40')
    .split(',')
    .map((r) => num('rate', r.trim(), 40, 0.1, 100_000));
  const duration = num('duration', values.duration, 20, 1, 3_600);
  const drain = num('drain', values.drain, 10, 0, 120);
  const redisUrl = values.redis ?? 'redis://127.0.0.1:6390';
  const cassandra = values.cassandra ?? '127.0.0.1:9042';
  const redisHost = new URL(redisUrl).hostname;
  const cassandraHost = cassandra.replace(/:\d+$/, '');
  for (const host of [redisHost, cassandraHost]) {
    if (!LOOPBACK.has(host)) throw new Error(`load tests only target loopback; refusing ${host}`);
  }
  const keyspace = values.keyspace ?? 'parley_bench';
  if (!/^[a-z][a-z0-9_]{0,47}$/.test(keyspace)) throw new Error(`bad --keyspace "${keyspace}"`);
  return {
    clients,
    nodes,
    engine: engineRaw,
    senders,
    rates,
    duration,
    warmup,
    size: Math.floor(num('size', values.size, 100, 1, 4_000)),
    redisUrl,
    cassandra,
    keyspace,
    outDir: values.out ?? defaultOutDir,
    maxInFlight: Math.floor(num('max-in-flight', values['max-in-flight'], 1_000, 1, 1_000_000)),
    sendTimeoutMs: Math.floor(num('send-timeout', values['send-timeout'], 10_000, 100, 120_000)),
    drain,
    // Setup of 9,000 clients on a cluster takes a few minutes; the rest is the schedule.
    timeout: num(
      'timeout',
      values.timeout,
      (warmup + duration) * rates.length + drain + 300,
      10,
      24 * 3_600,
    ),
    connectConcurrency: Math.floor(
      num('connect-concurrency', values['connect-concurrency'], 50, 1, 1_000),
    ),
    registerConcurrency: Math.floor(
      num('register-concurrency', values['register-concurrency'], 8, 1, 256),
    ),
    label: values.label ?? '',
    cpuProf: values['cpu-prof'],
    watch: new Map(
      (values.watch ? values.watch.split(',') : []).map((pair) => {
        const [name, pid] = pair.split('=');
        if (!name || !pid || !/^\d+$/.test(pid))
          throw new Error(`--watch wants NAME=PID, got "${pair}"`);
        return [name, Number(pid)] as const;
      }),
    ),
  };
}
