import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSigningKey, migrate, nodeEnv } from '../lib/nodes';
import { execFileAsync, freePort, Managed, waitUntil } from './processes';
import { ensureDebianPackage, ensureToxiproxy } from './tools';
import { Toxiproxy } from './toxiproxy';

export const RING_SIZE = 3;

/** Environment for the launcher: nothing from the caller's shell may make the ring unsafe. */
function launcherEnv(cqlPort: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CASSANDRA_PORT: String(cqlPort) };
  // CASSANDRA_FAST / SKIP_SYNC would make a SIGKILL lose data: this ring must be crash-safe.
  for (const key of Object.keys(env)) {
    if (key.startsWith('CASSANDRA_') && key !== 'CASSANDRA_PORT' && key !== 'CASSANDRA_HEAP')
      delete env[key];
  }
  return env;
}

/** The three-node Cassandra ring on 127.0.0.2-4, driven through cassandra/launcher/cassandra.sh. */
export class Ring {
  wasRunning = false;
  private readonly script: string;

  constructor(
    private readonly repoRoot: string,
    readonly cqlPort: number,
  ) {
    this.script = join(repoRoot, 'cassandra', 'launcher', 'cassandra.sh');
  }

  address(k: number): string {
    return `127.0.0.${k + 1}`;
  }

  get contactPoints(): string[] {
    return [1, 2, 3].map((k) => `${this.address(k)}:${this.cqlPort}`);
  }

  private member(cmd: string, k?: number, timeoutMs?: number) {
    const args = [cmd, '--nodes', String(RING_SIZE), ...(k ? ['--node', String(k)] : [])];
    return execFileAsync('bash', [this.script, ...args], {
      cwd: this.repoRoot,
      env: launcherEnv(this.cqlPort),
      timeout: timeoutMs ?? 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  }

  async up(k?: number): Promise<void> {
    if (k === undefined) {
      this.wasRunning = await this.member('status').then(
        () => true,
        () => false,
      );
    }
    await this.member('up', k);
  }

  async pid(k: number): Promise<number> {
    const { stdout } = await this.member('pid', k, 30_000);
    const pid = Number(stdout.trim().split('\n').pop());
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid for Cassandra node ${k}`);
    return pid;
  }

  async down(): Promise<void> {
    // Resume any member a fault left stopped, or its SIGTERM would wait forever.
    for (const k of [1, 2, 3]) {
      const pid = await this.pid(k).catch(() => undefined);
      if (pid) process.kill(pid, 'SIGCONT');
    }
    await this.member('down');
  }
}

export interface ClusterOptions {
  repoRoot: string;
  runDir: string;
  cqlPort: number;
}

/**
 * Everything the checker runs: the Cassandra ring (RF=3), Redis, toxiproxy, three Parley
 * nodes and HAProxy. Node p2 reaches every Cassandra replica through its own proxy (the
 * driver's address map sends it there for peers too) and p3 reaches Redis through one, so
 * the checker can cut p2 off one replica and p3 off Redis without touching the others.
 */
export class ChaosCluster {
  readonly ring: Ring;
  readonly keyspace = `chaos_${Date.now().toString(36)}_${randomBytes(2).toString('hex')}`;
  toxiproxy!: Toxiproxy;
  redis!: Managed;
  haproxy!: Managed;
  proxyServer!: Managed;
  readonly parley: Managed[] = [];
  readonly parleyPorts: number[] = [];
  lbUrl = '';
  redisPort = 0;

  constructor(private readonly options: ClusterOptions) {
    this.ring = new Ring(options.repoRoot, options.cqlPort);
    mkdirSync(options.runDir, { recursive: true });
  }

  private log(name: string) {
    return join(this.options.runDir, `${name}.log`);
  }

  async start(): Promise<void> {
    const { repoRoot } = this.options;
    const [redisServer, haproxyBin, toxiproxyBin] = await Promise.all([
      ensureDebianPackage('redis-server', 'redis-server'),
      ensureDebianPackage('haproxy', 'haproxy'),
      ensureToxiproxy(repoRoot),
    ]);
    const ringUp = this.ring.up();

    this.redisPort = await freePort();
    this.redis = new Managed(
      'redis',
      redisServer,
      ['--bind', '127.0.0.1', '--port', String(this.redisPort), '--save', '', '--appendonly', 'no'],
      { cwd: this.options.runDir, env: process.env, logFile: this.log('redis') },
    );
    await this.startRedis();

    const apiPort = await freePort();
    this.proxyServer = new Managed(
      'toxiproxy',
      toxiproxyBin,
      ['-host', '127.0.0.1', '-port', String(apiPort)],
      { cwd: this.options.runDir, env: process.env, logFile: this.log('toxiproxy') },
    );
    this.proxyServer.start();
    this.toxiproxy = new Toxiproxy(`http://127.0.0.1:${apiPort}`);
    await waitUntil('toxiproxy', () => this.toxiproxy.ping(), 15_000);
    const redisViaProxy = await this.toxiproxy.proxy('p3-redis', `127.0.0.1:${this.redisPort}`);
    const cassandraViaProxy: string[] = [];
    for (const k of [1, 2, 3]) {
      cassandraViaProxy.push(
        await this.toxiproxy.proxy(
          `p2-cassandra${k}`,
          `${this.ring.address(k)}:${this.options.cqlPort}`,
        ),
      );
    }

    await ringUp;
    const signingKey = generateSigningKey();
    const common = {
      CASSANDRA_KEYSPACE: this.keyspace,
      CASSANDRA_REPLICATION_FACTOR: String(RING_SIZE),
      CASSANDRA_CONTACT_POINTS: this.ring.contactPoints.join(','),
      JWT_PRIVATE_KEY: signingKey,
      MESSAGES_PER_USER_PER_10S: '1000',
      LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
      TRUST_PROXY_HOPS: '1',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    };
    await migrate(repoRoot, nodeEnv({ ...common, REDIS_URL: this.redisUrl() }));

    for (const i of [1, 2, 3]) {
      const port = await freePort();
      this.parleyPorts.push(port);
      const env: Record<string, string> = {
        ...common,
        NODE_ID: `p${i}`,
        PORT: String(port),
        REDIS_URL: i === 3 ? `redis://${redisViaProxy}` : this.redisUrl(),
      };
      if (i === 2) {
        env.CASSANDRA_CONTACT_POINTS = cassandraViaProxy.join(',');
        env.CASSANDRA_ADDRESS_MAP = [1, 2, 3]
          .map((k) => `${this.ring.address(k)}=${cassandraViaProxy[k - 1]}`)
          .join(',');
      }
      this.parley.push(
        new Managed(`p${i}`, process.execPath, ['--import', 'tsx', 'server/src/main.ts'], {
          cwd: repoRoot,
          env: nodeEnv(env),
          logFile: this.log(`p${i}`),
        }),
      );
    }
    await Promise.all([1, 2, 3].map((i) => this.startParley(i)));

    const lbPort = await freePort();
    const servers = this.parleyPorts
      .map((p, i) => `    server p${i + 1} 127.0.0.1:${p} check inter 1s fall 2 rise 1`)
      .join('\n');
    const cfg = join(this.options.runDir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      [
        'global',
        '    maxconn 4000',
        'defaults',
        '    mode http',
        '    timeout connect 2s',
        '    timeout client 60s',
        '    timeout server 60s',
        '    timeout tunnel 1h',
        '    timeout check 2s',
        '    option http-server-close',
        '    option redispatch',
        '    retries 2',
        'frontend parley',
        `    bind 127.0.0.1:${lbPort}`,
        '    default_backend nodes',
        'backend nodes',
        '    balance leastconn',
        '    option httpchk GET /readyz',
        '    http-check expect status 200',
        servers,
        '',
      ].join('\n'),
    );
    this.haproxy = new Managed('haproxy', haproxyBin, ['-db', '-f', cfg], {
      cwd: this.options.runDir,
      env: process.env,
      logFile: this.log('haproxy'),
    });
    this.haproxy.start();
    this.lbUrl = `http://127.0.0.1:${lbPort}`;
    await waitUntil('HAProxy to route to a ready node', () => isReady(this.lbUrl), 30_000);
  }

  redisUrl(): string {
    return `redis://127.0.0.1:${this.redisPort}`;
  }

  async startRedis(): Promise<void> {
    this.redis.start();
    await waitUntil('Redis', () => redisPing(this.redisPort), 15_000, 100);
  }

  /** Starts Parley node i (1-based) and waits until it reports ready. */
  async startParley(i: number): Promise<void> {
    const node = this.parley[i - 1]!;
    node.start();
    const url = `http://127.0.0.1:${this.parleyPorts[i - 1]}`;
    await waitUntil(`Parley node p${i} ready`, () => isReady(url), 90_000);
  }

  async stop(keepRing: boolean): Promise<void> {
    await Promise.all([
      ...this.parley.map((p) => p.stop(8_000)),
      this.haproxy?.stop(),
      this.redis?.stop(),
      this.proxyServer?.stop(),
    ]);
    if (!keepRing && !this.ring.wasRunning) await this.ring.down();
    else {
      // Leave the ring as we found it: running, and with nobody stopped.
      for (const k of [1, 2, 3]) {
        const pid = await this.ring.pid(k).catch(() => undefined);
        if (pid) process.kill(pid, 'SIGCONT');
      }
    }
  }
}

async function isReady(url: string): Promise<boolean> {
  const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) });
  return res.status === 200;
}

async function redisPing(port: number): Promise<boolean> {
  const { stdout } = await execFileAsync('redis-cli', ['-p', String(port), 'ping'], {
    timeout: 2_000,
  });
  return stdout.trim() === 'PONG';
}
