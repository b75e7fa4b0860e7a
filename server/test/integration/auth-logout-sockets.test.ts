import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, signUp } from '../helpers/http-client';
import {
  connectSocket,
  expectHandshakeRefused,
  type TestSocket,
} from '../helpers/handshake-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

const cluster = createTestCluster();
let a: TestNode;
let b: TestNode;
const open: TestSocket[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([cluster.startNode(), cluster.startNode()]);
});
afterAll(async () => {
  for (const s of open) s.close();
  await cluster.stopAll();
});

const disconnected = (socket: TestSocket) =>
  new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));

describe('logout ends the session on every node', () => {
  it('logout on node A disconnects the session’s sockets on node B, and only those', async () => {
    const user = await signUp(a.url);
    const other = await post(`${a.url}/auth/login`, {
      username: user.user.username,
      password: user.password,
    });
    const otherToken = (other.body as { accessToken: string }).accessToken;

    const onB = await connectSocket(b.url, user.accessToken);
    const onA = await connectSocket(a.url, user.accessToken);
    const otherSession = await connectSocket(b.url, otherToken);
    open.push(onB, onA, otherSession);
    const bGone = disconnected(onB);
    const aGone = disconnected(onA);

    expect((await post(`${a.url}/auth/logout`, { refreshToken: user.refreshToken })).status).toBe(
      204,
    );
    expect(await bGone).toBe('io server disconnect');
    expect(await aGone).toBe('io server disconnect');

    // The same access token cannot come back in through either node.
    for (const node of [a, b]) {
      const refusal = await expectHandshakeRefused(node.url, { token: user.accessToken });
      expect(refusal.data?.code).toBe('UNAUTHORIZED');
    }
    // The user's other session was not logged out. Its socket answers a round trip
    // (auth:refresh with its own token), which proves it is still served.
    const ack = await otherSession
      .timeout(5_000)
      .emitWithAck('auth:refresh', { token: otherToken });
    expect(ack.ok).toBe(true);
    expect(otherSession.connected).toBe(true);
  });
});
