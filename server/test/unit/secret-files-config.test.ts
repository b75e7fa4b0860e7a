import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config';

describe('secrets from files (NAME_FILE, as Docker and Kubernetes mount them)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-secrets-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();

  it('reads the signing key and the Redis URL from files', () => {
    writeFileSync(path.join(dir, 'jwt.pem'), pem);
    writeFileSync(path.join(dir, 'redis'), 'redis://cache:6379\n');
    const config = loadConfig({
      JWT_PRIVATE_KEY_FILE: path.join(dir, 'jwt.pem'),
      REDIS_URL_FILE: path.join(dir, 'redis'),
      CASSANDRA_CONTACT_POINTS: 'db',
    });
    expect(config.jwt.privateKeyPem).toBe(pem.trimEnd());
    expect(config.redis?.url).toBe('redis://cache:6379');
  });

  it('names a file it cannot read', () => {
    expect(() => loadConfig({ JWT_PRIVATE_KEY_FILE: path.join(dir, 'missing.pem') })).toThrow(
      /JWT_PRIVATE_KEY_FILE: cannot read/,
    );
  });
});
