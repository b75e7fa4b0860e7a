import { createAuthService } from '../../src/auth/auth-service';
import { createLoginThrottle } from '../../src/auth/login-throttle';
import { createPasswordHasher, type PasswordHasher } from '../../src/auth/password-hasher';
import { createTokenService } from '../../src/auth/token-service';
import { createEmbeddedEngine } from '../../src/cluster/embedded-engine';
import { loadConfig } from '../../src/config/load-config';
import { createLogger } from '../../src/observability/logger';
import type { Stores } from '../../src/storage/types';

/**
 * An auth service without HTTP or sockets, over stores the caller owns: two harnesses
 * over one memory store behave like two nodes configured differently.
 */
export function authServiceOver(
  stores: Stores,
  env: Record<string, string> = {},
  wrapHasher: (hasher: PasswordHasher) => PasswordHasher = (h) => h,
) {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const hasher = wrapHasher(createPasswordHasher(config.argon2));
  const tokens = createTokenService(config.jwt, { allowEphemeralKey: true });
  const ended: string[] = [];
  const service = createAuthService({
    config,
    logger: createLogger(config),
    stores,
    hasher,
    tokens,
    throttle: createLoginThrottle(createEmbeddedEngine(), config.limits),
    endSession: (sessionId) => ended.push(sessionId),
  });
  return { service, config, hasher, tokens, ended };
}
