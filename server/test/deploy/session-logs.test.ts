import type { ClientToServerEvents, ServerToClientEvents } from '@parley/contract';
import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  buildOnce,
  clusterNodeEnv,
  startCompiledNode,
  type CompiledNode,
} from '../helpers/compiled-node';
import { del, post } from '../helpers/http-client';
import { call } from '../helpers/socket-client';

type Line = Record<string, unknown> & { msg: string };

describe('the logs of one session (compiled server, real Redis and Cassandra)', () => {
  let node: CompiledNode | undefined;
  beforeAll(() => buildOnce(), 120_000);
  afterAll(() => {
    if (node?.child.exitCode === null) node.child.kill('SIGKILL');
  });

  it('tie login, connect, send and kick together by request id and connection id', async () => {
    const admin = { username: `ops_${randomUUID().slice(0, 8)}`, password: randomUUID() };
    node = await startCompiledNode(
      clusterNodeEnv(inject('keyspace'), {
        NODE_ID: 'logs-1',
        PARLEY_ADMIN_USERNAME: admin.username,
        PARLEY_ADMIN_PASSWORD: admin.password,
        DRAIN_LB_DELAY_MS: '0',
      }),
    );
    const { url } = node;
    const username = `u_${randomUUID().slice(0, 12)}`;
    const password = 'correct horse battery staple';

    expect((await post(`${url}/auth/register`, { username, password })).status).toBe(201);
    const login = await post(
      `${url}/auth/login`,
      { username, password },
      { 'x-request-id': 'session-login' },
    );
    expect(login.status).toBe(200);
    expect(login.headers.get('x-request-id')).toBe('session-login');
    const { accessToken, user } = login.body as { accessToken: string; user: { id: string } };

    const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(url, {
      auth: { token: accessToken },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { 'x-request-id': 'session-socket' },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const room = await call(socket, 'room:create', { name: 'logged' });
    await call(socket, 'message:send', { roomId: room.id, clientMsgId: randomUUID(), body: 'hi' });
    const removed = new Promise((resolve) => socket.once('room:removed', resolve));

    const adminLogin = await post(`${url}/auth/login`, admin);
    const adminToken = (adminLogin.body as { accessToken: string }).accessToken;
    const kicked = await del(
      `${url}/admin/rooms/${room.id}/members/${user.id}`,
      { authorization: `Bearer ${adminToken}`, 'x-request-id': 'session-kick' },
      { reason: 'log demo' },
    );
    const kick = { status: kicked.status, requestId: kicked.headers.get('x-request-id') };
    expect(kick).toEqual({ status: 200, requestId: 'session-kick' });
    await removed;
    socket.close();

    node.child.kill('SIGTERM');
    expect(await node.exited).toBe(0);
    const lines = node.logs() as Line[];

    // REST: the access line and every handler line of a request carry its id.
    const loginLines = lines.filter((l) => l.reqId === 'session-login');
    expect(loginLines.map((l) => l.msg)).toContainEqual(
      expect.stringMatching(/^POST \/auth\/login 200 /),
    );
    const kickLines = lines.filter((l) => l.reqId === 'session-kick');
    expect(kickLines.map((l) => l.msg)).toEqual(
      expect.arrayContaining([
        'moderation: kick',
        expect.stringMatching(/^DELETE \/admin\/rooms\/:roomId\/members\/:userId 200 /),
      ]),
    );
    expect(kickLines.find((l) => l.msg === 'moderation: kick')).toMatchObject({
      target: user.id,
      roomId: room.id,
      reason: 'log demo',
    });

    // Socket: the connect line carries the handshake's request id, and every line about the
    // socket its connection id and user.
    const connected = lines.find((l) => l.msg === 'socket connected' && l.userId === user.id);
    expect(connected).toMatchObject({ reqId: 'session-socket', transport: 'websocket' });
    const conn = connected?.conn;
    expect(typeof conn).toBe('string');
    const connLines = lines.filter((l) => l.conn === conn);
    expect(connLines.every((l) => l.userId === user.id)).toBe(true);
    expect(connLines.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['socket connected', 'socket disconnected']),
    );

    const session = lines.filter(
      (l) => l.reqId === 'session-login' || l.reqId === 'session-kick' || l.conn === conn,
    );
    console.log(`[session-logs]\n${session.map((l) => JSON.stringify(l)).join('\n')}`);
  }, 60_000);
});
