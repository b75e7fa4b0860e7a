import type { Server } from 'socket.io';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { SendBinding, SendKey } from '../ports/send-binding';
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
  sequences: RoomSequences;
  sendBindings: SendBindings;
  /** Which users are online on which live nodes (see presence/presence-registry.ts). */
  presence: PresenceRegistry;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** Per-room positions as the send path hands them out (see SendBindings.bind). */
export interface RoomSequences {
  /**
   * The highest seq at or below which every handed-out seq is settled, so history up to it
   * is final: a seq missing there is a hole, not a write still on its way — except a write
   * whose outcome was uncertain and that lands after the settle timeout (a `late`
   * message, see docs/protocol.md). Writes finish out of allocation order, which is why
   * history's highest seq alone cannot say that. undefined when the counter is unknown
   * (e.g. just lost with Redis).
   */
  stableSeq(roomId: string): Promise<number | undefined>;
}

/** What one bind call found or decided (one round trip to the binding store). */
export type BindOutcome =
  /** A fresh seq, now bound to the proposal: this attempt writes it. */
  | { state: 'new'; binding: SendBinding }
  /** An earlier attempt decided the binding; `stored` once one of them landed. */
  | { state: 'existing'; binding: SendBinding; stored: boolean }
  /**
   * The counter was just re-seeded (the store lost its state) and this retry's binding is
   * gone with it: an older attempt's batch may still be replayed from Cassandra's
   * batchlog, so no new binding is decided for a retry until the quiet period is over.
   */
  | { state: 'reseeded-recently'; retryAfterMs: number };

/**
 * Send bindings: the fast, lossy first line of send idempotency (Redis in a cluster).
 * Each call is one atomic step; Cassandra's dedupe row is the durable record.
 */
export interface SendBindings {
  /**
   * The binding of `key`, or a new seq bound to `proposal` (claim, INCR, mark the seq
   * unsettled and store the binding in one step). `retry` says the sender may have sent
   * this before. `seed` returns the latest stored seq when the room's counter is missing.
   */
  bind(
    key: SendKey,
    proposal: Omit<SendBinding, 'seq'>,
    retry: boolean,
    seed: () => Promise<number>,
  ): Promise<BindOutcome>;
  /** The write landed: the binding is stored and its seq settled. `late`: settled before. */
  markStored(key: SendKey, binding: SendBinding): Promise<{ late: boolean }>;
  /** The write certainly did not happen: forget the binding and settle its seq as a hole. */
  release(key: SendKey, binding: SendBinding): Promise<void>;
  /**
   * Replace our fresh binding with one decided durably earlier (found in Cassandra after
   * this store lost it); our own seq becomes a hole. `stored`: its message is readable.
   */
  adopt(key: SendKey, ours: SendBinding, decided: SendBinding, stored: boolean): Promise<void>;
}

/** Timings of the send path; see docs/architecture.md ("The send path"). */
export interface SendTimings {
  /** How long a binding (and so retry dedupe without Cassandra) lives. */
  dedupeWindowSeconds: number;
  /** A seq unsettled this long is settled anyway (its write is then `late` if it lands). */
  settleTimeoutMs: number;
  /** After a counter re-seed, retries without a binding wait this long (batchlog replay). */
  reseedQuietMs: number;
}

export const SEND_TIMING_DEFAULTS: SendTimings = {
  dedupeWindowSeconds: 600,
  settleTimeoutMs: 30_000,
  reseedQuietMs: 20_000,
};

/**
 * After Redis lost a counter, restart it this far above the highest stored seq, so a
 * send that had already taken a seq from the old counter but not yet written it
 * cannot collide with a new one. Clients see a hole, which history resolves.
 */
export const RESEED_GAP = 1_000;
