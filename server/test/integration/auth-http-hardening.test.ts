import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, signUp } from '../helpers/http-client';
import { connectSocket, expectHandshakeRefused } from '../helpers/handshake-client';
import { createTestCluster, type TestNode } from '../helpers/start-node';

const allowed = 'https://chat.example';
const cluster = createTestCluster({ CORS_ORIGINS: `${allowed},https://admin.example` });
let node: TestNode;
let token: string;

beforeAll(async () => {
  node = await cluster.startNode({ MAX_HTTP_BODY_BYTES: '8192' });
  token = (await signUp(node.url)).accessToken;
});
afterAll(() => cluster.stopAll());

describe('origin allowlist', () => {
  it('REST: an allowed Origin gets the CORS allow header, a foreign one does not', async () => {
    const ok = await fetch(`${node.url}/healthz`, { headers: { origin: allowed } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(allowed);
    const evil = await fetch(`${node.url}/healthz`, {
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('REST: a preflight from a foreign origin is not granted', async () => {
    const preflight = await fetch(`${node.url}/auth/login`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('socket: a foreign Origin is refused even with a valid token; allowed and absent pass', async () => {
    const refusal = await expectHandshakeRefused(
      node.url,
      { token },
      { origin: 'https://evil.example' },
    );
    expect(refusal.data?.code).toBe('FORBIDDEN');
    const fine = await connectSocket(node.url, token, { origin: allowed });
    fine.close();
    // No Origin: not a browser, so CORS does not apply (the token still must be valid).
    const cli = await connectSocket(node.url, token);
    cli.close();
  });
});

describe('HTTP hardening', () => {
  it('helmet sets its security headers', async () => {
    const res = await fetch(`${node.url}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('an oversized body is 413 PAYLOAD_TOO_LARGE, not a crash', async () => {
    const res = await post(`${node.url}/auth/login`, {
      username: 'someone',
      password: 'x'.repeat(10_000),
    });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(JSON.stringify(res.body)).not.toMatch(/\s+at /);
  });
});
