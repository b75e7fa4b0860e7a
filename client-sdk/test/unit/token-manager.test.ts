import { describe, expect, it } from 'vitest';
import { ParleyError } from '../../src/errors';
import { decodeJwtPayload, jwtExpiresAt, TokenManager } from '../../src/token-manager';

/** An unsigned JWT-shaped token: the SDK decodes, never verifies. */
function fakeJwt(claims: Record<string, unknown>): string {
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${enc({ alg: 'ES256', typ: 'JWT' })}.${enc(claims)}.sig`;
}

function pair(n: number, exp = Math.floor(Date.now() / 1000) + 600) {
  return {
    accessToken: fakeJwt({ sub: 'u1', exp, iat: exp - 600, n }),
    accessTokenExpiresAt: new Date(exp * 1000).toISOString(),
    refreshToken: `refresh-${n}`,
    refreshTokenExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    user: { id: 'u1', username: 'ann', roles: ['user'], createdAt: new Date().toISOString() },
  };
}

function fakeFetch(handler: (path: string, body: Record<string, unknown>) => [number, unknown]) {
  const calls: { path: string; body: Record<string, unknown> }[] = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    calls.push({ path, body });
    const [status, json] = handler(path, body);
    return new Response(JSON.stringify(json), { status });
  };
  return { fetch, calls };
}

const credentials = { username: 'ann', password: 'correct horse battery' };

describe('TokenManager', () => {
  it('decodes exp without verifying (base64url, UTF-8)', () => {
    const token = fakeJwt({ exp: 1_900_000_000, name: 'Zoë ✓' });
    expect(jwtExpiresAt(token)).toBe(1_900_000_000_000);
    expect(decodeJwtPayload(token)?.name).toBe('Zoë ✓');
    expect(jwtExpiresAt('not-a-jwt')).toBeUndefined();
  });

  it('logs in once and reuses the token while it is fresh', async () => {
    let n = 0;
    const { fetch, calls } = fakeFetch(() => [200, pair(++n)]);
    const tokens = new TokenManager({
      source: { kind: 'credentials', credentials },
      restUrls: () => ['http://a.test'],
      fetch,
    });
    const first = await tokens.getToken();
    expect(await tokens.getToken()).toBe(first);
    expect(calls.map((c) => c.path)).toEqual(['/auth/login']);
    expect(tokens.user?.username).toBe('ann');
  });

  it('refreshes with the rotating refresh token, one renewal for concurrent callers', async () => {
    let n = 0;
    const { fetch, calls } = fakeFetch(() => [200, pair(++n)]);
    const tokens = new TokenManager({
      source: { kind: 'credentials', credentials },
      restUrls: () => ['http://a.test'],
      fetch,
    });
    await tokens.getToken();
    const [a, b] = await Promise.all([tokens.renew(), tokens.renew()]);
    expect(a).toBe(b);
    expect(calls).toEqual([
      { path: '/auth/login', body: credentials },
      { path: '/auth/refresh', body: { refreshToken: 'refresh-1' } },
    ]);
  });

  it('falls back to login when the refresh token is refused', async () => {
    let n = 0;
    const { fetch, calls } = fakeFetch((path) =>
      path === '/auth/refresh'
        ? [401, { code: 'UNAUTHORIZED', message: 'expired', retryable: false }]
        : [200, pair(++n)],
    );
    const tokens = new TokenManager({
      source: { kind: 'credentials', credentials },
      restUrls: () => ['http://a.test'],
      fetch,
    });
    await tokens.getToken();
    await tokens.renew();
    expect(calls.map((c) => c.path)).toEqual(['/auth/login', '/auth/refresh', '/auth/login']);
  });

  it('rejects bad credentials with a typed, non-retryable error', async () => {
    const { fetch } = fakeFetch(() => [
      401,
      { code: 'UNAUTHORIZED', message: 'invalid username or password', retryable: false },
    ]);
    const tokens = new TokenManager({
      source: { kind: 'credentials', credentials },
      restUrls: () => ['http://a.test'],
      fetch,
    });
    const error = await tokens.getToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParleyError);
    expect(error).toMatchObject({ code: 'UNAUTHORIZED', retryable: false });
  });

  it('tries the next URL when a node is unreachable or unavailable', async () => {
    const tried: string[] = [];
    const fetch: typeof globalThis.fetch = async (input) => {
      const url = new URL(String(input));
      tried.push(url.host);
      if (url.host === 'down.test') throw new TypeError('fetch failed');
      if (url.host === 'draining.test')
        return new Response(JSON.stringify({ code: 'UNAVAILABLE', message: 'x' }), { status: 503 });
      return new Response(JSON.stringify(pair(1)), { status: 200 });
    };
    const tokens = new TokenManager({
      source: { kind: 'credentials', credentials },
      restUrls: () => ['http://down.test', 'http://draining.test', 'http://up.test'],
      fetch,
    });
    await tokens.getToken();
    expect(tried).toEqual(['down.test', 'draining.test', 'up.test']);
  });

  it('asks a token provider on every connect', async () => {
    let n = 0;
    const tokens = new TokenManager({
      source: { kind: 'token', provider: async () => `token-${++n}` },
      restUrls: () => [],
    });
    expect(await tokens.getToken()).toBe('token-1');
    expect(await tokens.getToken()).toBe('token-2');
    expect(tokens.canRenew).toBe(true);
    const fixed = new TokenManager({
      source: { kind: 'token', provider: 'abc' },
      restUrls: () => [],
    });
    expect(fixed.canRenew).toBe(false);
  });
});
