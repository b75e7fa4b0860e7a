import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/storage/cassandra/migrator';
import { launcher } from '../helpers/cassandra-launcher';
import { post } from '../helpers/http-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

// A ring of three on a CQL port other than 9042, so the driver must be told the port for
// the nodes it learns from system.peers (it assumes 9042 otherwise).
const CQL_PORT = process.env.PARLEY_TEST_RING_PORT ?? '9043';
const ring = { CASSANDRA_PORT: CQL_PORT, CASSANDRA_HEAP: '768M' };
const ringArgs = ['--nodes', '3'];

/** Register (a write, with a lightweight transaction on the username) then log in (a read). */
async function signUpOnce(url: string): Promise<boolean> {
  const username = `u_${randomBytes(6).toString('hex')}`;
  const password = 'correct horse battery staple';
  const reg = await post(`${url}/auth/register`, { username, password });
  if (reg.status !== 201) return false;
  const login = await post(`${url}/auth/login`, { username, password });
  return login.status === 200;
}

describe(`Cassandra RF=3 on 127.0.0.2-4:${CQL_PORT}: losing the contact point`, () => {
  const keyspace = `parley_nodeloss_${randomBytes(3).toString('hex')}`;
  const cluster = createTestCluster({
    // One contact point only: the node the test kills. Every other node is known to the
    // driver only from system.peers, so it must be dialled on the contact point's port.
    CASSANDRA_CONTACT_POINTS: `127.0.0.2:${CQL_PORT}`,
    CASSANDRA_KEYSPACE: keyspace,
    CASSANDRA_REPLICATION_FACTOR: '3',
  });
  let node: TestNode;
  let startedRing = false;

  beforeAll(async () => {
    startedRing = (await launcher(['status', ...ringArgs], ring, 60_000)).code !== 0;
    const up = await launcher(['up', ...ringArgs], ring);
    expect(up.code, up.output).toBe(0);
    await migrate({
      contactPoints: [`127.0.0.2:${CQL_PORT}`, `127.0.0.3:${CQL_PORT}`, `127.0.0.4:${CQL_PORT}`],
      localDataCenter: 'datacenter1',
      keyspace,
      replication: { strategy: 'SimpleStrategy', factor: 3 },
    });
    node = await cluster.startNode();
  }, 400_000);

  afterAll(async () => {
    await cluster.stopAll();
    // Leave the ring as we found it: down if we started it, else whole again.
    await launcher(startedRing ? ['down', ...ringArgs] : ['up', ...ringArgs], ring);
  }, 400_000);

  it('keeps writing and reading after the contact point is SIGKILLed', async () => {
    expect(await signUpOnce(node.url)).toBe(true);
    const pid = Number(
      (await launcher(['pid', ...ringArgs, '--node', '1'], ring, 30_000)).output.trim(),
    );
    expect(pid).toBeGreaterThan(0);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');

    // The first success after the kill: a liveness bound, generous on a loaded machine.
    // The figure is printed; speed targets belong to benchmarks, not to assertions.
    let recoveredAfter = -1;
    while (Date.now() - killedAt < 60_000) {
      if (await signUpOnce(node.url).catch(() => false)) {
        recoveredAfter = Date.now() - killedAt;
        break;
      }
      await new Promise((r) => setTimeout(r, 100)); // retry pace, not a wait for an event
    }
    console.log(
      `[cassandra-node-loss] first register+login after SIGKILL of the contact point: ${recoveredAfter} ms`,
    );
    expect(recoveredAfter).toBeGreaterThanOrEqual(0);

    // Then it keeps working with one of three replicas gone. How many of the next 20 succeed
    // is printed, not asserted: an occasional failure right after the kill (a request still
    // routed to the dead coordinator) is the open availability item of issue 10, measured
    // here and by the chaos checker, not a defect of the port handling this test guards.
    const results: boolean[] = [];
    for (let i = 0; i < 20; i++) results.push(await signUpOnce(node.url).catch(() => false));
    console.log(
      `[cassandra-node-loss] register+login after the kill: ${results.filter(Boolean).length}/20 succeeded`,
    );
    expect(results.some(Boolean)).toBe(true);
  }, 120_000);
});
