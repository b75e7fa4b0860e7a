import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from '@parley/contract';
import type { Config } from '../config/load-config';
import { AppError } from '../errors';

export interface AccessClaims {
  sub: string;
  username: string;
  roles: Role[];
  /** Session = refresh-token family; logout revokes it. */
  sid: string;
  jti: string;
  exp: number;
}

/** Tokens longer than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 4096;
const ALGORITHM = 'ES256' as const;
// sub and sid become Cassandra uuid keys; anything else must fail as UNAUTHORIZED, not as a driver error.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TokenService {
  issueAccessToken(
    user: { id: string; username: string; roles: Role[] },
    sessionId: string,
  ): {
    token: string;
    expiresAt: Date;
  };
  verifyAccessToken(token: unknown): AccessClaims;
  newRefreshToken(): { token: string; hash: string };
  hashRefreshToken(token: string): string;
  /** Public keys by kid, for a JWKS endpoint or other verifiers. */
  publicKeys(): Record<string, string>;
}

/**
 * ES256 only, pinned on verify; `kid` selects the verification key so a new key can
 * sign while tokens from the previous one stay valid until they expire.
 */
export function createTokenService(
  config: Config['jwt'],
  opts: { allowEphemeralKey: boolean },
): TokenService {
  const privateKey = config.privateKeyPem
    ? createPrivateKey(config.privateKeyPem)
    : opts.allowEphemeralKey
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : undefined;
  if (!privateKey) throw new Error('JWT_PRIVATE_KEY is required');
  const verifyKeys = new Map<string, ReturnType<typeof createPublicKey>>();
  for (const [kid, pem] of Object.entries(config.previousPublicKeys))
    verifyKeys.set(kid, createPublicKey(pem));
  verifyKeys.set(config.keyId, createPublicKey(privateKey));

  return {
    issueAccessToken(user, sessionId) {
      const expiresAt = new Date((Math.floor(Date.now() / 1000) + config.accessTtlSeconds) * 1000);
      const token = jwt.sign(
        { username: user.username, roles: user.roles, sid: sessionId },
        privateKey,
        {
          algorithm: ALGORITHM,
          keyid: config.keyId,
          issuer: config.issuer,
          audience: config.audience,
          subject: user.id,
          jwtid: randomUUID(),
          expiresIn: config.accessTtlSeconds,
        },
      );
      return { token, expiresAt };
    },
    verifyAccessToken(token) {
      if (typeof token !== 'string' || token.length === 0)
        throw unauthorized('missing access token');
      if (token.length > MAX_TOKEN_LENGTH) throw unauthorized('access token too long');
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.payload === 'string')
        throw unauthorized('malformed access token');
      const kid = decoded.header.kid;
      // No kid, no key: we never guess which key to try, so a token cannot pick a weak one.
      const key = typeof kid === 'string' ? verifyKeys.get(kid) : undefined;
      if (!key) throw unauthorized('unknown signing key');
      let payload: jwt.JwtPayload | string;
      try {
        payload = jwt.verify(token, key, {
          algorithms: [ALGORITHM],
          issuer: config.issuer,
          audience: config.audience,
          clockTolerance: 5,
        });
      } catch (err) {
        const reason =
          err instanceof jwt.TokenExpiredError
            ? 'access token expired'
            : err instanceof jwt.NotBeforeError
              ? 'access token not yet valid'
              : 'invalid access token';
        throw unauthorized(reason);
      }
      if (typeof payload === 'string') throw unauthorized('invalid access token');
      const { sub, username, roles, sid, jti, exp } = payload as Record<string, unknown>;
      if (
        typeof sub !== 'string' ||
        !UUID.test(sub) ||
        typeof username !== 'string' ||
        typeof sid !== 'string' ||
        !UUID.test(sid) ||
        typeof jti !== 'string' ||
        typeof exp !== 'number' ||
        !Array.isArray(roles) ||
        !roles.every((r) => r === 'user' || r === 'admin')
      ) {
        throw unauthorized('access token lacks required claims');
      }
      return { sub, username, roles: roles as Role[], sid, jti, exp };
    },
    newRefreshToken() {
      const token = randomBytes(32).toString('base64url');
      return { token, hash: hashToken(token) };
    },
    hashRefreshToken: hashToken,
    publicKeys() {
      return Object.fromEntries(
        [...verifyKeys].map(([kid, key]) => [
          kid,
          key.export({ type: 'spki', format: 'pem' }).toString(),
        ]),
      );
    },
  };
}

// Refresh tokens are 256 random bits: a fast hash is enough (no dictionary to guess from).
function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function unauthorized(message: string) {
  return new AppError('UNAUTHORIZED', message);
}
