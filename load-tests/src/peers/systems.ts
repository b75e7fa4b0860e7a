/**
 * The systems the peer bench compares, behind one small interface: where subscribers
 * connect, how a publisher publishes (resolving on the ack), and which processes' CPU
 * counts as the system's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Ack, ClientToServerEvents, ServerToClientEvents, TokenPair } from '@parley/contract';
import { io, type Socket } from 'socket.io-client';
import {
  benchServerEnv,
  generateSigningKey,
  migrate,
  nodeEnv,
  type ServerNode,
  startNode,
  stopNodes,
} from '../lib/nodes';
import { mapLimit } from '../lib/stats';
import {
  type CentrifugoNode,
  channelFor,
  type CentrifugoSecrets,
  centrifugoConfig,
  connectionToken,
  history as centrifugoHistory,
  publish as centrifugoPublish,
  startCentrifugo,
} from './centrifugo';
import type { SubscriberTarget } from './protocol';

export interface System {
  key: SystemKey;
  label: string;
  /** Processes whose CPU is the system's own (servers and their Redis). */
  pids: Map<string, number>;
  /** Subscriber `i` of `n`: spread round-robin over the system's nodes. */
  target(i: number): SubscriberTarget;
  /** Publishes one body; resolves when the system acked it. */
  publish(body: string, room?: number): Promise<void>;
  /** Reads the newest `limit` messages of a room (durable bench only). */
  historyPage?(limit: number, room?: number): Promise<void>;
  stop(): Promise<void>;
}

export const SYSTEM_KEYS = ['bare', 'embedded', 'cluster', 'cf-memory', 'cf-redis'] as const;
/**
 * Variants for before/after comparisons in one run (not in the default set):
 * `embedded-js-ws` is Parley embedded with ws's native addons (bufferutil,
 * utf-8-validate) switched off by ws's own env switches. It differs from `embedded` only
 * when the addons are installed (they are not dependencies: docs/benchmarks.md, "Fan-out path").
 */
export const VARIANT_KEYS = ['embedded-js-ws'] as const;
export type SystemKey = (typeof SYSTEM_KEYS)[number] | (typeof VARIANT_KEYS)[number];
export const SYSTEM_LABELS: Record<SystemKey, string> = {
  bare: 'bare Socket.IO',
  embedded: 'Parley embedded',
  'embedded-js-ws': 'Parley embedded, ws without native addons',
  cluster: 'Parley cluster (2 nodes)',
  'cf-memory': 'Centrifugo memory',
  'cf-redis': 'Centrifugo Redis (2 nodes)',
};

type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const PASSWORD = 'bench-password-not-secret';
const wsUrl = (httpUrl: string) => httpUrl.replace(/^http/, 'ws');

function socketIoClient(url: string, auth: Record<string, string>): Promise<Socket> {
  const socket = io(url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

function emitWithAck(socket: Socket, event: string, payload: unknown, timeoutMs = 15_000) {
  return new Promise<Ack<unknown>>((resolve, reject) => {
    socket
      .timeout(timeoutMs)
      .emit(event, payload, (err: Error | null, ack: Ack<unknown>) =>
        err ? reject(err) : resolve(ack),
      );
  });
}

/** Runs a server script with tsx and resolves once it prints `<marker> http://…`. */
function startScript(
  name: string,
  cwd: string,
  script: string,
  marker: string,
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; url: string; pid: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out}`)), 30_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = new RegExp(`${marker} (http://127\\.0\\.0\\.1:\\d+)`).exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: m[1], pid: child.pid as number });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${out}`)));
  });
}

const kill = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });

export async function startBare(repoRoot: string, senders: number): Promise<System> {
  const server = await startScript(
    'bare',
    repoRoot,
    'load-tests/src/peers/bare-socketio-server.ts',
    'bare listening on',
    { ...process.env, PORT: '0' },
  );
  const pubs = await Promise.all(
    Array.from({ length: senders }, () => socketIoClient(server.url, { role: 'publisher' })),
  );
  let n = 0;
  return {
    key: 'bare',
    label: SYSTEM_LABELS.bare,
    pids: new Map([['bare', server.pid]]),
    target: () => ({ wire: 'socketio', url: wsUrl(server.url), token: 'none' }),
    async publish(body) {
      const ack = (await emitWithAck(pubs[n++ % pubs.length] as Socket, 'send', { body })) as {
        ok: boolean;
      };
      if (!ack.ok) throw new Error('bare send refused');
    },
    async stop() {
      for (const p of pubs) p.close();
      await kill(server.child);
    },
  };
}

export interface ParleyOptions {
  repoRoot: string;
  runId: string;
  nodes: number;
  cluster?: { redisUrl: string; cassandra: string; keyspace: string };
  /** Users that subscribe (connected per step group) — registered once. */
  users: number;
  senders: number;
  /** Rooms; users are spread over them round-robin (1 for the fan-out bench). */
  rooms: number;
  log: (line: string) => void;
  /** Run ws without bufferutil/utf-8-validate (the embedded-js-ws variant). */
  jsWs?: boolean;
  /** Directory for the nodes' `node --cpu-prof` profiles (written when they stop). */
  cpuProf?: string;
}

export async function startParley(
  o: ParleyOptions,
): Promise<System & { nodes: ServerNode[]; roomIds: string[]; senderTokens: string[] }> {
  const key: SystemKey = o.cluster ? 'cluster' : o.jsWs ? 'embedded-js-ws' : 'embedded';
  const serverEnv = benchServerEnv(`peers:${o.runId}:`);
  if (o.cluster) {
    Object.assign(serverEnv, {
      REDIS_URL: o.cluster.redisUrl,
      CASSANDRA_CONTACT_POINTS: o.cluster.cassandra,
      CASSANDRA_KEYSPACE: o.cluster.keyspace,
    });
    o.log(
      `${key}: migrating ${o.cluster.keyspace}: ${await migrate(o.repoRoot, nodeEnv(serverEnv))}`,
    );
  }
  if (o.jsWs) Object.assign(serverEnv, { WS_NO_BUFFER_UTIL: '1', WS_NO_UTF_8_VALIDATE: '1' });
  const env = nodeEnv({ ...serverEnv, JWT_PRIVATE_KEY: generateSigningKey() });
  const nodes = await Promise.all(
    Array.from({ length: o.nodes }, (_, i) =>
      startNode(
        `${key}-${i + 1}`,
        o.repoRoot,
        {
          ...env,
          NODE_ID: `peers-${o.runId}-${key}-${i + 1}`,
        },
        undefined,
        o.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : [],
      ),
    ),
  );
  for (const n of nodes) n.child.stdout?.resume();
  const node = (i: number) => nodes[i % nodes.length] as ServerNode;

  // Users: senders first, then subscribers.
  const total = o.senders + o.users;
  let done = 0;
  const users = await mapLimit(
    Array.from({ length: total }, (_, i) => i),
    8 * nodes.length,
    async (i) => {
      const base = node(i).url;
      const username = `p${o.runId}${key.slice(0, 2)}_${i}`;
      const post = (path: string) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username, password: PASSWORD }),
        });
      const reg = await post('/auth/register');
      if (reg.status !== 201) throw new Error(`register ${reg.status} ${await reg.text()}`);
      const login = await post('/auth/login');
      if (login.status !== 200) throw new Error(`login ${login.status} ${await login.text()}`);
      const pair = (await login.json()) as TokenPair;
      if (++done % 250 === 0) o.log(`${key}: registered ${done}/${total}`);
      return { id: pair.user.id, token: pair.accessToken };
    },
  );
  const senders = users.slice(0, o.senders);
  const subscribers = users.slice(o.senders);
  const senderSockets = (await Promise.all(
    senders.map((u, i) => socketIoClient(node(i).url, { token: u.token })),
  )) as ParleySocket[];
  const owner = senderSockets[0] as ParleySocket;
  const call = async (event: string, payload: unknown) => {
    const ack = await emitWithAck(owner, event, payload, 60_000);
    if (!ack.ok) throw new Error(`${event}: ${ack.error.code} ${ack.error.message}`);
    return ack.data;
  };
  // Rooms created and filled before anyone subscribes, so each socket joins at connect.
  const roomIds: string[] = [];
  for (let r = 0; r < o.rooms; r++) {
    const members = [
      ...senders.slice(1).map((u) => u.id),
      ...subscribers.filter((_, i) => i % o.rooms === r).map((u) => u.id),
    ];
    const room = (await call('room:create', {
      name: `peers ${r}`,
      memberIds: members.slice(0, 50),
    })) as {
      id: string;
    };
    for (let i = 50; i < members.length; i += 50)
      await call('room:invite', { roomId: room.id, userIds: members.slice(i, i + 50) });
    roomIds.push(room.id);
  }
  // Sender sockets joined before the rooms existed; reconnect them so they are in them.
  for (const s of senderSockets) s.close();
  const pubs = (await Promise.all(
    senders.map((u, i) => socketIoClient(node(i).url, { token: u.token })),
  )) as ParleySocket[];
  o.log(`${key}: ${nodes.length} node(s), ${subscribers.length} subscribers in ${o.rooms} room(s)`);

  let n = 0;
  return {
    key,
    label: SYSTEM_LABELS[key],
    nodes,
    roomIds,
    senderTokens: senders.map((u) => u.token),
    pids: new Map(nodes.map((x) => [x.name, x.pid])),
    target: (i) => ({
      wire: 'socketio',
      url: wsUrl(node(i).url),
      token: (subscribers[i] ?? subscribers[0])?.token,
    }),
    async publish(body, room = 0) {
      const ack = await emitWithAck(pubs[n++ % pubs.length] as Socket, 'message:send', {
        roomId: roomIds[room % roomIds.length],
        clientMsgId: randomUUID(),
        body,
        // A first attempt, as the SDK marks it: the server's fast path (no attempt number
        // means "maybe a retry" and takes the lightweight-transaction path).
        attempt: 1,
      });
      if (!ack.ok) throw new Error(`${ack.error.code} ${ack.error.message}`);
    },
    async historyPage(limit, room = 0) {
      const ack = await emitWithAck(pubs[n++ % pubs.length] as Socket, 'history:fetch', {
        roomId: roomIds[room % roomIds.length],
        limit,
      });
      if (!ack.ok) throw new Error(`${ack.error.code} ${ack.error.message}`);
    },
    async stop() {
      for (const p of pubs) p.close();
      await stopNodes(nodes, o.cpuProf ? 30_000 : undefined);
    },
  };
}

export async function startCentrifugoSystem(o: {
  bin: string;
  workDir: string;
  secrets: CentrifugoSecrets;
  ports: number[];
  redisUrl?: string;
  runId: string;
  /** Subscriber i subscribes to room i mod rooms. */
  rooms?: number;
}): Promise<System> {
  const key: SystemKey = o.redisUrl ? 'cf-redis' : 'cf-memory';
  const nodes: CentrifugoNode[] = [];
  for (const [i, port] of o.ports.entries()) {
    nodes.push(
      await startCentrifugo(
        o.bin,
        o.workDir,
        `${key}-${i + 1}`,
        centrifugoConfig(o.secrets, port, o.redisUrl, `cf${o.runId}`),
      ),
    );
  }
  const node = (i: number) => nodes[i % nodes.length] as CentrifugoNode;
  let n = 0;
  return {
    key,
    label: SYSTEM_LABELS[key],
    pids: new Map(nodes.map((x) => [x.name, x.pid])),
    target: (i) => ({
      wire: 'centrifugo',
      url: `${wsUrl(node(i).url)}/connection/websocket`,
      token: connectionToken(o.secrets.hmacSecret, `u${i}`),
      channel: channelFor(i % (o.rooms ?? 1)),
    }),
    publish: (body, room = 0) => centrifugoPublish(node(n++), o.secrets.apiKey, body, room),
    historyPage: (limit, room = 0) => centrifugoHistory(node(n++), o.secrets.apiKey, limit, room),
    async stop() {
      await Promise.all(nodes.map((x) => kill(x.child)));
    },
  };
}

/** A private redis-server (not daemonized, so it dies with its handle). */
export async function startRedis(
  port: number,
): Promise<{ pid: number; url: string; stop(): Promise<void> }> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const { Redis } = await import('ioredis');
  const deadline = Date.now() + 10_000;
  for (;;) {
    const c = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    c.on('error', () => undefined);
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') break;
    } catch {
      if (child.exitCode !== null) throw new Error(`redis-server on ${port} exited (port in use?)`);
      if (Date.now() > deadline) throw new Error(`redis-server on ${port} did not start`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      c.disconnect();
    }
  }
  return { pid: child.pid as number, url, stop: () => kill(child) };
}
