import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { post } from '../helpers/http-client';
import { createTestCluster } from '../helpers/start-node';

const password = 'correct horse battery staple';
const newName = () => `u_${randomUUID().slice(0, 12)}`;

/** Waits out a Retry-After: no event marks a rate-limit window's end, so this is a bounded wait. */
const waitSeconds = (s: number) => new Promise((resolve) => setTimeout(resolve, s * 1000 + 100));

function retryAfterOf(res: { headers: Headers }): number {
  const value = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(value)).toBe(true);
  expect(value).toBeGreaterThanOrEqual(1);
  return value;
}

describe('login throttling per account', () => {
  const cluster = createTestCluster({
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    LOGIN_THROTTLE_WINDOW_SECONDS: '2',
  });
  afterAll(() => cluster.stopAll());

  it('locks the account on every node after 3 failures, with 429 + Retry-After, then recovers', async () => {
    const [a, b] = await Promise.all([cluster.startNode(), cluster.startNode()]);
    const username = newName();
    expect((await post(`${a.url}/auth/register`, { username, password })).status).toBe(201);

    for (let i = 0; i < 3; i++) {
      const node = i % 2 === 0 ? a : b;
      const res = await post(`${node.url}/auth/login`, { username, password: 'wrong password!!' });
      expect(res.status).toBe(401);
    }
    // Even the right password is refused now, on the node that saw one failure only.
    const locked = await post(`${b.url}/auth/login`, { username, password });
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('RATE_LIMITED');
    const retryAfter = retryAfterOf(locked);
    expect(retryAfter).toBeLessThanOrEqual(2);

    await waitSeconds(retryAfter);
    expect((await post(`${a.url}/auth/login`, { username, password })).status).toBe(200);
  });

  it('locks unknown usernames the same way, so lockout reveals nothing', async () => {
    const a = await cluster.startNode();
    const username = newName();
    for (let i = 0; i < 3; i++) {
      expect((await post(`${a.url}/auth/login`, { username, password })).status).toBe(401);
    }
    expect((await post(`${a.url}/auth/login`, { username, password })).status).toBe(429);
  });
});

describe('login throttling per IP', () => {
  const cluster = createTestCluster({
    LOGIN_MAX_ATTEMPTS_PER_IP: '4',
    LOGIN_THROTTLE_WINDOW_SECONDS: '2',
  });
  afterAll(() => cluster.stopAll());

  it('refuses a password spray across many accounts from one address, then recovers', async () => {
    const [a, b] = await Promise.all([cluster.startNode(), cluster.startNode()]);
    for (let i = 0; i < 4; i++) {
      const node = i % 2 === 0 ? a : b;
      const res = await post(`${node.url}/auth/login`, { username: newName(), password });
      expect(res.status).toBe(401);
    }
    const sprayed = await post(`${a.url}/auth/login`, { username: newName(), password });
    expect(sprayed.status).toBe(429);
    expect(sprayed.body.retryAfterMs).toBeGreaterThan(0);
    await waitSeconds(retryAfterOf(sprayed));
    expect((await post(`${b.url}/auth/login`, { username: newName(), password })).status).toBe(401);
  });
});
