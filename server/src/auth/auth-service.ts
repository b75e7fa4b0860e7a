import { randomUUID } from 'node:crypto';
import type { PublicUser, Role, TokenPair } from '@parley/contract';
import type { Config } from '../config/load-config';
import { AppError } from '../errors';
import type { Logger } from '../observability/logger';
import type { Stores, UserRecord } from '../storage/types';
import type { LoginThrottle } from './login-throttle';
import type { PasswordHasher } from './password-hasher';
import type { AccessClaims, TokenService } from './token-service';

export interface AuthServiceDeps {
  config: Config;
  logger: Logger;
  stores: Stores;
  hasher: PasswordHasher;
  tokens: TokenService;
  throttle: LoginThrottle;
  /** Disconnects every socket of a session on every node. */
  endSession(sessionId: string): void;
}

const invalidCredentials = () => new AppError('UNAUTHORIZED', 'invalid username or password');

export function createAuthService(deps: AuthServiceDeps) {
  const { stores, hasher, tokens, throttle, config } = deps;

  async function issuePair(user: UserRecord, familyId: string): Promise<TokenPair> {
    const access = tokens.issueAccessToken(user, familyId);
    const refresh = tokens.newRefreshToken();
    const refreshExpiresAt = new Date(Date.now() + config.jwt.refreshTtlSeconds * 1000);
    await stores.tokens.saveRefreshToken({
      tokenHash: refresh.hash,
      familyId,
      userId: user.id,
      expiresAt: refreshExpiresAt,
    });
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt.toISOString(),
      refreshToken: refresh.token,
      refreshTokenExpiresAt: refreshExpiresAt.toISOString(),
      user: toPublicUser(user),
    };
  }

  async function revokeSession(familyId: string, userId: string) {
    await stores.tokens.revokeTokenFamily(familyId, userId, new Date());
    deps.endSession(familyId);
  }

  return {
    async register(
      username: string,
      password: string,
      ip: string,
      roles: Role[] = ['user'],
    ): Promise<PublicUser> {
      await throttle.beforeAttempt(ip);
      const user: UserRecord = {
        id: randomUUID(),
        username,
        passwordHash: await hasher.hash(password),
        roles,
        createdAt: new Date(),
      };
      if ((await stores.users.createUser(user)) === 'username_taken') {
        throw new AppError('CONFLICT', 'username is taken');
      }
      return toPublicUser(user);
    },

    async login(username: string, password: string, ip: string): Promise<TokenPair> {
      await throttle.beforeAttempt(ip, username);
      const user = await stores.users.findUserByUsername(username);
      if (!user) {
        await hasher.burnEquivalentTime(password);
        await throttle.recordFailure(username);
        throw invalidCredentials();
      }
      if (!(await hasher.verify(user.passwordHash, password))) {
        await throttle.recordFailure(username);
        throw invalidCredentials();
      }
      // Checked after the password so a ban does not reveal that an account exists.
      if (user.bannedAt) throw new AppError('FORBIDDEN', 'account is banned');
      await throttle.recordSuccess(username);
      if (hasher.needsRehash(user.passwordHash)) {
        // The only moment we hold the plaintext: upgrade the hash to the configured parameters.
        // A failed upgrade must not fail a login that was correct; the next login retries it.
        await hasher
          .hash(password)
          .then((upgraded) => stores.users.updatePasswordHash(user.id, upgraded))
          .catch((err: unknown) =>
            deps.logger.warn({ err, userId: user.id }, 'password rehash failed'),
          );
      }
      return issuePair(user, randomUUID());
    },

    async refresh(refreshToken: string): Promise<TokenPair> {
      const hash = tokens.hashRefreshToken(refreshToken);
      const record = await stores.tokens.findRefreshToken(hash);
      if (!record || record.expiresAt.getTime() <= Date.now()) {
        throw new AppError('UNAUTHORIZED', 'refresh token is invalid or expired');
      }
      if (await stores.tokens.isTokenFamilyRevoked(record.familyId)) {
        throw new AppError('UNAUTHORIZED', 'session was revoked');
      }
      if (record.rotatedAt || !(await stores.tokens.claimRefreshTokenRotation(hash, new Date()))) {
        // RFC 9700 reuse detection: a rotated token came back, so it leaked. End the session.
        deps.logger.warn(
          { userId: record.userId, familyId: record.familyId },
          'refresh token reuse: session revoked',
        );
        await revokeSession(record.familyId, record.userId);
        throw new AppError('UNAUTHORIZED', 'refresh token was already used; session revoked');
      }
      const user = await stores.users.findUserById(record.userId);
      if (!user) throw new AppError('UNAUTHORIZED', 'account no longer exists');
      if (user.bannedAt) {
        await revokeSession(record.familyId, record.userId);
        throw new AppError('FORBIDDEN', 'account is banned');
      }
      return issuePair(user, record.familyId);
    },

    /** Revokes the session; accepts the refresh token, the access token's session, or both. */
    async logout(session: { refreshToken?: string; claims?: AccessClaims }): Promise<void> {
      if (session.refreshToken) {
        const record = await stores.tokens.findRefreshToken(
          tokens.hashRefreshToken(session.refreshToken),
        );
        if (record) await revokeSession(record.familyId, record.userId);
      }
      if (session.claims) await revokeSession(session.claims.sid, session.claims.sub);
    },

    /** Verifies an access token and that its session and account are still in good standing. */
    async authenticate(token: unknown): Promise<{ claims: AccessClaims; user: UserRecord }> {
      const claims = tokens.verifyAccessToken(token);
      const [user, revoked] = await Promise.all([
        stores.users.findUserById(claims.sub),
        stores.tokens.isTokenFamilyRevoked(claims.sid),
      ]);
      if (!user) throw new AppError('UNAUTHORIZED', 'account no longer exists');
      if (revoked) throw new AppError('UNAUTHORIZED', 'session was revoked');
      if (user.bannedAt) throw new AppError('FORBIDDEN', 'account is banned');
      return { claims, user };
    },
  };
}
export type AuthService = ReturnType<typeof createAuthService>;

export function toPublicUser(user: UserRecord): PublicUser {
  return {
    id: user.id,
    username: user.username,
    roles: user.roles,
    createdAt: user.createdAt.toISOString(),
  };
}
