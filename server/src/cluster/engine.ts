import type { Server } from 'socket.io';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Message } from '@parley/contract';

/**
 * What differs between one embedded node and a Redis-backed cluster: how nodes
 * share fan-out, counters, rate limits and the short-lived dedupe cache.
 */
export interface Engine {
  kind: 'embedded' | 'cluster';
  /** Installs the Socket.IO adapter and reports pub/sub outages to `onResync`. */
  attach(io: Server, onResync: (reason: string) => void): void;
  createRateLimiter(options: {
    keyPrefix: string;
    points: number;
    durationSeconds: number;
  }): RateLimiterAbstract;
  sequences: SequenceAllocator;
  sendClaims: SendClaims;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface SequenceAllocator {
  /**
   * Next position in the room. `seed` is called when the counter is missing (first
   * use, or the counter store lost it) and returns the latest stored seq.
   */
  next(roomId: string, seed: () => Promise<number>): Promise<number>;
}

export type ClaimResult =
  { state: 'new' } | { state: 'done'; message: Message } | { state: 'in-flight' };

/** A fast, lossy first line of send idempotency; Cassandra's dedupe table is the truth. */
export interface SendClaims {
  claim(key: string): Promise<ClaimResult>;
  complete(key: string, message: Message): Promise<void>;
  release(key: string): Promise<void>;
}

/**
 * After Redis lost a counter, restart it this far above the highest stored seq, so a
 * send that had already taken a seq from the old counter but not yet written it
 * cannot collide with a new one. Clients see a hole, which history resolves.
 */
export const RESEED_GAP = 1_000;
export const CLAIM_IN_FLIGHT_SECONDS = 30;
export const CLAIM_DONE_SECONDS = 600;
