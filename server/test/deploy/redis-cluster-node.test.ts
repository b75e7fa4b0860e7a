import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  buildOnce,
  clusterNodeEnv,
  startCompiledNode,
  type CompiledNode,
} from '../helpers/compiled-node';
import { repoRoot } from '../helpers/dockerfile';
import { signUp } from '../helpers/http-client';
import { call, collect, connect } from '../helpers/socket-client';

// Its own Redis Cluster (3 masters + 3 replicas of redis-server), away from the one
// `npm run test:redis-cluster` uses, so `npm test` covers the compiled server on a cluster.
const BASE_PORT = '7300';
const clusterScript = (command: 'up' | 'down') =>
  promisify(execFile)('bash', ['scripts/redis-cluster.sh', command], {
    cwd: repoRoot,
    env: { ...process.env, REDIS_CLUSTER_BASE_PORT: BASE_PORT },
    timeout: 120_000,
  });

describe('compiled nodes on a real Redis Cluster', () => {
  let clusterUrls = '';
  const nodes: CompiledNode[] = [];
  beforeAll(async () => {
    await buildOnce();
    const { stdout } = await clusterScript('up');
    clusterUrls = /REDIS_CLUSTER_URL=(\S+)/.exec(stdout)?.[1] ?? '';
  }, 180_000);
  afterAll(async () => {
    for (const node of nodes) if (node.child.exitCode === null) node.child.kill('SIGKILL');
    await clusterScript('down');
  }, 60_000);

  it('serves, fans out across nodes and drains, with every Redis command timed', async () => {
    expect(clusterUrls).toMatch(/^redis:\/\/127\.0\.0\.1:7300,/);
    const keyspace = inject('keyspace');
    const metricsToken = randomUUID();
    const env: Record<string, string> = clusterNodeEnv(keyspace, { METRICS_TOKEN: metricsToken });
    // The cluster replaces the suite's Redis (REDIS_URL and REDIS_CLUSTER_NODES are exclusive).
    delete env.REDIS_URL;
    delete env.REDIS_CLUSTER_NODES;
    for (const id of ['rc-1', 'rc-2']) {
      nodes.push(
        await startCompiledNode({ ...env, REDIS_CLUSTER_NODES: clusterUrls, NODE_ID: id }),
      );
    }
    const [one, two] = nodes as [CompiledNode, CompiledNode];

    // Commands issued before the cluster client is ready wait in its offline queue and are
    // re-sent with their target node when it is: the node must survive that.
    const alice = await signUp(one.url, `a_${randomUUID().slice(0, 10)}`);
    const bob = await signUp(two.url, `b_${randomUUID().slice(0, 10)}`);
    const aliceSocket = await connect(one.url, alice.accessToken);
    const bobSocket = await connect(two.url, bob.accessToken);
    const room = await call(aliceSocket, 'room:create', {
      name: 'on a cluster',
      memberIds: [bob.user.id],
    });
    const created = collect(bobSocket, 'message:created');
    const sent = await call(aliceSocket, 'message:send', {
      roomId: room.id,
      clientMsgId: randomUUID(),
      body: 'through sharded pub/sub',
    });
    const got = await created.until((items) => items.length > 0, 10_000);
    expect(got.map((m) => m.id)).toEqual([sent.id]);
    aliceSocket.close();
    bobSocket.close();

    const metrics = await fetch(`${one.url}/metrics`, {
      headers: { authorization: `Bearer ${metricsToken}` },
    }).then((r) => r.text());
    expect(metrics).toMatch(
      /parley_redis_command_duration_seconds_count\{client="command"\} [1-9]/,
    );

    for (const node of nodes) node.child.kill('SIGTERM');
    expect(await Promise.all(nodes.map((n) => n.exited))).toEqual([0, 0]);
  }, 90_000);

  it('the launcher brings the cluster back after its instances died without `down`', async () => {
    // What a machine restart leaves: every instance gone, its state directory kept, and a
    // dump.rdb holding keys (replicas write one on every full sync, even with --save "").
    const run = promisify(execFile);
    const ports = [0, 1, 2, 3, 4, 5].map((i) => Number(BASE_PORT) + i);
    await run('redis-cli', ['-c', '-p', BASE_PORT, 'set', `left-behind-${randomUUID()}`, '1']);
    for (const port of ports) await run('redis-cli', ['-p', String(port), 'save']);
    const stateDir = join(repoRoot, '.cache', `redis-cluster-${BASE_PORT}`);
    for (const port of ports) {
      const pid = Number(readFileSync(join(stateDir, String(port), 'redis.pid'), 'utf8'));
      process.kill(pid, 'SIGKILL');
    }
    const { stdout } = await clusterScript('up');
    expect(stdout).toMatch(/REDIS_CLUSTER_URL=redis:\/\/127\.0\.0\.1:7300,/);
    const info = await run('redis-cli', ['-p', BASE_PORT, 'cluster', 'info']);
    expect(info.stdout).toMatch(/cluster_state:ok/);
  }, 150_000);
});
