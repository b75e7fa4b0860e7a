import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createCassandraClient } from '../../src/storage/cassandra/cassandra-client';
import { createCassandraStores } from '../../src/storage/cassandra/cassandra-stores';
import {
  buildOnce,
  clusterNodeEnv,
  startCompiledNode,
  type CompiledNode,
} from '../helpers/compiled-node';
import { get, post, signUp } from '../helpers/http-client';
import { cassandraTestConfig } from '../helpers/services';
import { call, connect, request } from '../helpers/socket-client';

const LB_DELAY_MS = 1_000;

describe('compiled server, started as the image starts it', () => {
  let node: CompiledNode | undefined;
  beforeAll(() => buildOnce(), 120_000);
  afterAll(() => {
    if (node?.child.exitCode === null) node.child.kill('SIGKILL');
  });

  it('drains on SIGTERM: readiness fails first, clients are moved, writes finish, exit 0', async () => {
    const keyspace = inject('keyspace');
    node = await startCompiledNode(
      clusterNodeEnv(keyspace, {
        NODE_ID: 'compiled-1',
        DRAIN_LB_DELAY_MS: String(LB_DELAY_MS),
        DRAIN_TIMEOUT_MS: '5000',
        MESSAGES_PER_USER_PER_10S: '100000',
      }),
    );
    const { url, child } = node;
    expect(node.logs().find((l) => l.msg === 'parley listening on ' + url)?.engine).toBe('cluster');

    const user = await signUp(url);
    // A standard socket.io-client with its own reconnection on: the drain must make it
    // reconnect by itself (a "transport close"), not strand it ("io server disconnect").
    const socket = await connect(url, user.accessToken, { reconnection: true });
    const room = await call(socket, 'room:create', { name: 'drain' });

    const timeline: { at: number; event: string }[] = [];
    const mark = (event: string) => timeline.push({ at: performance.now(), event });
    socket.on('server:draining', () => mark('server:draining'));
    const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    const reconnectTried = new Promise<void>((resolve) =>
      socket.io.once('reconnect_attempt', () => resolve()),
    );

    // Four senders keep writes in flight through the whole drain.
    const sent: string[] = [];
    const acked: { id: string; at: number }[] = [];
    const refused: string[] = [];
    let open = true;
    void disconnected.then(() => (open = false));
    const sender = async () => {
      while (open) {
        const clientMsgId = randomUUID();
        sent.push(clientMsgId);
        const ack = await request(socket, 'message:send', {
          roomId: room.id,
          clientMsgId,
          body: 'x',
        }).catch(() => undefined);
        if (ack?.ok) acked.push({ id: clientMsgId, at: performance.now() });
        else if (ack) refused.push(`${ack.error.code}: ${ack.error.message}`);
      }
    };
    const senders = Promise.all([sender(), sender(), sender(), sender()]);
    await new Promise<void>((resolve) => {
      const check = () => (acked.length >= 20 ? resolve() : setImmediate(check));
      check();
    });

    mark('SIGTERM');
    child.kill('SIGTERM');
    // Readiness fails first, while the node still answers everything else.
    let readyStatus = 200;
    while (readyStatus === 200) readyStatus = (await get(`${url}/readyz`)).status;
    mark('readyz 503');
    expect(readyStatus).toBe(503);
    const login = await post(`${url}/auth/login`, {
      username: user.user.username,
      password: user.password,
    });
    expect(login.status).toBe(200);
    mark('login during LB delay');

    expect(await disconnected).toBe('transport close');
    mark('disconnect');
    await reconnectTried;
    await senders;
    expect(await node.exited).toBe(0);
    socket.close();

    const order = timeline.map((t) => t.event);
    expect(order.indexOf('readyz 503')).toBeLessThan(order.indexOf('server:draining'));
    expect(order.indexOf('login during LB delay')).toBeLessThan(order.indexOf('server:draining'));
    const at = (event: string) => timeline.find((t) => t.event === event)!.at;
    // The node served on for (about) the configured LB delay before moving anyone.
    expect(at('server:draining') - at('SIGTERM')).toBeGreaterThanOrEqual(LB_DELAY_MS * 0.9);

    const messages = node.logs().map((l) => l.msg);
    expect(messages).toContain('drain: sockets closed, presence handed over');
    expect(
      node.logs().find((l) => l.msg === 'drain: sockets closed, presence handed over'),
    ).toMatchObject({
      unfinished: 0,
    });
    expect(messages.at(-1)).toBe('stopped');

    // Nothing lost: every acked send is stored, nothing is stored twice, and a send that
    // got no ack (it raced the close) is either stored or never reached the node.
    const client = createCassandraClient(cassandraTestConfig(keyspace), keyspace);
    const stores = createCassandraStores(client);
    try {
      const stored = await stores.messages.listMessagesAfter(room.id, 0, 10_000);
      const storedIds = stored.map((m) => m.clientMsgId);
      expect(new Set(storedIds).size).toBe(storedIds.length);
      for (const { id } of acked) expect(storedIds).toContain(id);
      for (const id of storedIds) expect(sent).toContain(id);
      expect(refused).toEqual([]);
      expect(sent.length - acked.length).toBeLessThanOrEqual(4);
      // Presence handed over: last-seen written at shutdown.
      const record = await stores.users.findUserById(user.user.id);
      expect(record?.lastSeenAt).toBeInstanceOf(Date);
      const ackedAfterDraining = acked.filter((a) => a.at > at('server:draining')).length;
      const moving = node.logs().find((l) => l.msg === 'drain: telling clients to move');
      console.log(
        `[compiled-drain] in flight when clients were told to move: ${String(moving?.inFlight)}; ` +
          ` sent ${sent.length}, acked ${acked.length} (${ackedAfterDraining} after server:draining), stored ${stored.length}; ` +
          timeline.map((t) => `${t.event}@${Math.round(t.at - at('SIGTERM'))}ms`).join(' '),
      );
    } finally {
      await stores.close();
    }
  }, 60_000);
});
