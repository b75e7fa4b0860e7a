import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Message } from '@parley/contract';
import { createMemoryPresence } from '../presence/memory-presence';
import type { ClaimResult, Engine } from './engine';
import { createMemorySequences } from './memory-sequences';
import { CLAIM_DONE_SECONDS, CLAIM_IN_FLIGHT_SECONDS } from './engine';

/** One node, everything in process: Socket.IO's default in-memory adapter. */
export function createEmbeddedEngine(): Engine {
  const claims = new Map<string, { message?: Message; expiresAt: number }>();

  return {
    kind: 'embedded',
    attach: () => undefined,
    createRateLimiter: ({ keyPrefix, points, durationSeconds }) =>
      new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds }),
    sequences: createMemorySequences(),
    sendClaims: {
      async claim(key): Promise<ClaimResult> {
        const now = Date.now();
        const existing = claims.get(key);
        if (existing && existing.expiresAt > now) {
          return existing.message
            ? { state: 'done', message: existing.message }
            : { state: 'in-flight' };
        }
        claims.set(key, { expiresAt: now + CLAIM_IN_FLIGHT_SECONDS * 1000 });
        return { state: 'new' };
      },
      async complete(key, message) {
        claims.set(key, { message, expiresAt: Date.now() + CLAIM_DONE_SECONDS * 1000 });
        sweep(claims);
      },
      async release(key) {
        claims.delete(key);
      },
    },
    presence: createMemoryPresence(),
    ping: async () => true,
    close: async () => undefined,
  };
}

/** Keeps the claim map bounded without a timer. */
function sweep(claims: Map<string, { expiresAt: number }>) {
  if (claims.size < 10_000) return;
  const now = Date.now();
  for (const [key, claim] of claims) if (claim.expiresAt <= now) claims.delete(key);
}
