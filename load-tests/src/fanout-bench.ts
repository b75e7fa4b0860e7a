/**
 * Fan-out benchmark: real server processes, real sockets, one room everybody is in.
 * Senders emit `message:send` on an open-loop schedule; every member times the
 * `message:created` it receives against the send timestamp carried in the body
 * (one process, one clock). See docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type {
  Ack,
  ClientToServerEvents,
  Message,
  ServerToClientEvents,
  TokenPair,
} from '@parley/contract';
import { io, type Socket } from 'socket.io-client';
import {
  benchServerEnv,
  generateSigningKey,
  migrate,
  nodeEnv,
  type ServerNode,
  startNode,
  stopNodes,
} from './lib/nodes';
import { type BenchOptions, parseOptions } from './lib/options';
import { ProcSampler } from './lib/proc-stats';
import { parseHistograms, stepLatencies } from './lib/server-histograms';
import {
  type BenchReport,
  markdownReport,
  type SecondResult,
  type StepResult,
  svgChart,
  tableRows,
  textTable,
} from './lib/report';
import { distribution, mapLimit, percentile, round, Samples } from './lib/stats';

type BenchSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

const here = dirname(fileURLToPath(import.meta.url));
const loadTestsDir = resolve(here, '..');
const repoRoot = resolve(loadTestsDir, '..');

const PASSWORD = 'bench-password-not-secret';
const INVITE_BATCH = 50;

interface SentRecord {
  step: number;
  measured: boolean;
  sentAt: number;
  acked: boolean;
  received: number;
}

interface StepState {
  rate: number;
  startMs: number;
  windowFrom: number;
  windowTo: number;
  attempted: number;
  acked: number;
  errors: Record<string, number>;
  receivedInWindow: number;
  delivery: Samples;
  sendAck: Samples;
  sendLag: Samples;
}

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.log(`[bench] ${line}`);
/** Set once we stop on purpose, so expected disconnects and node exits are not reported. */
let stopping = false;

async function postJson(url: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : {} };
}

function connectSocket(url: string, token: string): Promise<BenchSocket> {
  const socket: BenchSocket = io(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 20_000,
  });
  return new Promise((resolvePromise, reject) => {
    socket.once('connect', () => resolvePromise(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Emits a request with an ack timeout and resolves with the ack envelope. */
function request<E extends keyof ClientToServerEvents>(
  socket: BenchSocket,
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
  timeoutMs = 30_000,
): Promise<Ack<unknown>> {
  return new Promise((resolvePromise, reject) => {
    const emit = socket.timeout(timeoutMs).emit as unknown as (
      event: string,
      payload: unknown,
      ack: (err: Error | null, response: Ack<unknown>) => void,
    ) => void;
    emit.call(socket.timeout(timeoutMs), event, payload, (err, response) =>
      err ? reject(err) : resolvePromise(response),
    );
  });
}

async function call<T>(
  socket: BenchSocket,
  event: keyof ClientToServerEvents,
  payload: unknown,
): Promise<T> {
  const ack = await request(socket, event, payload as never);
  if (!ack.ok) throw new Error(`${event} failed: ${ack.error.code} ${ack.error.message}`);
  return ack.data as T;
}

async function main() {
  const argv = process.argv.slice(2);
  const opts = parseOptions(argv, join(loadTestsDir, 'reports'));
  const runId = Math.random().toString(36).slice(2, 8);
  const startedAt = new Date();
  const loadAvgBefore = os.loadavg();
  const nodes: ServerNode[] = [];
  const sockets: BenchSocket[] = [];

  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      stopping = true;
      for (const s of sockets) s?.disconnect();
      // A profiled node writes its profile when it exits after the drain: give it time.
      await stopNodes(nodes, opts.cpuProf ? 30_000 : 5_000);
    })());
  const abort = (why: string, code: number) => {
    console.error(`[bench] ${why}: stopping`);
    void cleanup().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  // Last resort if something exits the process without cleanup: never leave nodes behind.
  process.once('exit', () => {
    for (const n of nodes) if (n.child.exitCode === null) n.child.kill('SIGKILL');
  });
  const hardTimer = setTimeout(
    () => abort(`hard timeout of ${opts.timeout} s reached`, 2),
    opts.timeout * 1_000,
  );
  hardTimer.unref();

  try {
    const report = await run(opts, runId, nodes, sockets, argv, startedAt, loadAvgBefore);
    await cleanup();
    report.machine.loadAvgAfter = os.loadavg();
    writeReport(opts, report, startedAt);
  } finally {
    clearTimeout(hardTimer);
    await cleanup();
  }
}

async function run(
  opts: BenchOptions,
  runId: string,
  nodes: ServerNode[],
  sockets: BenchSocket[],
  argv: string[],
  startedAt: Date,
  loadAvgBefore: number[],
): Promise<BenchReport> {
  const cluster = opts.engine === 'cluster';
  log(
    `${opts.clients} clients, ${opts.nodes} node(s), ${opts.engine} engine, ${opts.senders} senders, rates ${opts.rates.join(',')} msg/s, ${opts.size} B bodies`,
  );

  // ---- server nodes -------------------------------------------------------------------
  let phase = performance.now();
  const serverEnv = benchServerEnv(`bench:${runId}:`);
  // The nodes' /metrics (behind a token on the public port), scraped around each step for
  // the server-side latency breakdown.
  const metricsToken = randomUUID();
  serverEnv.METRICS_TOKEN = metricsToken;
  if (cluster) {
    Object.assign(serverEnv, {
      REDIS_URL: opts.redisUrl,
      CASSANDRA_CONTACT_POINTS: opts.cassandra,
      CASSANDRA_KEYSPACE: opts.keyspace,
    });
    const env = nodeEnv(serverEnv);
    log(`migrating keyspace ${opts.keyspace}: ${await migrate(repoRoot, env)}`);
  }
  const env = nodeEnv({ ...serverEnv, JWT_PRIVATE_KEY: generateSigningKey() });
  const started = await Promise.all(
    Array.from({ length: opts.nodes }, (_, i) =>
      startNode(
        `node-${i + 1}`,
        repoRoot,
        { ...env, NODE_ID: `bench-${runId}-${i + 1}` },
        60_000,
        opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${resolve(opts.cpuProf)}`] : [],
      ),
    ),
  );
  nodes.push(...started);
  for (const n of nodes) {
    if (!/^https?:\/\/127\.0\.0\.1:/.test(n.url)) throw new Error(`${n.name} is not on loopback`);
    n.child.stdout?.resume();
    n.child.once('exit', (code, signal) => {
      if (!stopping)
        console.error(`[bench] ${n.name} died (${code ?? signal}):\n${n.tail.join('\n')}`);
    });
  }
  log(`nodes: ${nodes.map((n) => `${n.name} ${n.url} pid ${n.pid}`).join(', ')}`);
  const nodesSeconds = (performance.now() - phase) / 1_000;

  // ---- users --------------------------------------------------------------------------
  phase = performance.now();
  let registered = 0;
  const users = await mapLimit(
    Array.from({ length: opts.clients }, (_, i) => i),
    opts.registerConcurrency * opts.nodes,
    async (i) => {
      const base = (nodes[i % nodes.length] as ServerNode).url;
      const username = `b${runId}_${i}`;
      const reg = await postJson(`${base}/auth/register`, { username, password: PASSWORD });
      if (reg.status !== 201) throw new Error(`register ${reg.status} ${JSON.stringify(reg.body)}`);
      const login = await postJson(`${base}/auth/login`, { username, password: PASSWORD });
      if (login.status !== 200)
        throw new Error(`login ${login.status} ${JSON.stringify(login.body)}`);
      const pair = login.body as TokenPair;
      if (++registered % 250 === 0) log(`registered ${registered}/${opts.clients}`);
      return { index: i, userId: pair.user.id, token: pair.accessToken, url: base };
    },
  );
  const usersSeconds = (performance.now() - phase) / 1_000;
  log(`registered ${users.length} users in ${usersSeconds.toFixed(1)} s`);

  // ---- room: created and filled before the members connect, so each member's node puts
  // its socket in the room at connect time (no per-invite socketsJoin broadcast storm).
  phase = performance.now();
  const owner = users[0] as (typeof users)[number];
  const ownerSocket = await connectSocket(owner.url, owner.token);
  sockets[0] = ownerSocket;
  const others = users.slice(1).map((u) => u.userId);
  const room = await call<{ id: string }>(ownerSocket, 'room:create', {
    name: `bench ${runId}`,
    memberIds: others.slice(0, INVITE_BATCH),
  });
  for (let i = INVITE_BATCH; i < others.length; i += INVITE_BATCH) {
    await call(ownerSocket, 'room:invite', {
      roomId: room.id,
      userIds: others.slice(i, i + INVITE_BATCH),
    });
  }
  const roomSeconds = (performance.now() - phase) / 1_000;
  log(`room ${room.id} has ${users.length} members (${roomSeconds.toFixed(1)} s)`);

  // ---- sockets ------------------------------------------------------------------------
  const sent = new Map<string, SentRecord>();
  const steps: StepState[] = [];
  const perSecond: Samples[] = [];
  const probeSeen = new Uint8Array(opts.clients);
  let t0 = 0; // performance.timeOrigin-based ms of the first scheduled send
  let disconnects = 0;
  let strayDeliveries = 0;

  const attach = (socket: BenchSocket, index: number) => {
    socket.on('disconnect', (reason) => {
      if (stopping) return;
      disconnects++;
      if (disconnects <= 5) console.error(`[bench] client ${index} disconnected: ${reason}`);
    });
    socket.on('message:created', (m: Message) => {
      const at = now();
      const body = m.body;
      if (body.startsWith('probe|')) {
        probeSeen[index] = 1;
        return;
      }
      const rec = sent.get(m.clientMsgId);
      if (!rec) {
        strayDeliveries++;
        return;
      }
      rec.received++;
      const latency = at - Number(body.slice(0, body.indexOf('|')));
      const sec = Math.floor((at - t0) / 1_000);
      if (sec >= 0) (perSecond[sec] ??= new Samples()).push(latency);
      const tRel = (at - t0) / 1_000;
      for (const s of steps) if (tRel >= s.windowFrom && tRel < s.windowTo) s.receivedInWindow++;
      if (rec.measured) (steps[rec.step] as StepState).delivery.push(latency);
    });
  };
  attach(ownerSocket, 0);

  phase = performance.now();
  let connected = 1;
  await mapLimit(users.slice(1), opts.connectConcurrency, async (u) => {
    const socket = await connectSocket(u.url, u.token);
    sockets[u.index] = socket;
    attach(socket, u.index);
    if (++connected % 500 === 0) log(`connected ${connected}/${opts.clients}`);
  });
  const connectSeconds = (performance.now() - phase) / 1_000;
  log(`connected ${opts.clients} sockets in ${connectSeconds.toFixed(1)} s`);

  // ---- readiness: a probe message must reach every member before we measure.
  const deadline = performance.now() + 60_000;
  for (let round = 1; ; round++) {
    const ack = await request(ownerSocket, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: `probe|${round}`,
      attempt: 1,
    });
    if (!ack.ok) throw new Error(`probe send failed: ${ack.error.code} ${ack.error.message}`);
    const roundEnd = performance.now() + 3_000;
    while (probeSeen.some((v) => v === 0) && performance.now() < roundEnd) await sleep(50);
    const missing = probeSeen.reduce((a, v) => a + (v === 0 ? 1 : 0), 0);
    if (missing === 0) break;
    if (performance.now() > deadline) throw new Error(`${missing} members never got a probe`);
    log(`probe ${round}: ${missing} members not ready yet`);
  }
  log('every member receives room messages');

  // ---- run ----------------------------------------------------------------------------
  const sampler = new ProcSampler(
    new Map<string, number>([
      ...nodes.map((n) => [n.name, n.pid] as const),
      ['harness', process.pid],
      ...opts.watch,
    ]),
    performance.now(),
  );
  const loopResolutionMs = 10;
  const loopDelay = monitorEventLoopDelay({ resolution: loopResolutionMs });
  const senders = sockets.slice(0, opts.senders).map((socket, index) => ({
    socket,
    index,
    inFlight: 0,
  }));
  const pad = 'x'.repeat(opts.size);
  const warmupErrors: Record<string, number> = {};
  let pendingAcks = 0;
  let global = 0;

  const countError = (step: StepState, measured: boolean, code: string) => {
    const bag = measured ? step.errors : warmupErrors;
    bag[code] = (bag[code] ?? 0) + 1;
  };

  const sendOne = (stepIndex: number, measured: boolean, scheduledAt: number) => {
    const step = steps[stepIndex] as StepState;
    const sender = senders[global++ % senders.length] as (typeof senders)[number];
    if (measured) step.attempted++;
    if (sender.inFlight >= opts.maxInFlight) {
      countError(step, measured, 'SKIPPED_IN_FLIGHT_CAP');
      return;
    }
    const clientMsgId = randomUUID();
    const sentAt = now();
    if (measured) step.sendLag.push(sentAt - scheduledAt);
    const head = `${sentAt.toFixed(3)}|${sender.index}|${global}|`;
    const body = head.length >= opts.size ? head : head + pad.slice(0, opts.size - head.length);
    const rec: SentRecord = { step: stepIndex, measured, sentAt, acked: false, received: 0 };
    sent.set(clientMsgId, rec);
    sender.inFlight++;
    pendingAcks++;
    request(
      sender.socket,
      'message:send',
      // Each send is a first attempt (the harness never retries): the server's fast path.
      { roomId: room.id, clientMsgId, body, attempt: 1 },
      opts.sendTimeoutMs,
    )
      .then((ack) => {
        if (ack.ok) {
          rec.acked = true;
          if (measured) {
            step.acked++;
            step.sendAck.push(now() - sentAt);
          }
        } else countError(step, measured, ack.error.code);
      })
      .catch(() => countError(step, measured, 'ACK_TIMEOUT'))
      .finally(() => {
        sender.inFlight--;
        pendingAcks--;
      });
  };

  const runStep = (stepIndex: number) =>
    new Promise<void>((resolveStep) => {
      const step = steps[stepIndex] as StepState;
      const total = Math.floor(step.rate * (opts.warmup + opts.duration));
      const measuredFrom = step.startMs + opts.warmup * 1_000;
      let i = 0;
      const tick = () => {
        const current = now();
        while (i < total) {
          const due = step.startMs + (i * 1_000) / step.rate;
          if (due > current) break;
          sendOne(stepIndex, due >= measuredFrom, due);
          i++;
        }
        if (i >= total) {
          const end = step.startMs + (opts.warmup + opts.duration) * 1_000;
          setTimeout(resolveStep, Math.max(0, end - now()));
          return;
        }
        setTimeout(tick, Math.max(0, step.startMs + (i * 1_000) / step.rate - now()));
      };
      tick();
    });

  const progress = setInterval(() => {
    const sec = Math.floor((now() - t0) / 1_000) - 1;
    const last = perSecond[sec];
    if (!last) return;
    const sorted = last.sorted();
    log(
      `t=${sec + 1}s ${last.length.toLocaleString('en-US')} deliveries/s, p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, acks pending ${pendingAcks}`,
    );
  }, 5_000);

  sampler.start();
  loopDelay.enable();
  t0 = now() + 50;
  let stepStart = t0;
  for (const rate of opts.rates) {
    const relStart = (stepStart - t0) / 1_000;
    steps.push({
      rate,
      startMs: stepStart,
      windowFrom: relStart + opts.warmup,
      windowTo: relStart + opts.warmup + opts.duration,
      attempted: 0,
      acked: 0,
      errors: {},
      receivedInWindow: 0,
      delivery: new Samples(),
      sendAck: new Samples(),
      sendLag: new Samples(),
    });
    log(
      `step ${steps.length}/${opts.rates.length}: ${rate} msg/s (${opts.warmup} s warmup + ${opts.duration} s measured)`,
    );
    const before = await scrapeHistograms(nodes, metricsToken);
    await runStep(steps.length - 1);
    stepStart = now();
    logServerLatencies(rate, before, await scrapeHistograms(nodes, metricsToken));
  }

  // ---- drain: wait for outstanding acks and deliveries (bounded) ----------------------
  const expectedDone = () => {
    if (pendingAcks > 0) return false;
    for (const rec of sent.values()) if (rec.acked && rec.received < opts.clients) return false;
    return true;
  };
  const drainEnd = performance.now() + opts.drain * 1_000;
  while (!expectedDone() && performance.now() < drainEnd) await sleep(100);
  clearInterval(progress);
  loopDelay.disable();
  sampler.stop();
  stopping = true;

  // ---- results ------------------------------------------------------------------------
  const stepResults: StepResult[] = steps.map((s, index) => {
    let expected = 0;
    let received = 0;
    let missing = 0;
    let duplicates = 0;
    for (const rec of sent.values()) {
      if (rec.step !== index || !rec.measured || !rec.acked) continue;
      expected += opts.clients;
      received += Math.min(rec.received, opts.clients);
      missing += Math.max(0, opts.clients - rec.received);
      duplicates += Math.max(0, rec.received - opts.clients);
    }
    const lag = s.sendLag.sorted();
    return {
      rate: s.rate,
      window: { from: s.windowFrom, to: s.windowTo },
      offeredDeliveriesPerSec: s.rate * opts.clients,
      deliveriesPerSec: s.receivedInWindow / opts.duration,
      sends: { attempted: s.attempted, acked: s.acked, errors: s.errors },
      deliveries: { expected, received, missing, duplicates },
      delivery: distribution(s.delivery),
      sendAck: distribution(s.sendAck),
      sendLag: { p99: percentile(lag, 99), max: lag[lag.length - 1] ?? Number.NaN },
      processes: sampler.summary(s.windowFrom, s.windowTo),
    };
  });
  const seconds: SecondResult[] = [];
  const lastSecond = Math.ceil(Math.max(...steps.map((s) => s.windowTo)));
  for (let t = 0; t < Math.max(lastSecond, perSecond.length); t++) {
    const samples = perSecond[t];
    const sorted = samples?.sorted();
    seconds.push({
      t,
      deliveries: samples?.length ?? 0,
      p50: sorted ? round(percentile(sorted, 50), 2) : null,
      p95: sorted ? round(percentile(sorted, 95), 2) : null,
      p99: sorted ? round(percentile(sorted, 99), 2) : null,
      max: sorted ? round(sorted[sorted.length - 1] as number, 2) : null,
    });
  }

  const { JWT_PRIVATE_KEY: _secret, ...shownEnv } = serverEnv as Record<string, string> & {
    JWT_PRIVATE_KEY?: string;
  };
  return {
    kind: 'parley-fanout-bench',
    startedAt: startedAt.toISOString(),
    label: opts.label,
    command: `npm run bench:fanout -- ${argv.map(shellQuote).join(' ')}`.trim(),
    machine: {
      cpus: os.cpus().length,
      node: process.version,
      loadAvgBefore,
      loadAvgAfter: [],
      memTotalMb: Math.round(os.totalmem() / 1024 / 1024),
    },
    serverRevision: serverRevision(),
    options: { ...opts, watch: Object.fromEntries(opts.watch) },
    serverEnv: shownEnv,
    setup: { nodesSeconds, usersSeconds, roomSeconds, connectSeconds },
    steps: stepResults,
    harness: {
      // The histogram records whole timer intervals; the delay is what exceeds the interval.
      eventLoopDelayP99Ms: Math.max(0, loopDelay.percentile(99) / 1e6 - loopResolutionMs),
      eventLoopDelayMaxMs: Math.max(0, loopDelay.max / 1e6 - loopResolutionMs),
      disconnects,
      warmupSendErrors: warmupErrors,
      strayDeliveries,
    },
    perSecond: seconds,
  };
}

/** The server code under test: HEAD plus whether server/ or contract/ had local changes. */
function serverRevision(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: repoRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'server', 'contract') !== '';
    return dirty ? `${head} + uncommitted changes in server/ or contract/` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

function shellQuote(arg: string) {
  return /^[\w.,=:/@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function writeReport(opts: BenchOptions, report: BenchReport, startedAt: Date) {
  mkdirSync(opts.outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const base = join(opts.outDir, `${stamp}-fanout`);
  const svgName = `${stamp}-fanout.svg`;
  writeFileSync(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(opts.outDir, svgName), svgChart(report));
  writeFileSync(`${base}.md`, markdownReport(report, svgName));
  console.log('');
  console.log(textTable(tableRows(report)));
  console.log('');
  for (const s of report.steps) {
    if (s.deliveries.missing > 0 || Object.keys(s.sends.errors).length > 0) {
      console.log(
        `step ${s.rate} msg/s: ${s.deliveries.missing} missing deliveries, errors ${JSON.stringify(s.sends.errors)}`,
      );
    }
  }
  console.log(
    `harness event-loop delay p99 ${report.harness.eventLoopDelayP99Ms.toFixed(1)} ms, max ${report.harness.eventLoopDelayMaxMs.toFixed(1)} ms; disconnects ${report.harness.disconnects}; load avg ${report.machine.loadAvgBefore.map((n) => n.toFixed(2)).join(' ')} -> ${report.machine.loadAvgAfter.map((n) => n.toFixed(2)).join(' ')}`,
  );
  console.log(`server code: ${report.serverRevision}`);
  console.log(`report: ${relative(process.cwd(), base)}.{json,md,svg}`);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(`[bench] failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);

const SERVER_HISTOGRAMS = [
  'parley_send_duration_seconds',
  'parley_cassandra_request_duration_seconds',
  'parley_redis_command_duration_seconds',
  'parley_fanout_latency_seconds',
  // prom-client's default GC histogram (by kind): pauses that hold every socket's writes.
  'nodejs_gc_duration_seconds',
] as const;

/** Every node's histograms, summed; a node that cannot be scraped is left out (and said so). */
async function scrapeHistograms(nodes: ServerNode[], token: string) {
  const texts = await Promise.all(
    nodes.map((n) =>
      fetch(`${n.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
        .then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`))))
        .catch((err: unknown) => {
          log(`${n.name}: /metrics not scraped (${String(err)})`);
          return '';
        }),
    ),
  );
  return parseHistograms(texts, SERVER_HISTOGRAMS);
}

/** Where a step's time went on the servers: send path, Cassandra, Redis, fan-out. */
function logServerLatencies(
  rate: number,
  before: ReturnType<typeof parseHistograms>,
  after: ReturnType<typeof parseHistograms>,
) {
  for (const s of stepLatencies(before, after)) {
    const name = s.series.replace(/^parley_/, '').replace(/_seconds/, '');
    log(
      `server ${rate} msg/s ${name}: n=${s.count} p50 ${s.p50Ms.toFixed(1)} ms p99 ${s.p99Ms.toFixed(1)} ms`,
    );
  }
}
