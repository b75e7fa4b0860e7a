import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('runs the embedded engine with no settings at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ engine: 'embedded', port: 3000, env: 'development' });
    expect(config.redis).toBeUndefined();
    expect(config.argon2).toEqual({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });
  });

  it('builds a cluster config from Redis + Cassandra settings', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      CASSANDRA_CONTACT_POINTS: '10.0.0.1:9043, 10.0.0.2:9043',
      CASSANDRA_REPLICATION_FACTOR: '3',
      PORT: '0',
    });
    expect(config.engine).toBe('cluster');
    expect(config.cassandra?.contactPoints).toEqual(['10.0.0.1:9043', '10.0.0.2:9043']);
    // The port reaches the driver, so nodes learned from system.peers are dialled on it too.
    expect(config.cassandra?.port).toBe(9043);
    expect(config.cassandra?.replication.factor).toBe(3);
    expect(config.port).toBe(0);
  });

  it('runs against Redis Cluster from REDIS_CLUSTER_NODES, and refuses it with REDIS_URL too', () => {
    const config = loadConfig({
      REDIS_CLUSTER_NODES: 'redis://10.0.0.5:7000, redis://10.0.0.6:7000',
      CASSANDRA_CONTACT_POINTS: '10.0.0.1',
    });
    expect(config.engine).toBe('cluster');
    expect(config.redis).toMatchObject({
      url: 'redis://10.0.0.5:7000',
      clusterNodes: ['redis://10.0.0.5:7000', 'redis://10.0.0.6:7000'],
    });
    expect(
      problemsOf({
        REDIS_URL: 'redis://10.0.0.5:6379',
        REDIS_CLUSTER_NODES: 'redis://10.0.0.5:7000',
        CASSANDRA_CONTACT_POINTS: '10.0.0.1',
      }).join(),
    ).toMatch(/set one of them, not both/);
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'http://x:1' }).join()).toMatch(/REDIS_CLUSTER_NODES/);
  });

  it('derives the client address from trusted hops or proxies, never from every hop', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY_HOPS: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY_HOPS: '0' }).trustProxy).toBe(false);
    expect(
      loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.10, ::1, loopback' }).trustProxy,
    ).toEqual(['10.0.0.0/8', '192.0.2.10', '::1', 'loopback']);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(problemsOf({ TRUST_PROXY: 'true' }).join('\n')).toMatch(/TRUST_PROXY_HOPS/);
    expect(problemsOf({ TRUST_PROXY_HOPS: '1', TRUSTED_PROXIES: '10.0.0.1' }).join('\n')).toMatch(
      /not both/,
    );
    const bad = problemsOf({ TRUSTED_PROXIES: '10.0.0.0/33, example.com, 1.2.3.4/x' }).join('\n');
    expect(bad).toMatch(/10\.0\.0\.0\/33/);
    expect(bad).toMatch(/example\.com/);
    expect(bad).toMatch(/1\.2\.3\.4\/x/);
  });

  it('keeps /metrics off the public port unless a port or a token is configured', () => {
    expect(loadConfig({}).metrics).toEqual({ host: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '9464' }).metrics).toMatchObject({ port: 9464 });
    expect(problemsOf({ METRICS_TOKEN: 'short' }).join('\n')).toMatch(/METRICS_TOKEN/);
  });

  it('names every bad setting at once', () => {
    const problems = problemsOf({ PORT: '70000', REDIS_URL: 'http://nope', ARGON2_TIME_COST: 'x' });
    expect(problems.join('\n')).toMatch(/PORT/);
    expect(problems.join('\n')).toMatch(/REDIS_URL/);
    expect(problems.join('\n')).toMatch(/ARGON2_TIME_COST/);
  });

  it('takes the native port from contact points without one as 9042', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      CASSANDRA_CONTACT_POINTS: '10.0.0.1,10.0.0.2:9042',
    });
    expect(config.cassandra?.port).toBe(9042);
  });

  it('refuses contact points on different ports', () => {
    expect(
      problemsOf({
        REDIS_URL: 'redis://127.0.0.1:6379',
        CASSANDRA_CONTACT_POINTS: '10.0.0.1, 10.0.0.2:9043',
      }).join(),
    ).toMatch(/CASSANDRA_CONTACT_POINTS: every contact point must use the same port/);
  });

  it('accepts different ports when an address map says where to dial each node', () => {
    const config = loadConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:3221,127.0.0.1:3222',
      CASSANDRA_ADDRESS_MAP: '10.0.0.1=127.0.0.1:3221, 10.0.0.2:9042=127.0.0.1:3222',
    });
    expect(config.cassandra?.addressMap).toEqual({
      '10.0.0.1': '127.0.0.1:3221',
      '10.0.0.2:9042': '127.0.0.1:3222',
    });
    expect(
      problemsOf({
        REDIS_URL: 'redis://127.0.0.1:6379',
        CASSANDRA_CONTACT_POINTS: '10.0.0.1',
        CASSANDRA_ADDRESS_MAP: '10.0.0.1=nowhere',
      }).join(),
    ).toMatch(/CASSANDRA_ADDRESS_MAP: "10.0.0.1=nowhere" is not from=to/);
  });

  it('refuses a half-configured cluster', () => {
    expect(problemsOf({ REDIS_URL: 'redis://localhost:6379' }).join()).toMatch(
      /CASSANDRA_CONTACT_POINTS/,
    );
  });

  it('refuses production without a signing key, origins or cluster', () => {
    const problems = problemsOf({ NODE_ENV: 'production' }).join('\n');
    expect(problems).toMatch(/JWT_PRIVATE_KEY: required/);
    expect(problems).toMatch(/CORS_ORIGINS/);
  });

  it('refuses weak or wrong signing keys', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(problemsOf({ JWT_PRIVATE_KEY: String(rsa) }).join()).toMatch(/EC P-256/);
    expect(problemsOf({ JWT_PRIVATE_KEY: 'changeme' }).join()).toMatch(/not a readable PEM/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    expect(loadConfig({ JWT_PRIVATE_KEY: String(ec) }).jwt.privateKeyPem).toContain('PRIVATE KEY');
  });
});
