import type { E2eeMessageKind, Message } from '@parley/contract';
import { type BackoffOptions, backoffDelay, sleep } from './backoff';
import { isServerErrorCode, ParleyError, toParleyError } from './errors';

/** One unsent message. `clientMsgId` is its idempotency key: every retry carries the same one. */
export interface OutboxEntry {
  clientMsgId: string;
  roomId: string;
  body: string;
  /** E2EE rooms: the MLS kind of the (base64 ciphertext) body. */
  kind?: E2eeMessageKind;
  /** Epoch ms when the app sent it; restored entries resend oldest first. */
  createdAt: number;
  /** Epoch ms after which the send gives up (DEADLINE_EXCEEDED); absent: no deadline. */
  deadlineAt?: number;
}

/**
 * Where unsent messages wait. The default keeps them in memory; a browser app can keep them
 * across reloads with `WebStorageOutboxStorage(localStorage)`. Methods may be sync or async.
 */
export interface OutboxStorage {
  load(): OutboxEntry[] | Promise<OutboxEntry[]>;
  put(entry: OutboxEntry): void | Promise<void>;
  remove(clientMsgId: string): void | Promise<void>;
}

export class MemoryOutboxStorage implements OutboxStorage {
  private readonly entries = new Map<string, OutboxEntry>();
  load(): OutboxEntry[] {
    return [...this.entries.values()];
  }
  put(entry: OutboxEntry): void {
    this.entries.set(entry.clientMsgId, entry);
  }
  remove(clientMsgId: string): void {
    this.entries.delete(clientMsgId);
  }
}

/** The part of the Web Storage API we need: `localStorage`, `sessionStorage` or a lookalike. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Keeps the outbox as one JSON array under `key`: small, and one write per change. */
export class WebStorageOutboxStorage implements OutboxStorage {
  constructor(
    private readonly storage: StorageLike,
    private readonly key = 'parley:outbox',
  ) {}
  load(): OutboxEntry[] {
    const raw = this.storage.getItem(this.key);
    if (!raw) return [];
    try {
      const parsed: unknown = JSON.parse(raw);
      return Array.isArray(parsed) ? parsed.filter(isOutboxEntry) : [];
    } catch {
      // Corrupt data must not stop the app from starting; what was there is unrecoverable.
      return [];
    }
  }
  put(entry: OutboxEntry): void {
    const rest = this.load().filter((e) => e.clientMsgId !== entry.clientMsgId);
    this.storage.setItem(this.key, JSON.stringify([...rest, entry]));
  }
  remove(clientMsgId: string): void {
    const rest = this.load().filter((e) => e.clientMsgId !== clientMsgId);
    if (rest.length === 0) this.storage.removeItem(this.key);
    else this.storage.setItem(this.key, JSON.stringify(rest));
  }
}

function isOutboxEntry(value: unknown): value is OutboxEntry {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.clientMsgId === 'string' &&
    typeof v.roomId === 'string' &&
    typeof v.body === 'string' &&
    (v.kind === undefined || typeof v.kind === 'string') &&
    typeof v.createdAt === 'number' &&
    (v.deadlineAt === undefined || typeof v.deadlineAt === 'number')
  );
}

/** What the outbox needs from the connection; the client implements it over Socket.IO. */
export interface OutboxTransport {
  readonly connected: boolean;
  /**
   * One attempt: emits `message:send` at once (the outbox calls it only while `connected`,
   * and counts the call as an emit). `attempt` is 1 for the first emit of this clientMsgId,
   * 2+ for retries. Resolves with the stored message or rejects (ideally with a ParleyError).
   */
  send(entry: OutboxEntry, attempt: number, timeoutMs: number): Promise<Message>;
}

export interface OutboxOptions {
  /**
   * How long one attempt waits for the server's ack before it counts as lost and is retried
   * (on the same connection if it is still alive; the connection watchdog abandons a silent
   * node sooner). The server acks only once the message is durable, so this bounds the time
   * a slow write may take before a retry, which the server dedupes.
   * @default 5000
   */
  ackTimeoutMs?: number;
  /**
   * Overall deadline of one send, in ms from the call: past it the send rejects with
   * DEADLINE_EXCEEDED, whose `maybeStored` says whether it may have been stored anyway.
   * `send(body, { deadlineMs })` overrides it per call. Without one, a send is retried until
   * the server acks it or refuses it for good.
   * @default undefined (no deadline)
   */
  deadlineMs?: number;
  /** Delays between attempts. */
  backoff?: BackoffOptions;
  /**
   * Attempts before giving up on a retryable failure. Sends are retried until acked by default.
   * @default Infinity
   */
  maxAttempts?: number;
  /**
   * Where unsent messages wait.
   * @default new MemoryOutboxStorage()
   */
  storage?: OutboxStorage;
}

/** Per-call options of a send. */
export interface SendOptions {
  /**
   * The idempotency key. Pass the one from a `maybeStored` error to resend that message:
   * the server returns the original if it was stored and stores it once if not.
   * @default a fresh UUID
   */
  clientMsgId?: string;
  /**
   * Overrides `outbox.deadlineMs` for this send.
   * @default the outbox's `deadlineMs`
   */
  deadlineMs?: number;
  /**
   * The clientMsgId may have been emitted before by another client instance or an earlier
   * session (ids this client emitted itself are known and need no flag): its first emit is
   * then marked as a retry, so the server takes its safe path.
   * @default false
   */
  resend?: boolean;
  /**
   * E2EE rooms only (set by the SDK's E2EE session, not by apps): the MLS kind of a base64
   * ciphertext body.
   * @default none (a plaintext message)
   */
  kind?: E2eeMessageKind;
}

/** A stored message as a send resolves it: the message plus how many emits it took. */
export type SentMessage = Message & {
  /** `message:send` emits it took; more than 1 means it was retried. */
  attempts: number;
};

/** Send counters for one room, for observability. */
export interface SendStats {
  /** Sends acked by the server. */
  acked: number;
  /** Sends given up (refused, deadline, closed). */
  failed: number;
  /** Of the failed ones, those that may have been stored anyway. */
  failedMaybeStored: number;
  /** `message:send` emits, first attempts and retries together. */
  attempts: number;
  /** Emits beyond each send's first. */
  retries: number;
}

export interface OutboxHooks {
  onSent?(entry: OutboxEntry, message: Message, attempts: number): void;
  onFailed?(entry: OutboxEntry, error: ParleyError): void;
  /** Jitter source, replaceable in tests. */
  random?: () => number;
  newId?: () => string;
}

interface QueuedSend {
  entry: OutboxEntry;
  /** Emits so far. A restored entry starts at 1: an earlier session may have emitted it. */
  emits: number;
  attempts: number;
  /** Some emitted attempt ended without telling whether it was stored, or is still out. */
  uncertain: boolean;
  inFlight: boolean;
  settled: boolean;
  /** Fires on the deadline or on close: every wait of this send ends at once. */
  readonly stop: AbortController;
  /** Clears the deadline timer. */
  done(): void;
  resolve(message: Message): void;
  reject(error: ParleyError): void;
}

/** Server answers that prove the attempt stored nothing: refused before any write. */
function ruledOutWrite(error: ParleyError): boolean {
  return isServerErrorCode(error.code) && (!error.retryable || error.code === 'RATE_LIMITED');
}

/**
 * A retryable CONFLICT means "this message is being stored by another attempt" (say, on a
 * node that died mid-write; servers before the shared send binding answered so): the retry
 * is cheap for the server and succeeds as soon as that attempt settles, so it is retried at
 * least this often instead of backing off to `maxDelayMs` and adding seconds to the ack.
 */
const CONFLICT_RETRY_MAX_DELAY_MS = 1_000;

/** Enough for any resend an app makes in one session; bounds memory on very long ones. */
const EMITTED_IDS_REMEMBERED = 10_000;

/**
 * Retries each send until the server acks it, across disconnects and nodes. Sends to one room
 * go one at a time, in order: if two were in flight, the second could be stored first and the
 * sender's own messages would appear out of order for everyone. A send therefore holds up the
 * later ones of its room only while it is unanswered, and every wait is bounded: an attempt
 * by `ackTimeoutMs`, a silent connection by the client's watchdog, the send by its deadline.
 */
export class Outbox {
  private readonly queues = new Map<string, QueuedSend[]>();
  private readonly storage: OutboxStorage;
  private readonly roomStats = new Map<string, SendStats>();
  /** clientMsgIds emitted by this outbox (bounded): a later send() reusing one is a retry. */
  private readonly emitted = new Set<string>();
  private connectedWaiters: (() => void)[] = [];
  private reconnect = new AbortController();
  private closed = false;

  constructor(
    private readonly transport: OutboxTransport,
    private readonly options: OutboxOptions = {},
    private readonly hooks: OutboxHooks = {},
  ) {
    this.storage = options.storage ?? new MemoryOutboxStorage();
  }

  /**
   * Queues a message; resolves with the stored message once the server has acked it.
   * `deadlineMs` overrides the outbox's `deadlineMs` for this send. `resend: true` says the
   * clientMsgId may have been emitted before, by another client instance or session.
   */
  send(roomId: string, body: string, options: SendOptions = {}): Promise<SentMessage> {
    const createdAt = Date.now();
    const deadlineMs = options.deadlineMs ?? this.options.deadlineMs;
    const entry: OutboxEntry = {
      clientMsgId: options.clientMsgId ?? (this.hooks.newId ?? randomId)(),
      roomId,
      body,
      createdAt,
    };
    if (options.kind !== undefined) entry.kind = options.kind;
    if (deadlineMs !== undefined) entry.deadlineAt = createdAt + deadlineMs;
    // The server skips its durable dedupe check for `attempt: 1`, so an id that may have
    // gone out before must never be sent as a first attempt.
    const maybeEmitted = options.resend === true || this.emitted.has(entry.clientMsgId);
    return this.enqueue(entry, true, maybeEmitted);
  }

  /** Resends what the storage kept from an earlier session; results arrive through the hooks. */
  async restore(): Promise<number> {
    const known = new Set(this.pending().map((e) => e.clientMsgId));
    const entries = (await this.storage.load())
      .filter((e) => !known.has(e.clientMsgId))
      .sort((a, b) => a.createdAt - b.createdAt);
    for (const entry of entries) this.enqueue(entry, false, true).catch(() => undefined);
    return entries.length;
  }

  /** Everything not yet acked, oldest first per room. */
  pending(): OutboxEntry[] {
    return [...this.queues.values()].flat().map((q) => q.entry);
  }

  /** Send counters per room. */
  stats(): Map<string, SendStats> {
    return this.roomStats;
  }

  /** The client calls this on every (re)connect: waiting sends go out at once. */
  notifyConnected(): void {
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const wake of waiters) wake();
    this.reconnect.abort();
    this.reconnect = new AbortController();
  }

  /**
   * Rejects every pending send with CLOSED: `maybeStored: false` for those never emitted,
   * `true` for those emitted without an answer. Stored entries stay for a later restore().
   */
  close(): void {
    this.closed = true;
    // Copies: stopSend takes queued sends out of their queue.
    for (const queue of [...this.queues.values()])
      for (const q of [...queue]) this.stopSend(q, 'closed');
    this.queues.clear();
    this.notifyConnected();
  }

  private enqueue(
    entry: OutboxEntry,
    persist: boolean,
    maybeEmitted: boolean,
  ): Promise<SentMessage> {
    if (this.closed) {
      return Promise.reject(
        new ParleyError('CLOSED', 'client is closed', {
          send: { clientMsgId: entry.clientMsgId, attempts: 0, maybeStored: false },
        }),
      );
    }
    return new Promise<SentMessage>((resolve, reject) => {
      const queued: QueuedSend = {
        entry,
        emits: maybeEmitted ? 1 : 0,
        attempts: 0,
        uncertain: maybeEmitted,
        inFlight: false,
        settled: false,
        stop: new AbortController(),
        done: () => undefined,
        resolve: (message) => {
          if (queued.settled) return;
          queued.settled = true;
          queued.done();
          this.hooks.onSent?.(entry, message, queued.attempts);
          resolve({ ...message, attempts: queued.attempts });
        },
        reject: (error) => {
          if (queued.settled) return;
          queued.settled = true;
          queued.done();
          this.hooks.onFailed?.(entry, error);
          reject(error);
        },
      };
      if (entry.deadlineAt !== undefined) {
        const timer = setTimeout(
          () => this.stopSend(queued, 'deadline'),
          Math.max(0, entry.deadlineAt - Date.now()),
        );
        queued.done = () => clearTimeout(timer);
      }
      const queue = this.queues.get(entry.roomId);
      if (queue) {
        queue.push(queued);
      } else {
        this.queues.set(entry.roomId, [queued]);
        void this.drain(entry.roomId, persist ? this.persist(entry) : Promise.resolve());
      }
      if (queue && persist) void this.persist(entry);
    });
  }

  /** Ends one send now (deadline or close), telling whether it may have been stored. */
  private stopSend(q: QueuedSend, reason: 'deadline' | 'closed'): void {
    if (q.settled || q.stop.signal.aborted) return;
    q.stop.abort();
    const maybeStored = q.uncertain || q.inFlight;
    const fate = maybeStored
      ? 'it may have been stored (an attempt went unanswered)'
      : 'it was not stored';
    const error =
      reason === 'closed'
        ? new ParleyError('CLOSED', `client closed before the message was acked: ${fate}`)
        : new ParleyError('DEADLINE_EXCEEDED', `send deadline passed: ${fate}`);
    this.fail(q, error);
    // A send given up for its deadline is the app's decision: forget it. One cut short by
    // close() stays in storage, for the next session to resend.
    if (reason === 'deadline') void this.unpersist(q.entry.clientMsgId);
    const queue = this.queues.get(q.entry.roomId);
    const index = queue?.indexOf(q) ?? -1;
    if (queue && index > 0) queue.splice(index, 1); // the head is removed by its drain loop
  }

  private fail(q: QueuedSend, error: ParleyError): void {
    const marked = error.withSendOutcome({
      clientMsgId: q.entry.clientMsgId,
      attempts: q.attempts,
      maybeStored: q.uncertain || q.inFlight,
    });
    if (!q.settled) {
      const stats = this.statsFor(q.entry.roomId);
      stats.failed++;
      if (marked.maybeStored) stats.failedMaybeStored++;
    }
    q.reject(marked);
  }

  private rememberEmitted(clientMsgId: string): void {
    this.emitted.delete(clientMsgId);
    this.emitted.add(clientMsgId);
    if (this.emitted.size > EMITTED_IDS_REMEMBERED) {
      const oldest = this.emitted.values().next().value;
      if (oldest !== undefined) this.emitted.delete(oldest);
    }
  }

  private statsFor(roomId: string): SendStats {
    let stats = this.roomStats.get(roomId);
    if (!stats) {
      stats = { acked: 0, failed: 0, failedMaybeStored: 0, attempts: 0, retries: 0 };
      this.roomStats.set(roomId, stats);
    }
    return stats;
  }

  private async persist(entry: OutboxEntry): Promise<void> {
    try {
      await this.storage.put(entry);
    } catch {
      // A full or unavailable storage costs durability across reloads, not the send itself.
    }
  }

  private async unpersist(clientMsgId: string): Promise<void> {
    try {
      await this.storage.remove(clientMsgId);
    } catch {
      // Worst case the entry is resent after a reload, and the server dedupes it by clientMsgId.
    }
  }

  private async drain(roomId: string, firstPersisted: Promise<void>): Promise<void> {
    await firstPersisted;
    const queue = this.queues.get(roomId);
    while (queue && queue.length > 0 && !this.closed) {
      const head = queue[0]!;
      try {
        const message = await this.deliver(head);
        await this.unpersist(head.entry.clientMsgId);
        const stats = this.statsFor(roomId);
        if (!head.settled) stats.acked++;
        head.resolve(message);
      } catch (err) {
        if (!head.stop.signal.aborted) {
          // Refused for good or out of attempts: the app is told; nothing to resend later.
          await this.unpersist(head.entry.clientMsgId);
          this.fail(head, toParleyError(err));
        }
      }
      if (queue[0] === head) queue.shift();
    }
    if (this.queues.get(roomId) === queue && queue?.length === 0) this.queues.delete(roomId);
  }

  private async deliver(q: QueuedSend): Promise<Message> {
    const maxAttempts = this.options.maxAttempts ?? Infinity;
    const stop = q.stop.signal;
    const stats = this.statsFor(q.entry.roomId);
    for (;;) {
      if (!this.transport.connected) await this.waitForConnection(stop);
      if (stop.aborted) throw new ParleyError('CLOSED', 'send stopped');
      if (!this.transport.connected) continue;
      q.emits++;
      this.rememberEmitted(q.entry.clientMsgId);
      q.attempts++;
      stats.attempts++;
      if (q.emits > 1) stats.retries++;
      q.inFlight = true;
      let error: ParleyError;
      try {
        const attempt = this.transport.send(q.entry, q.emits, this.options.ackTimeoutMs ?? 5_000);
        return await abortable(attempt, stop);
      } catch (err) {
        error = toParleyError(err);
      } finally {
        // Still out when stopped: its fate is unknown, and stopSend already counted it so.
        if (!stop.aborted) q.inFlight = false;
      }
      if (stop.aborted) throw error;
      if (!ruledOutWrite(error)) q.uncertain = true;
      if (!error.retryable || q.attempts >= maxAttempts || this.closed) throw error;
      let delay = backoffDelay(q.attempts, this.options.backoff, this.hooks.random);
      if (error.code === 'CONFLICT') delay = Math.min(delay, CONFLICT_RETRY_MAX_DELAY_MS);
      delay = Math.max(delay, error.retryAfterMs ?? 0);
      // A lost connection is the usual cause of a timeout: a fresh one is worth trying at
      // once. A server that said "slow down" gets its full wait regardless.
      const wakeOnReconnect = error.code === 'TIMEOUT' || error.code === 'DISCONNECTED';
      await sleep(delay, anySignal(stop, wakeOnReconnect ? this.reconnect.signal : undefined));
    }
  }

  private waitForConnection(stop: AbortSignal): Promise<void> {
    if (this.closed || stop.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        stop.removeEventListener('abort', done);
        resolve();
      };
      stop.addEventListener('abort', done, { once: true });
      this.connectedWaiters.push(done);
    });
  }
}

/** Rejects with the attempt's own error, or as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(new ParleyError('CLOSED', 'send stopped'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ParleyError('CLOSED', 'send stopped'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** An AbortSignal that fires when either fires (AbortSignal.any is too new for some browsers). */
function anySignal(a: AbortSignal, b: AbortSignal | undefined): AbortSignal {
  if (!b) return a;
  const both = new AbortController();
  const fire = () => both.abort();
  if (a.aborted || b.aborted) fire();
  a.addEventListener('abort', fire, { once: true });
  b.addEventListener('abort', fire, { once: true });
  return both.signal;
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}
