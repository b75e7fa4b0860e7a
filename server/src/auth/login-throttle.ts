import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Engine } from '../cluster/engine';
import type { Config } from '../config/load-config';
import { AppError } from '../errors';

/**
 * Two limits, shared by all nodes through Redis (memory in the embedded engine):
 * failed logins per account (guessing one password), and attempts per IP (spraying).
 * A success resets the account's count.
 */
export function createLoginThrottle(engine: Engine, limits: Config['limits']) {
  const perAccount = engine.createRateLimiter({
    keyPrefix: 'login-fail-account',
    points: limits.loginMaxFailuresPerAccount,
    durationSeconds: limits.loginWindowSeconds,
  });
  const perIp = engine.createRateLimiter({
    keyPrefix: 'login-ip',
    points: limits.loginMaxAttemptsPerIp,
    durationSeconds: limits.loginWindowSeconds,
  });

  return {
    /** Counts an attempt from this IP and refuses when the IP or the account is locked out. */
    async beforeAttempt(ip: string, username?: string) {
      await consumeOrThrow(perIp, ip, 'too many attempts from this address');
      if (username === undefined) return;
      const account = await perAccount.get(username.toLowerCase());
      if (account && account.consumedPoints >= limits.loginMaxFailuresPerAccount) {
        throw rateLimited('too many failed logins for this account', account.msBeforeNext);
      }
    },
    async recordFailure(username: string) {
      await perAccount.penalty(username.toLowerCase(), 1);
    },
    async recordSuccess(username: string) {
      await perAccount.delete(username.toLowerCase());
    },
  };
}
export type LoginThrottle = ReturnType<typeof createLoginThrottle>;

export async function consumeOrThrow(limiter: RateLimiterAbstract, key: string, message: string) {
  try {
    await limiter.consume(key);
  } catch (res) {
    if (res instanceof RateLimiterRes) throw rateLimited(message, res.msBeforeNext);
    // The limit store is down: fail open rather than lock every user out.
    return;
  }
}

function rateLimited(message: string, retryAfterMs: number) {
  return new AppError('RATE_LIMITED', message, {
    retryAfterMs: Math.max(1, Math.round(retryAfterMs)),
  });
}
