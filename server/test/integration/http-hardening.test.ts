import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestCluster } from '../helpers/start-node';

async function login(url: string, forwardedFor: string) {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ username: 'nobody_here', password: 'not the password' }),
  });
  await res.text();
  return res.status;
}

/** REST surfaces a hostile client probed (issue 12, defects 3 and 6; /metrics). */
describe('HTTP hardening', () => {
  const cluster = createTestCluster();
  afterAll(() => cluster.stopAll());

  it('defect 3: per-IP login limits use the address the trusted proxy saw, not a spoofed one', async () => {
    // The test plays the load balancer: it appends the client address it saw as the last
    // X-Forwarded-For entry (HAProxy `option forwardfor`); what comes before is the client's.
    const node = await cluster.startNode({ TRUST_PROXY_HOPS: '1', LOGIN_MAX_ATTEMPTS_PER_IP: '3' });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await login(node.url, `10.9.9.${i}, 203.0.113.7`));
    // Five different spoofed "client" entries, one real address: the limit holds.
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    // Another real client behind the same balancer has its own budget.
    expect(await login(node.url, '198.51.100.4')).toBe(401);
  });

  it('defect 3: TRUST_PROXY=true (trust every hop) is refused at boot', async () => {
    await expect(cluster.startNode({ TRUST_PROXY: 'true' })).rejects.toThrow(/TRUST_PROXY/);
  });

  it('defect 6: a gzip or br request body is 415 problem+json, never 500', async () => {
    const node = await cluster.startNode();
    const json = JSON.stringify({ username: 'someone', password: 'whatever pw' });
    // The fuzzer's case (plain JSON labelled compressed) and a really compressed body.
    for (const [encoding, body] of [
      ['gzip', json],
      ['br', json],
      ['gzip', gzipSync(json)],
      ['deflate', json],
    ] as const) {
      const res = await fetch(`${node.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        body,
      });
      expect(res.status).toBe(415);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
  });

  it('/metrics is not public: a separate listener, or a bearer token', async () => {
    const plain = await cluster.startNode();
    expect((await fetch(`${plain.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${plain.url}/openapi.json`)).status).toBe(200);

    const token = 'metrics-token-for-the-test-0123456789';
    const withToken = await cluster.startNode({ METRICS_TOKEN: token });
    expect((await fetch(`${withToken.url}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${withToken.url}/metrics`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toMatch(/parley_socket_connections/);

    const separate = await cluster.startNode({ METRICS_PORT: '0' });
    expect((await fetch(`${separate.url}/metrics`)).status).toBe(404);
    const metricsUrl = separate.app.metricsUrl();
    expect(metricsUrl).toBeDefined();
    expect(await (await fetch(`${metricsUrl}/metrics`)).text()).toMatch(/parley_messages_stored/);
  });
});
