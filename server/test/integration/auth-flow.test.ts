import { randomUUID } from 'node:crypto';
import type { TokenPair } from '@parley/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post } from '../helpers/http-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

const cluster = createTestCluster();
let a: TestNode;
let b: TestNode;

beforeAll(async () => {
  [a, b] = await Promise.all([cluster.startNode(), cluster.startNode()]);
});
afterAll(() => cluster.stopAll());

const password = 'correct horse battery staple';
const newName = () => `u_${randomUUID().slice(0, 12)}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function login(url: string, username: string) {
  const res = await post(`${url}/auth/login`, { username, password });
  expect(res.status).toBe(200);
  return res.body as unknown as TokenPair;
}

describe('register, login, me, refresh, logout across nodes', () => {
  it('runs the whole session life cycle, each step on either node', async () => {
    const username = newName();
    const reg = await post(`${a.url}/auth/register`, { username, password });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ username, roles: ['user'] });
    expect(reg.body).not.toHaveProperty('passwordHash');

    const pair = await login(b.url, username);
    expect(pair.user.username).toBe(username);
    const me = await get(`${a.url}/auth/me`, bearer(pair.accessToken));
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: pair.user.id, username, roles: ['user'] });

    const refreshed = await post(`${a.url}/auth/refresh`, { refreshToken: pair.refreshToken });
    expect(refreshed.status).toBe(200);
    const next = refreshed.body as unknown as TokenPair;
    expect(next.refreshToken).not.toBe(pair.refreshToken);
    expect((await get(`${b.url}/auth/me`, bearer(next.accessToken))).status).toBe(200);

    const out = await post(`${b.url}/auth/logout`, { refreshToken: next.refreshToken });
    expect(out.status).toBe(204);
    // Both the access token of the session and its refresh token are dead everywhere.
    const after = await get(`${a.url}/auth/me`, bearer(next.accessToken));
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('UNAUTHORIZED');
    const again = await post(`${a.url}/auth/refresh`, { refreshToken: next.refreshToken });
    expect(again.status).toBe(401);
  });

  it('logout by bearer token alone revokes that session but not the user’s other sessions', async () => {
    const username = newName();
    await post(`${a.url}/auth/register`, { username, password });
    const one = await login(a.url, username);
    const two = await login(b.url, username);
    expect((await post(`${a.url}/auth/logout`, {}, bearer(one.accessToken))).status).toBe(204);
    expect((await get(`${b.url}/auth/me`, bearer(one.accessToken))).status).toBe(401);
    expect((await get(`${b.url}/auth/me`, bearer(two.accessToken))).status).toBe(200);
  });

  it('logout with neither a refresh token nor a valid bearer is 401', async () => {
    const res = await post(`${a.url}/auth/logout`, {});
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });

  it('a duplicate username is 409 CONFLICT, case-insensitively', async () => {
    const username = newName();
    expect((await post(`${a.url}/auth/register`, { username, password })).status).toBe(201);
    const dup = await post(`${b.url}/auth/register`, {
      username: username.toUpperCase(),
      password,
    });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('CONFLICT');
  });
});

describe('refresh token reuse (RFC 9700)', () => {
  it('reusing a rotated refresh token revokes the whole family', async () => {
    const username = newName();
    await post(`${a.url}/auth/register`, { username, password });
    const first = await login(a.url, username);
    const second = (await post(`${a.url}/auth/refresh`, { refreshToken: first.refreshToken }))
      .body as unknown as TokenPair;
    const third = (await post(`${b.url}/auth/refresh`, { refreshToken: second.refreshToken }))
      .body as unknown as TokenPair;
    expect((await get(`${a.url}/auth/me`, bearer(third.accessToken))).status).toBe(200);

    // The attacker replays the stolen first token on the other node.
    const reuse = await post(`${b.url}/auth/refresh`, { refreshToken: first.refreshToken });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe('UNAUTHORIZED');

    // The legitimate holder's newest tokens die too: the family is revoked.
    expect((await get(`${a.url}/auth/me`, bearer(third.accessToken))).status).toBe(401);
    const legit = await post(`${a.url}/auth/refresh`, { refreshToken: third.refreshToken });
    expect(legit.status).toBe(401);
    // Another session of the same user is untouched.
    const other = await login(b.url, username);
    expect((await get(`${a.url}/auth/me`, bearer(other.accessToken))).status).toBe(200);
  });

  it('two concurrent refreshes with one token: at most one wins and the family is revoked', async () => {
    const username = newName();
    await post(`${a.url}/auth/register`, { username, password });
    const pair = await login(a.url, username);
    const results = await Promise.all([
      post(`${a.url}/auth/refresh`, { refreshToken: pair.refreshToken }),
      post(`${b.url}/auth/refresh`, { refreshToken: pair.refreshToken }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(1);
    expect(statuses).toContain(401);
    const winner = results.find((r) => r.status === 200)?.body as unknown as TokenPair | undefined;
    if (winner) {
      expect((await get(`${a.url}/auth/me`, bearer(winner.accessToken))).status).toBe(401);
    }
  });

  it('an unknown refresh token is 401 and malformed input is 400 VALIDATION', async () => {
    const unknown = await post(`${a.url}/auth/refresh`, { refreshToken: 'x'.repeat(43) });
    expect(unknown.status).toBe(401);
    const bad = await post(`${a.url}/auth/refresh`, { refreshToken: 42 });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('VALIDATION');
  });
});

describe('login does not reveal which accounts exist', () => {
  it('no-such-user and wrong password give the same status and body', async () => {
    const username = newName();
    await post(`${a.url}/auth/register`, { username, password });
    const wrong = await post(`${a.url}/auth/login`, { username, password: 'wrong password!!' });
    const missing = await post(`${a.url}/auth/login`, { username: newName(), password });
    expect(wrong.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual(wrong.body);
  });
});

describe('bad input never crashes', () => {
  it.each([
    ['not JSON', '{"username":', 'VALIDATION', 400],
    ['an array', '[]', 'VALIDATION', 400],
    [
      'an unknown field',
      JSON.stringify({ username: 'abcdef', password, admin: true }),
      'VALIDATION',
      400,
    ],
    [
      'a short password',
      JSON.stringify({ username: 'abcdef', password: 'short' }),
      'VALIDATION',
      400,
    ],
    ['a bad username', JSON.stringify({ username: 'a b<script>', password }), 'VALIDATION', 400],
  ])('register with %s is %s', async (_name, body, code, status) => {
    const res = await fetch(`${a.url}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const json = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(status);
    expect(json.code).toBe(code);
    expect(JSON.stringify(json)).not.toMatch(/\s+at /);
  });
});
