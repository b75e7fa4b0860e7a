import type { Message } from '@parley/contract';
import { type BackoffOptions, backoffDelay, sleep } from './backoff';
import { ParleyError, toParleyError } from './errors';

/** One unsent message. `clientMsgId` is its idempotency key: every retry carries the same one. */
export interface OutboxEntry {
  clientMsgId: string;
  roomId: string;
  body: string;
  /** Epoch ms when the app sent it; restored entries resend oldest first. */
  createdAt: number;
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
    typeof v.createdAt === 'number'
  );
}

/** What the outbox needs from the connection; the client implements it over Socket.IO. */
export interface OutboxTransport {
  readonly connected: boolean;
  /** One attempt. Resolves with the stored message or rejects (ideally with a ParleyError). */
  send(entry: OutboxEntry, timeoutMs: number): Promise<Message>;
}

export interface OutboxOptions {
  /**
   * How long one attempt waits for the server's ack before it counts as lost and is retried.
   * @default 10000
   */
  ackTimeoutMs?: number;
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

export interface OutboxHooks {
  onSent?(entry: OutboxEntry, message: Message): void;
  onFailed?(entry: OutboxEntry, error: ParleyError): void;
  /** Jitter source, replaceable in tests. */
  random?: () => number;
  newId?: () => string;
}

interface QueuedSend {
  entry: OutboxEntry;
  resolve(message: Message): void;
  reject(error: ParleyError): void;
}

/**
 * Retries each send until the server acks it, across disconnects and nodes. Sends to one room
 * go one at a time, in order: if two were in flight, the second could be stored first and the
 * sender's own messages would appear out of order for everyone.
 */
export class Outbox {
  private readonly queues = new Map<string, QueuedSend[]>();
  private readonly storage: OutboxStorage;
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

  /** Queues a message; resolves with the stored message once the server has acked it. */
  send(roomId: string, body: string, clientMsgId?: string): Promise<Message> {
    const entry: OutboxEntry = {
      clientMsgId: clientMsgId ?? (this.hooks.newId ?? randomId)(),
      roomId,
      body,
      createdAt: Date.now(),
    };
    return this.enqueue(entry, true);
  }

  /** Resends what the storage kept from an earlier session; results arrive through the hooks. */
  async restore(): Promise<number> {
    const known = new Set(this.pending().map((e) => e.clientMsgId));
    const entries = (await this.storage.load())
      .filter((e) => !known.has(e.clientMsgId))
      .sort((a, b) => a.createdAt - b.createdAt);
    for (const entry of entries) this.enqueue(entry, false).catch(() => undefined);
    return entries.length;
  }

  /** Everything not yet acked, oldest first per room. */
  pending(): OutboxEntry[] {
    return [...this.queues.values()].flat().map((q) => q.entry);
  }

  /** The client calls this on every (re)connect: waiting sends go out at once. */
  notifyConnected(): void {
    const waiters = this.connectedWaiters;
    this.connectedWaiters = [];
    for (const wake of waiters) wake();
    this.reconnect.abort();
    this.reconnect = new AbortController();
  }

  /** Rejects every pending send with CLOSED. Stored entries stay for a later restore(). */
  close(): void {
    this.closed = true;
    const error = new ParleyError('CLOSED', 'client closed before the message was acked');
    for (const queue of this.queues.values()) for (const q of queue.splice(0)) q.reject(error);
    this.queues.clear();
    this.notifyConnected();
  }

  private enqueue(entry: OutboxEntry, persist: boolean): Promise<Message> {
    if (this.closed) return Promise.reject(new ParleyError('CLOSED', 'client is closed'));
    return new Promise<Message>((resolve, reject) => {
      const queued: QueuedSend = {
        entry,
        resolve: (message) => {
          this.hooks.onSent?.(entry, message);
          resolve(message);
        },
        reject: (error) => {
          this.hooks.onFailed?.(entry, error);
          reject(error);
        },
      };
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
        const message = await this.deliver(head.entry);
        await this.unpersist(head.entry.clientMsgId);
        if (queue[0] === head) queue.shift();
        head.resolve(message);
      } catch (err) {
        const error = toParleyError(err);
        if (error.code !== 'CLOSED') await this.unpersist(head.entry.clientMsgId);
        if (queue[0] === head) queue.shift();
        head.reject(error);
      }
    }
    if (this.queues.get(roomId) === queue && queue?.length === 0) this.queues.delete(roomId);
  }

  private async deliver(entry: OutboxEntry): Promise<Message> {
    const maxAttempts = this.options.maxAttempts ?? Infinity;
    for (let attempt = 1; ; attempt++) {
      if (!this.transport.connected) await this.waitForConnection();
      if (this.closed) throw new ParleyError('CLOSED', 'client closed');
      try {
        return await this.transport.send(entry, this.options.ackTimeoutMs ?? 10_000);
      } catch (err) {
        const error = toParleyError(err);
        if (!error.retryable || attempt >= maxAttempts || this.closed) throw error;
        const delay = Math.max(
          backoffDelay(attempt, this.options.backoff, this.hooks.random),
          error.retryAfterMs ?? 0,
        );
        // A lost connection is the usual cause of a timeout: a fresh one is worth trying at
        // once. A server that said "slow down" gets its full wait regardless.
        const wakeOnReconnect = error.code === 'TIMEOUT' || error.code === 'DISCONNECTED';
        await sleep(delay, wakeOnReconnect ? this.reconnect.signal : undefined);
      }
    }
  }

  private waitForConnection(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.connectedWaiters.push(resolve));
  }
}

function randomId(): string {
  return globalThis.crypto.randomUUID();
}
