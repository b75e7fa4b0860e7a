import { randomUUID, generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { createTokenService, MAX_TOKEN_LENGTH } from '../../src/auth/token-service';
import { loadConfig } from '../../src/config/load-config';

const pem = () =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
const jwtConfig = (env: Record<string, string>) =>
  loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env }).jwt;
const user = { id: randomUUID(), username: 'alice', roles: ['user' as const] };

describe('token service', () => {
  it('issues ES256 tokens with kid, iss, aud, sub, jti, exp, roles and session id', () => {
    const tokens = createTokenService(jwtConfig({ JWT_PRIVATE_KEY: pem() }), {
      allowEphemeralKey: false,
    });
    const sid = randomUUID();
    const { token, expiresAt } = tokens.issueAccessToken(user, sid);
    const decoded = jwt.decode(token, { complete: true });
    expect(decoded?.header).toMatchObject({ alg: 'ES256', kid: 'k1' });
    expect(decoded?.payload).toMatchObject({
      iss: 'parley',
      aud: 'parley-clients',
      sub: user.id,
      sid,
      roles: ['user'],
    });
    const claims = tokens.verifyAccessToken(token);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.exp * 1000).toBe(expiresAt.getTime());
  });

  it('rotation: tokens from the previous key verify by kid until that key is dropped', () => {
    const oldKey = pem();
    const oldTokens = createTokenService(jwtConfig({ JWT_PRIVATE_KEY: oldKey, JWT_KEY_ID: 'k1' }), {
      allowEphemeralKey: false,
    });
    const oldToken = oldTokens.issueAccessToken(user, randomUUID()).token;
    const oldPublic = oldTokens.publicKeys().k1 ?? '';

    const rotated = createTokenService(
      jwtConfig({
        JWT_PRIVATE_KEY: pem(),
        JWT_KEY_ID: 'k2',
        JWT_PREVIOUS_PUBLIC_KEYS: JSON.stringify({ k1: oldPublic }),
      }),
      { allowEphemeralKey: false },
    );
    expect(rotated.verifyAccessToken(oldToken).sub).toBe(user.id);
    const newToken = rotated.issueAccessToken(user, randomUUID()).token;
    expect(jwt.decode(newToken, { complete: true })?.header.kid).toBe('k2');

    const dropped = createTokenService(jwtConfig({ JWT_PRIVATE_KEY: pem(), JWT_KEY_ID: 'k3' }), {
      allowEphemeralKey: false,
    });
    expect(() => dropped.verifyAccessToken(oldToken)).toThrow(/unknown signing key/);
  });

  it('refuses to start without a key unless an ephemeral one is allowed', () => {
    expect(() => createTokenService(jwtConfig({}), { allowEphemeralKey: false })).toThrow(
      /JWT_PRIVATE_KEY/,
    );
    expect(() => createTokenService(jwtConfig({}), { allowEphemeralKey: true })).not.toThrow();
  });

  it('refresh tokens carry 256 random bits and only their SHA-256 is meant to be stored', () => {
    const tokens = createTokenService(jwtConfig({}), { allowEphemeralKey: true });
    const a = tokens.newRefreshToken();
    const b = tokens.newRefreshToken();
    expect(Buffer.from(a.token, 'base64url')).toHaveLength(32);
    expect(a.token).not.toBe(b.token);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).not.toContain(a.token);
    expect(tokens.hashRefreshToken(a.token)).toBe(a.hash);
  });

  it.each([undefined, null, 42, {}, '', 'x'.repeat(MAX_TOKEN_LENGTH + 1)])(
    'rejects %s as UNAUTHORIZED without parsing it',
    (input) => {
      const tokens = createTokenService(jwtConfig({}), { allowEphemeralKey: true });
      expect(() => tokens.verifyAccessToken(input)).toThrow(
        expect.objectContaining({ code: 'UNAUTHORIZED' }),
      );
    },
  );
});
