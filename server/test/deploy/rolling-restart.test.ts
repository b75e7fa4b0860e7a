import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Message } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParleyClient, type ParleyClient } from '../../../client-sdk/src/index';
import { createCassandraClient } from '../../src/storage/cassandra/cassandra-client';
import {
  MIGRATIONS_DIR,
  migrate,
  readMigrations,
  schemaChange,
} from '../../src/storage/cassandra/migrator';
import {
  buildOnce,
  clusterNodeEnv,
  startCompiledNode,
  type CompiledNode,
} from '../helpers/compiled-node';
import { freePort, haproxyAvailable, startHaproxy, type Haproxy } from '../helpers/haproxy';
import { post } from '../helpers/http-client';
import { cassandraTestConfig } from '../helpers/services';

const NODES = 3;
const CLIENTS = 4;
const REST_WORKERS = 2;
const password = 'correct horse battery staple';

/**
 * Three compiled nodes behind HAProxy (ops/haproxy.cfg.template) under continuous load: SDK
 * clients sending over sockets, REST callers. Every node is SIGTERMed and started again in
 * turn, and an additive migration is applied between the first and second restart. The app
 * must see no failed request and no failed send, and every client every acked message.
 */
describe('rolling restart through HAProxy under load', () => {
  const keyspace = `parley_roll_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-roll-'));
  const cassandra = cassandraTestConfig(keyspace);
  const nodes = new Map<string, CompiledNode>();
  let lb: Haproxy | undefined;
  const clients: ParleyClient[] = [];

  beforeAll(async () => {
    if (!haproxyAvailable()) {
      throw new Error(
        'haproxy is not installed: run `bash scripts/ensure-tools.sh` (npm test does)',
      );
    }
    await Promise.all([buildOnce(), migrate(cassandra)]);
  }, 180_000);

  afterAll(async () => {
    for (const node of nodes.values()) if (node.child.exitCode === null) node.child.kill('SIGKILL');
    for (const client of clients) client.close();
    await lb?.stop();
    const client = createCassandraClient(cassandra);
    await client
      .execute(`DROP KEYSPACE IF EXISTS ${keyspace}`, [], schemaChange)
      .finally(() => client.shutdown());
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and fails nothing while every node restarts', async () => {
    const t0 = performance.now();
    const phases: string[] = [];
    const phase = (what: string) => {
      phases.push(`${what}@${Math.round(performance.now() - t0)}ms`);
      console.log(`[rolling-restart] ${phases.at(-1)}`);
    };
    const env = clusterNodeEnv(keyspace, {
      TRUST_PROXY_HOPS: '1',
      MESSAGES_PER_USER_PER_10S: '10000',
      // The REST workers log in continuously from one address: on a fast machine they pass
      // the default per-IP login budget (100 per window) and would measure the throttle.
      LOGIN_MAX_ATTEMPTS_PER_IP: '100000',
      LOGIN_MAX_FAILURES_PER_ACCOUNT: '100000',
      // Longer than HAProxy's worst case to mark a node down (~1.25 s, see the template).
      DRAIN_LB_DELAY_MS: '2000',
      DRAIN_TIMEOUT_MS: '5000',
      PRESENCE_GRACE_MS: '1000',
    });
    const ports = new Map<string, number>();
    for (let i = 1; i <= NODES; i++) ports.set(`node${i}`, await freePort());
    const start = async (name: string) =>
      nodes.set(
        name,
        await startCompiledNode({ ...env, NODE_ID: name, PORT: String(ports.get(name)) }),
      );
    await Promise.all([...ports.keys()].map(start));
    lb = await startHaproxy(
      dir,
      [...ports].map(([name, port]) => ({ name, port })),
    );
    const haproxy = lb;
    const allUp = async (wanted: string[]) => {
      for (;;) {
        const states = await haproxy.states();
        if (wanted.every((name) => states[name] === 'UP')) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await allUp([...ports.keys()]);

    phase('lb up');
    // Accounts and one shared room, all through the load balancer.
    const accounts = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const username = `roll_${i}_${randomBytes(3).toString('hex')}`;
        const res = await post(`${haproxy.url}/auth/register`, { username, password });
        expect(res.status).toBe(201);
        return { username, id: String(res.body.id) };
      }),
    );
    for (const account of accounts) {
      clients.push(
        createParleyClient({
          url: haproxy.url,
          credentials: { username: account.username, password },
          reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
          outbox: { ackTimeoutMs: 3_000, backoff: { initialDelayMs: 100, maxDelayMs: 500 } },
          requestTimeoutMs: 5_000,
        }),
      );
    }
    const [owner] = clients;
    phase('clients created');
    await owner!.status.waitFor('connected', 20_000);
    const room = await owner!.request('room:create', {
      name: 'rolling',
      memberIds: accounts.slice(1).map((a) => a.id),
    });
    phase('room created');
    const received = clients.map(() => new Map<string, number>());
    clients.forEach((client, i) =>
      client.room(room.id).on('message:created', (m: Message) => {
        received[i]!.set(m.id, (received[i]!.get(m.id) ?? 0) + 1);
      }),
    );
    await Promise.all(clients.map((c) => c.status.waitFor('connected', 20_000)));

    // Load: every client sends on a timer (sends stay pending across reconnects: the SDK
    // retries them), REST workers call /auth/me and /auth/login back to back.
    phase('all connected');
    const counts = { sent: 0, acked: 0, sendFailed: 0, http: 0, httpFailed: 0 };
    const failures: string[] = [];
    const acked = new Set<string>();
    let loading = true;
    // Closed loop per client: the next send once the last one is acked (the SDK retries a
    // send across reconnects and nodes until it is), so load follows what the cluster takes.
    const senders = clients.map(async (client, i) => {
      for (let n = 0; loading; n++) {
        counts.sent++;
        try {
          const message = await client.send(room.id, `c${i}-${n}`);
          counts.acked++;
          acked.add(message.id);
        } catch (err) {
          counts.sendFailed++;
          failures.push(`send: ${String(err)}`);
        }
      }
    });
    const tokens = await Promise.all(
      accounts.map(async (a) => {
        const res = await post(`${haproxy.url}/auth/login`, { username: a.username, password });
        return String(res.body.accessToken);
      }),
    );
    const restWorker = async (w: number) => {
      for (let n = 0; loading; n++) {
        const account = accounts[(w + n) % accounts.length]!;
        const call =
          n % 10 === 9
            ? fetch(`${haproxy.url}/auth/login`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ username: account.username, password }),
              })
            : fetch(`${haproxy.url}/auth/me`, {
                headers: { authorization: `Bearer ${tokens[(w + n) % tokens.length]}` },
              });
        counts.http++;
        try {
          const res = await call;
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
        } catch (err) {
          counts.httpFailed++;
          failures.push(`rest: ${String(err)}`);
        }
      }
    };
    const rest = Promise.all(Array.from({ length: REST_WORKERS }, (_, w) => restWorker(w)));

    // The roll: one node at a time, the next only when HAProxy has the last one back.
    phase('load running');
    const started = performance.now();

    let migrated = '';
    for (const [index, name] of [...ports.keys()].entries()) {
      const node = nodes.get(name)!;
      node.child.kill('SIGTERM');
      expect(await node.exited).toBe(0);
      await start(name);
      phase(`${name} restarted`);
      await allUp([...ports.keys()]);
      if (index === 0) {
        // Additive change while the old code serves: a test-only migration after the real ones.
        const migrations = path.join(dir, 'migrations');
        cpSync(MIGRATIONS_DIR, migrations, { recursive: true });
        writeFileSync(
          path.join(migrations, '9000_rolling_restart_probe.cql'),
          'ALTER TABLE rooms ADD rolling_probe text;\n',
        );
        const { applied } = await migrate(
          cassandra,
          () => undefined,
          await readMigrations(migrations),
        );
        migrated = applied.join(', ');
      }
    }
    const rollMs = performance.now() - started;

    phase('roll done');
    loading = false;
    await Promise.all([rest, ...senders]);
    phase('load stopped');
    // Every client must end up with every acked message exactly once (live or caught up).
    const lost = () =>
      received.reduce((sum, got) => sum + [...acked].filter((id) => !got.has(id)).length, 0);
    const settleBy = performance.now() + 20_000;
    while (lost() > 0 && performance.now() < settleBy) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const duplicates = received.reduce(
      (sum, got) => sum + [...got.values()].filter((n) => n > 1).length,
      0,
    );
    console.log(
      `[rolling-restart] ${NODES} nodes restarted in ${Math.round(rollMs)} ms (migration ${migrated} applied mid-roll); ` +
        `HTTP requests ${counts.http}, failed ${counts.httpFailed}; ` +
        `sends ${counts.sent}, acked ${counts.acked}, failed ${counts.sendFailed}; ` +
        `deliveries expected ${acked.size * CLIENTS}, lost ${lost()}, duplicates ${duplicates}; ` +
        phases.join(' '),
    );
    expect(failures.slice(0, 10)).toEqual([]);
    expect(migrated).toBe('9000_rolling_restart_probe');
    expect(counts.acked).toBe(counts.sent);
    expect(lost()).toBe(0);
    expect(duplicates).toBe(0);
    expect(counts.http).toBeGreaterThan(100);
  }, 240_000);
});
