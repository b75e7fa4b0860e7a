import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, signUp } from '../helpers/http-client';
import { connectSocket, expectHandshakeRefused } from '../helpers/handshake-client';
import { startEmbeddedNode, type TestNode } from '../helpers/start-node';

/** The embedded engine runs the same auth with memory stores and a memory rate limiter. */
let node: TestNode;
beforeAll(async () => {
  node = await startEmbeddedNode({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '2' });
});
afterAll(() => node.stop());

describe('auth on the embedded engine', () => {
  it('serves register, login, me and the socket handshake', async () => {
    const pair = await signUp(node.url);
    const me = await get(`${node.url}/auth/me`, { authorization: `Bearer ${pair.accessToken}` });
    expect(me.body.username).toBe(pair.user.username);
    const socket = await connectSocket(node.url, pair.accessToken);
    socket.close();
    const refusal = await expectHandshakeRefused(node.url, { token: 'nope' });
    expect(refusal.data?.code).toBe('UNAUTHORIZED');
  });

  it('throttles with the in-memory limiter: 429 + Retry-After', async () => {
    const pair = await signUp(node.url);
    const username = pair.user.username;
    for (let i = 0; i < 2; i++) {
      const res = await post(`${node.url}/auth/login`, { username, password: 'wrong password!!' });
      expect(res.status).toBe(401);
    }
    const locked = await post(`${node.url}/auth/login`, { username, password: pair.password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
