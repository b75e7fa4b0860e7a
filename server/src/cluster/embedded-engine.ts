import { RateLimiterMemory } from 'rate-limiter-flexible';
import { createMemoryPresence } from '../presence/memory-presence';
import type { Engine, SendTimings } from './engine';
import { SEND_TIMING_DEFAULTS } from './engine';
import { createMemorySendLedger } from './memory-send-ledger';

/** One node, everything in process: Socket.IO's default in-memory adapter. */
export function createEmbeddedEngine(sendTimings: SendTimings = SEND_TIMING_DEFAULTS): Engine {
  return {
    kind: 'embedded',
    attach: () => undefined,
    createRateLimiter: ({ keyPrefix, points, durationSeconds }) =>
      new RateLimiterMemory({ keyPrefix, points, duration: durationSeconds }),
    ...createMemorySendLedger(sendTimings),
    presence: createMemoryPresence(),
    ping: async () => true,
    close: async () => undefined,
  };
}
