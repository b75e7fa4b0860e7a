import type { Server } from 'socket.io';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Message } from '@parley/contract';
import type { PresenceRegistry } from '../presence/presence-registry';

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
  /** Which users are online on which live nodes (see presence/presence-registry.ts). */
  presence: PresenceRegistry;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface SequenceAllocator {
  /**
   * Next position in the room. `seed` is called when the counter is missing (first
   * use, or the counter store lost it) and returns the latest stored seq.
   */
  next(roomId: string, seed: () => Promise<number>): Promise<number>;
  /** The seq's write finished (stored, or failed for good): it no longer holds back stableSeq. */
  settle(roomId: string, seq: number): Promise<void>;
  /**
   * The highest seq at or below which every handed-out seq is settled, so history up to it
   * is final: a seq missing there is a hole, not a write still on its way. Writes finish out
   * of allocation order, which is why history's highest seq alone cannot say that.
   * undefined when the counter is unknown (e.g. just lost with Redis).
   */
  stableSeq(roomId: string): Promise<number | undefined>;
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
/**
 * How long a send stays "in flight" for retries of the same clientMsgId. Longer than a
 * Cassandra write can take (driver read timeout 12 s), short enough that a retry after a
 * node crash mid-send is not stuck for long.
 */
export const CLAIM_IN_FLIGHT_SECONDS = 15;
export const CLAIM_DONE_SECONDS = 600;
/** A seq still unsettled after this long belonged to a node that died mid-write. */
export const IN_FLIGHT_SEQ_MAX_AGE_MS = CLAIM_IN_FLIGHT_SECONDS * 1000;
