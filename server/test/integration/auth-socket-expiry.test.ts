import type { TokenPair } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, signUp } from '../helpers/http-client';
import { connectSocket, type TestSocket } from '../helpers/handshake-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

/** Access tokens live 2 s here, so expiry happens within the test. */
const cluster = createTestCluster({ ACCESS_TOKEN_TTL_SECONDS: '2' });
const open: TestSocket[] = [];
afterAll(async () => {
  for (const s of open) s.close();
  await cluster.stopAll();
});

const once = <T>(socket: TestSocket, event: 'auth:expired' | 'disconnect') =>
  new Promise<T>((resolve) => socket.once(event, (arg: unknown) => resolve(arg as T)));

describe('socket lifetime follows the access token', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await cluster.startNode({ AUTH_EXPIRY_GRACE_MS: '300' });
  });

  it('without auth:refresh the socket gets auth:expired and is then disconnected', async () => {
    const { accessToken, accessTokenExpiresAt } = await signUp(node.url);
    const socket = await connectSocket(node.url, accessToken);
    open.push(socket);
    const expired = once<{ graceMs: number }>(socket, 'auth:expired');
    const gone = once<string>(socket, 'disconnect');

    const info = await expired;
    expect(info.graceMs).toBe(300);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(accessTokenExpiresAt) - 50);
    expect(await gone).toBe('io server disconnect');
  });
});

describe('auth:refresh keeps the socket alive', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await cluster.startNode({ AUTH_EXPIRY_GRACE_MS: '1500' });
  });

  it('a fresh token sent on auth:expired carries the socket past the original expiry', async () => {
    const first = await signUp(node.url);
    const socket = await connectSocket(node.url, first.accessToken);
    open.push(socket);
    let disconnectedAt: number | undefined;
    socket.on('disconnect', () => (disconnectedAt = Date.now()));

    await once(socket, 'auth:expired');
    const refreshed = await post(`${node.url}/auth/refresh`, { refreshToken: first.refreshToken });
    const next = refreshed.body as unknown as TokenPair;
    const ack = await socket
      .timeout(5_000)
      .emitWithAck('auth:refresh', { token: next.accessToken });
    expect(ack).toEqual({ ok: true, data: { expiresAt: next.accessTokenExpiresAt } });
    expect(Date.parse(next.accessTokenExpiresAt)).toBeGreaterThan(
      Date.parse(first.accessTokenExpiresAt),
    );

    // The next event on this socket is the *second* expiry warning, for the new token:
    // it arrives well after the first token's expiry plus grace, and no disconnect came first.
    await once(socket, 'auth:expired');
    expect(disconnectedAt).toBeUndefined();
    expect(Date.now()).toBeGreaterThan(Date.parse(first.accessTokenExpiresAt) + 1500 - 100);
    expect(socket.connected).toBe(true);
  });

  it('auth:refresh with a bad or foreign token is refused and does not extend the socket', async () => {
    const mine = await signUp(node.url);
    const theirs = await signUp(node.url);
    const socket = await connectSocket(node.url, mine.accessToken);
    open.push(socket);
    const foreign = await socket
      .timeout(5_000)
      .emitWithAck('auth:refresh', { token: theirs.accessToken });
    expect(foreign).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const garbage = await socket.timeout(5_000).emitWithAck('auth:refresh', { token: 'garbage' });
    expect(garbage).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const malformed = await socket
      .timeout(5_000)
      .emitWithAck('auth:refresh', { token: 7 } as unknown as { token: string });
    expect(malformed).toMatchObject({ ok: false, error: { code: 'VALIDATION' } });

    const gone = once<string>(socket, 'disconnect');
    await once(socket, 'auth:expired');
    expect(await gone).toBe('io server disconnect');
  });
});
