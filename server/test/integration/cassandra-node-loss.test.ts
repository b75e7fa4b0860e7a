import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/storage/cassandra/migrator';
import { launcher } from '../helpers/cassandra-launcher';
import { post, signUp } from '../helpers/http-client';
import { call, request, socketPool } from '../helpers/socket-client';
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
    MESSAGES_PER_USER_PER_10S: '100000',
  });
  let node: TestNode;
  let startedRing = false;
  const pool = socketPool();

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
    pool.closeAll();
    await cluster.stopAll();
    // Leave the ring as we found it: down if we started it, else whole again.
    await launcher(startedRing ? ['down', ...ringArgs] : ['up', ...ringArgs], ring);
  }, 400_000);

  it('keeps writing and reading after the contact point is SIGKILLed', async () => {
    expect(await signUpOnce(node.url)).toBe(true);
    const sender = await signUp(node.url);
    const socket = await pool.open(node.url, sender.accessToken);
    const room = await call(socket, 'room:create', { name: 'node-loss' });
    const pid = Number(
      (await launcher(['pid', ...ringArgs, '--node', '1'], ring, 30_000)).output.trim(),
    );
    expect(pid).toBeGreaterThan(0);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');

    // Sends right after the loss, through the window in which the other nodes still think
    // the dead one is alive (gossip convicts it after ~10 s). Each send's rows need only a
    // quorum of their own replicas, so every first attempt is acked. (A logged batch also
    // needs its batchlog on two other nodes: it timed out through that whole window.)
    const refused: string[] = [];
    const ackMs: number[] = [];
    while (Date.now() - killedAt < 15_000) {
      const started = Date.now();
      const ack = await request(socket, 'message:send', {
        roomId: room.id,
        clientMsgId: randomUUID(),
        body: 'after the loss',
        attempt: 1,
      });
      if (ack.ok) ackMs.push(Date.now() - started);
      else refused.push(`${ack.error.code} at +${started - killedAt} ms`);
      await new Promise((r) => setTimeout(r, 50)); // a chat's pace, not a wait for an event
    }
    ackMs.sort((x, y) => x - y);
    console.log(
      `[cassandra-node-loss] sends in the 15 s after the kill: ${ackMs.length} acked, ${refused.length} refused; ack max ${ackMs.at(-1)} ms`,
    );
    expect(refused).toEqual([]);

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
