import type { Message, PublicUser, RoomSummary } from '@parley/contract';
import { io } from 'socket.io-client';
import { AckBatcher } from './ack-batcher';
import { backoffDelay, sleep } from './backoff';
import { ConnectionWatchdog } from './connection-watchdog';
import { limits, ParleyError, toParleyError } from './errors';
import {
  Outbox,
  type OutboxEntry,
  type SendOptions,
  type SendStats,
  type SentMessage,
} from './outbox';
import { RoomStream } from './room-stream';
import { type ConnectionStatus, StatusStream } from './status';
import {
  type ParleyClientOptions,
  type ParleyEventName,
  type ParleyEvents,
  type ParleySocket,
  type RequestEvent,
  type RequestOptions,
  type RequestPayload,
  type ResponseData,
} from './client-options';
import { AdminApi } from './admin-api';
import { NetworkWatch } from './network-watch';
import { callRest } from './rest';
import { PresenceApi, RoomHandle, RoomsApi } from './room-api';
import { UsersApi } from './users-api';
import {
  decodeJwtPayload,
  type TokenManager as TokenManagerType,
  TokenManager,
} from './token-manager';

type Listener = (...args: unknown[]) => void;

/** Creates a Parley client; it connects at once unless `autoConnect: false`. */
export function createParleyClient(options: ParleyClientOptions): ParleyClient {
  return new ParleyClient(options);
}

export class ParleyClient {
  /** Connection status: `status.value`, `status.subscribe(fn)`, `status.waitFor('connected')`. */
  readonly status = new StatusStream();
  readonly rooms: RoomsApi;
  readonly presence: PresenceApi;
  /** Other users' public profiles (names for ids, an id for a name). */
  readonly users: UsersApi;
  /** Admin-only live metrics; the admin REST API is reachable with `rest()`. */
  readonly admin: AdminApi;

  private readonly tokens: TokenManagerType;
  private readonly outbox: Outbox;
  private readonly acks: AckBatcher;
  private readonly streams = new Map<string, RoomStream>();
  private readonly handles = new Map<string, RoomHandle>();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Requests waiting for their ack: how to fail each. */
  private readonly inflight = new Set<(error: ParleyError) => void>();
  private readonly watchdog: ConnectionWatchdog;
  /** Rooms the server said we were removed from: stray live events for them are ignored. */
  private readonly removedRooms = new Set<string>();
  private socket: ParleySocket | undefined;
  private loop: Promise<void> | undefined;
  private stop = new AbortController();
  private closed = false;
  private restored = false;
  private everConnected = false;
  private urlIndex = 0;
  private currentUrl: string | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshFailures = 0;
  /** From the current connection's Engine.IO handshake. */
  private serverPingIntervalMs: number | undefined;

  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly network: NetworkWatch;

  constructor(private readonly options: ParleyClientOptions) {
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.tokens = new TokenManager({
      source: options.credentials
        ? { kind: 'credentials', credentials: options.credentials }
        : { kind: 'token', provider: options.token },
      restUrls: () => this.restUrls(),
      fetch: options.fetch,
    });
    const isConnected = () => this.connected;
    this.outbox = new Outbox(
      {
        get connected() {
          return isConnected();
        },
        send: (entry, attempt, timeoutMs) =>
          this.emitRequest(
            'message:send',
            {
              roomId: entry.roomId,
              clientMsgId: entry.clientMsgId,
              body: entry.body,
              attempt,
              ...(entry.kind === undefined ? {} : { kind: entry.kind }),
            },
            timeoutMs,
          ),
      },
      options.outbox,
      {
        onSent: (entry, message) => {
          // Our own message enters the ordered feed too, so it neither looks like a gap to
          // other messages nor depends on the server echoing it back.
          this.streamFor(message.roomId).push(message);
          this.dispatch('outbox:sent', message, entry);
        },
        onFailed: (entry, error) => this.dispatch('outbox:failed', error, entry),
      },
    );
    this.acks = new AckBatcher(
      async (acks) => {
        await this.emitRequest('delivery:ack', { acks }, this.requestTimeout());
      },
      () => this.connected,
      { intervalMs: options.ackIntervalMs },
    );
    this.watchdog = new ConnectionWatchdog(
      {
        hasPending: () => this.inflight.size > 0,
        probe: () => this.probe(),
        abandon: (reason) => {
          this.reportError(
            new ParleyError('TIMEOUT', `${this.currentUrl ?? 'server'} went silent (${reason})`),
          );
          // The 'disconnect' this causes ends serve(): in-flight requests fail DISCONNECTED
          // (sends are retried at once on the next connection) and the next URL is tried.
          this.dropSocket();
        },
      },
      options.watchdog,
    );
    this.network = new NetworkWatch(
      {
        // Drop the socket now: sends queue (pending) instead of vanishing into a dead link.
        offline: () => this.dropSocket(),
        online: () => undefined, // the wake signal ends the wait below
      },
      options.watchBrowserNetwork ?? true,
    );
    this.rooms = new RoomsApi(this);
    this.presence = new PresenceApi(this);
    this.users = new UsersApi(this);
    this.admin = new AdminApi(this);
    if (options.autoConnect ?? true) this.connect();
  }

  /** True while a socket is connected and authenticated. */
  get connected(): boolean {
    return this.socket?.connected === true;
  }

  /** The signed-in user's id (from the access token's `sub`), once a token is known. */
  get userId(): string | undefined {
    const token = this.tokens.current;
    const sub = token ? decodeJwtPayload(token)?.sub : undefined;
    return typeof sub === 'string' ? sub : undefined;
  }

  /** The signed-in user, when the client logged in with credentials. */
  get user(): PublicUser | undefined {
    return this.tokens.user;
  }

  /** Messages sent but not yet acked. */
  get pendingSends(): OutboxEntry[] {
    return this.outbox.pending();
  }

  /**
   * Counters per room: messages that arrived live or from history, duplicates the SDK
   * dropped, messages released to the app in order (`released`) and through the late path
   * (`late`), exactly once each; and `sends`: acked, failed, attempts and retries.
   */
  stats(): Record<string, RoomStats> {
    const rooms = new Set([...this.streams.keys(), ...this.outbox.stats().keys()]);
    return Object.fromEntries(
      [...rooms].map((roomId) => [
        roomId,
        {
          ...(this.streams.get(roomId)?.stats ?? emptyStreamStats()),
          sends: { ...(this.outbox.stats().get(roomId) ?? emptySendStats()) },
        },
      ]),
    );
  }

  /** Starts (or, after `auth-failed`, restarts) connecting. Returns at once. */
  connect(): void {
    if (this.closed) throw new ParleyError('CLOSED', 'client is closed');
    if (this.loop) return;
    this.loop = this.runConnection().finally(() => {
      this.loop = undefined;
    });
  }

  /** Subscribes to a server or SDK event; returns the unsubscribe function. */
  on<E extends ParleyEventName>(event: E, handler: ParleyEvents[E]): () => void {
    const fn = handler as unknown as Listener;
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  /** A handle for one room's requests and events. */
  room(roomId: string): RoomHandle {
    let handle = this.handles.get(roomId);
    if (!handle) this.handles.set(roomId, (handle = new RoomHandle(this, roomId)));
    return handle;
  }

  /**
   * Sends any request and resolves with its ack's data, or rejects with a ParleyError.
   * Waits for a connection first (within the timeout). Not retried: only sends are.
   */
  async request<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    options: RequestOptions = {},
  ): Promise<ResponseData<E>> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeout();
    const deadline = Date.now() + timeoutMs;
    if (!this.connected) await this.waitForConnection(timeoutMs);
    return this.emitRequest(event, payload, Math.max(1, deadline - Date.now()));
  }

  /**
   * Calls a REST endpoint of the server as the signed-in user (bearer token), e.g.
   * `client.rest('GET', '/admin/users?q=ali')`. Resolves with the parsed JSON body; a
   * refused call rejects with a ParleyError carrying the server's code. A 401 renews the
   * token once and retries.
   */
  async rest<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const call = async () =>
      callRest<T>(this.fetchImpl, this.restUrls(), {
        method,
        path,
        body,
        token: await this.tokens.getToken(),
      });
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ParleyError) || err.code !== 'UNAUTHORIZED' || !this.tokens.canRenew)
        throw err;
      this.tokens.invalidate();
      await this.tokens.renew();
      return call();
    }
  }

  /** @internal a valid access token (renewed when close to expiry). */
  accessToken(): Promise<string> {
    return this.tokens.getToken();
  }

  /** @internal REST base URLs, the current node first. */
  restBases(): string[] {
    return this.restUrls();
  }

  /**
   * Closes the connection for good. Pending sends reject with CLOSED: `maybeStored: false` if
   * never emitted, `true` if emitted without an answer. Outbox entries stay in storage.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stop.abort();
    this.network.close();
    clearTimeout(this.refreshTimer);
    void this.acks.flush();
    this.acks.close();
    this.watchdog.stop();
    this.outbox.close();
    for (const stream of this.streams.values()) stream.close();
    this.dropSocket();
    this.status.set('disconnected');
  }

  /** @internal queues a message in the outbox. */
  send(roomId: string, body: string, options: SendOptions = {}): Promise<SentMessage> {
    // Checked here too: a body the server will refuse must not sit in a persistent outbox.
    // An E2EE body (base64 ciphertext) has its own, larger cap.
    const max = options.kind === undefined ? limits.messageBodyMaxChars : limits.e2eeBodyMaxChars;
    if (body.length === 0 || body.length > max) {
      return Promise.reject(
        new ParleyError('VALIDATION', `message body must be 1..${max} characters`, {
          retryable: false,
          issues: [{ path: 'body', message: 'bad length' }],
          send: {
            clientMsgId: options.clientMsgId ?? globalThis.crypto.randomUUID(),
            attempts: 0,
            maybeStored: false,
          },
        }),
      );
    }
    return this.outbox.send(roomId, body, options);
  }

  /** @internal position bookkeeping for RoomsApi. A known lastSeq means we are a member. */
  trackRoom(roomId: string, lastSeq?: number): void {
    if (lastSeq !== undefined) this.removedRooms.delete(roomId);
    const stream = this.streamFor(roomId);
    if (lastSeq === undefined) return;
    stream.seed(lastSeq);
    if (stream.needsBackfill) stream.catchUp().catch((err: unknown) => this.reportError(err));
  }

  /** @internal */
  forgetRoom(roomId: string): void {
    this.streams.get(roomId)?.close();
    this.streams.delete(roomId);
  }

  /** @internal highest seq released to the app for a room. */
  positionOf(roomId: string): number | undefined {
    return this.streams.get(roomId)?.position;
  }

  // ---- connection ---------------------------------------------------------------------

  private async runConnection(): Promise<void> {
    let failures = 0;
    let authRejections = 0;
    while (!this.closed) {
      this.status.set(this.everConnected ? 'reconnecting' : 'connecting', this.status.error);
      if (!this.network.online) {
        // Attempts cannot succeed until the browser has a network again.
        await sleep(2 ** 31 - 1, AbortSignal.any([this.stop.signal, this.network.wakeSignal]));
        continue;
      }
      let error: ParleyError;
      try {
        const url = await this.nextUrl();
        const token = await this.tokens.getToken();
        const socket = await this.openSocket(url, token);
        failures = 0;
        authRejections = 0;
        await this.serve(socket);
        if (this.closed) return;
        // The node went away (crash, drain, network): the next attempt tries another URL.
        this.urlIndex++;
        continue;
      } catch (err) {
        error = toParleyError(err, 'NETWORK');
      }
      if (this.closed) return;
      if (error.code === 'UNAUTHORIZED' && this.tokens.canRenew && authRejections === 0) {
        // Maybe just an expired token: renew once before calling it an auth failure.
        authRejections++;
        this.tokens.invalidate();
        if (this.options.token !== undefined) await this.tokens.renew().catch(() => undefined);
        continue;
      }
      if (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN' || !error.retryable) {
        this.status.set('auth-failed', error);
        return;
      }
      this.status.set(this.everConnected ? 'reconnecting' : 'connecting', error);
      this.urlIndex++;
      failures++;
      await sleep(
        backoffDelay(failures, { initialDelayMs: 500, ...this.options.reconnect }),
        AbortSignal.any([this.stop.signal, this.network.wakeSignal]),
      );
    }
  }

  private openSocket(url: string, token: string): Promise<ParleySocket> {
    let pingIntervalMs: number | undefined;
    const socket: ParleySocket = io(url, {
      transports: this.options.transports ?? ['websocket'],
      timeout: this.options.connectTimeoutMs ?? 10_000,
      ...this.options.socketOptions,
      // `reconnect` lets the server count reconnects apart from first connections (metrics).
      auth: { token, reconnect: this.everConnected },
      // Reconnection is ours: a fresh token per attempt, and failover across URLs.
      reconnection: false,
      forceNew: true,
      autoConnect: false,
    });
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      // Exactly one outcome per attempt. Besides connect / connect_error, a transport can
      // close before the server acknowledges the handshake (a node shutting down while its
      // middleware runs): socket.io-client then emits only 'disconnect', so that and a
      // deadline of our own end the attempt too, instead of waiting forever.
      let settled = false;
      const finish = (error?: ParleyError) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.stop.signal.removeEventListener('abort', onAbort);
        socket.off('disconnect', onEarlyDisconnect);
        if (!error) return resolve(socket);
        socket.close();
        reject(error);
      };
      const onAbort = () => finish(new ParleyError('CLOSED', 'client closed'));
      const onEarlyDisconnect = () =>
        finish(new ParleyError('NETWORK', `connection to ${url} closed during the handshake`));
      const deadline = setTimeout(
        () => finish(new ParleyError('NETWORK', `no handshake from ${url} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.stop.signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        this.serverPingIntervalMs = pingIntervalMs;
        finish();
      });
      socket.once('disconnect', onEarlyDisconnect);
      socket.once('connect_error', (err: Error & { data?: unknown }) => {
        // The server's auth middleware puts { code, message } in `data`; anything else is
        // a transport failure (node down, refused, timed out) and worth another attempt.
        finish(
          err.data
            ? toParleyError(err.data)
            : new ParleyError('NETWORK', `cannot connect to ${url}: ${err.message}`),
        );
      });
      socket.connect();
      // The handshake tells how often the server pings: the watchdog's idle bound follows it.
      socket.io.engine?.once('handshake', (data) => {
        pingIntervalMs = data.pingInterval;
      });
    });
  }

  /** Runs one live connection; resolves when it ends. */
  private serve(socket: ParleySocket): Promise<void> {
    this.socket = socket;
    this.everConnected = true;
    socket.onAny((event: string, ...args: unknown[]) => this.onServerEvent(event, args));
    // Any packet (acks and Engine.IO pings included) proves the node alive.
    const heard = () => this.watchdog.heard();
    socket.io.on('packet', heard);
    socket.io.on('ping', heard);
    this.watchdog.start(this.serverPingIntervalMs);
    const ended = new Promise<void>((resolve) => {
      const end = () => {
        socket.io.off('packet', heard);
        socket.io.off('ping', heard);
        if (this.socket === socket) this.socket = undefined;
        this.watchdog.stop(); // the next connection starts it afresh
        const error = new ParleyError('DISCONNECTED', 'connection lost');
        for (const fail of [...this.inflight]) fail(error);
        clearTimeout(this.refreshTimer);
        resolve();
      };
      socket.once('disconnect', end);
      // The server may have closed the socket between 'connect' and now (a node that
      // started draining): that 'disconnect' already fired and would never come again.
      if (!socket.connected) queueMicrotask(end);
    });
    this.status.set('connected');
    this.outbox.notifyConnected();
    this.acks.resume();
    this.scheduleRefresh();
    if (!this.restored) {
      this.restored = true;
      this.outbox.restore().catch((err: unknown) => this.reportError(err));
    }
    void this.syncRooms();
    return ended;
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }

  private onServerEvent(event: string, args: unknown[]): void {
    switch (event) {
      case 'message:created': {
        const message = args[0] as Message;
        if (this.removedRooms.has(message.roomId)) return; // a straggler from before removal
        this.streamFor(message.roomId).push(message);
        return; // the app gets it from the stream, in order
      }
      case 'room:added': {
        // Someone else added us: the room gets its position now, not at its first message.
        const summary = args[0] as RoomSummary;
        if (typeof summary?.id !== 'string' || typeof summary.lastSeq !== 'number') break;
        this.trackRoom(summary.id, summary.lastSeq);
        // Whatever was stored between the summary and our joining the room's channel.
        this.streams
          .get(summary.id)
          ?.catchUp()
          .catch((err: unknown) => this.reportError(err));
        break;
      }
      case 'room:removed': {
        const info = args[0] as { roomId?: unknown };
        if (typeof info?.roomId !== 'string') break;
        this.forgetRoom(info.roomId);
        this.removedRooms.add(info.roomId);
        break;
      }
      case 'sync:required':
        void this.catchUpAll();
        break;
      case 'auth:expired':
        void this.refreshSession();
        break;
    }
    this.dispatchRaw(event, args);
  }

  /** Seeds positions for rooms we have not seen yet, then catches up every known room. */
  private async syncRooms(): Promise<void> {
    let latest: Map<string, number> | undefined;
    if (this.options.syncRoomsOnConnect ?? true) {
      try {
        const rooms = await this.emitRequest('room:list', {}, this.requestTimeout());
        for (const room of rooms) this.trackRoom(room.id, room.lastSeq);
        latest = new Map(rooms.map((room) => [room.id, room.lastSeq]));
      } catch (err) {
        this.reportError(err);
      }
    }
    if ((await this.catchUpAll(latest)) && this.connected) this.dispatch('client:synced');
  }

  /**
   * Resolves true when every room caught up (failures are reported and retried later).
   * With `latest` (each room's newest stored seq, read after this socket joined its rooms'
   * channels) a room we are already at the end of is skipped: nothing older can appear
   * there, and anything newer reaches the channel. A reconnect storm then reads history
   * only for rooms that really moved on.
   */
  private async catchUpAll(latest?: Map<string, number>): Promise<boolean> {
    const behind = [...this.streams.entries()]
      .filter(([roomId, s]) => {
        const lastSeq = latest?.get(roomId);
        return lastSeq === undefined || s.isBehind(lastSeq);
      })
      .map(([, s]) => s);
    const results = await Promise.all(
      behind.map((s) =>
        s.catchUp().then(
          () => true,
          (err: unknown) => {
            this.reportError(err);
            return false;
          },
        ),
      ),
    );
    return results.every(Boolean);
  }

  private streamFor(roomId: string): RoomStream {
    let stream = this.streams.get(roomId);
    if (!stream) {
      stream = new RoomStream(
        roomId,
        undefined,
        {
          fetchAfter: (id, after, limit) =>
            this.emitRequest('history:fetch', { roomId: id, after, limit }, this.requestTimeout()),
          release: (message) => this.dispatch('message:created', message),
          releaseLate: (message) => this.dispatch('message:late', message),
          onPosition: (id, seq) => this.acks.note(id, seq),
          onError: (err) => this.reportError(err),
        },
        this.options.stream,
      );
      this.streams.set(roomId, stream);
    }
    return stream;
  }

  private async nextUrl(): Promise<string> {
    const { url } = this.options;
    const list = typeof url === 'string' ? [url] : Array.isArray(url) ? url : [await url()];
    const next = list[this.urlIndex % list.length];
    if (!next) throw new ParleyError('VALIDATION', 'no server URL given', { retryable: false });
    this.currentUrl = next;
    return next;
  }

  private restUrls(): string[] {
    if (this.options.restUrl) return [this.options.restUrl];
    const { url } = this.options;
    if (typeof url === 'string') return [url];
    if (Array.isArray(url)) {
      // Start with the node we are on (or about to try); the others are fallbacks.
      const start = this.urlIndex % url.length;
      return [...url.slice(start), ...url.slice(0, start)];
    }
    return this.currentUrl ? [this.currentUrl] : [];
  }

  // ---- tokens -------------------------------------------------------------------------

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    const expiresAt = this.tokens.expiresAt();
    if (!this.tokens.canRenew || expiresAt === undefined || this.closed) return;
    const lifetime = this.tokens.lifetimeMs() ?? expiresAt - Date.now();
    const lead = Math.min(this.options.refreshLeadMs ?? 30_000, lifetime / 4);
    const delay = Math.max(
      expiresAt - lead - Date.now(),
      1_000 * Math.min(this.refreshFailures, 5),
    );
    this.refreshTimer = setTimeout(() => void this.refreshSession(), delay);
  }

  /** Gets a new access token and hands it to the live socket (`auth:refresh`). */
  private async refreshSession(): Promise<void> {
    if (!this.tokens.canRenew || this.closed) return;
    const before = this.tokens.expiresAt();
    try {
      const token = await this.tokens.renew();
      if (this.connected) await this.emitRequest('auth:refresh', { token }, this.requestTimeout());
      // A provider that hands back the same token would otherwise make us spin.
      this.refreshFailures = this.tokens.expiresAt() === before ? this.refreshFailures + 1 : 0;
    } catch (err) {
      const error = toParleyError(err, 'NETWORK');
      this.reportError(error);
      if (!error.retryable && (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN')) {
        // The session is over (revoked, banned, refresh token reused). Drop the socket and let
        // the connection loop decide: a fresh login may work, otherwise it ends in auth-failed.
        this.dropSocket();
        return;
      }
      this.refreshFailures++;
    }
    if (this.connected) this.scheduleRefresh();
  }

  // ---- requests -----------------------------------------------------------------------

  private requestTimeout(): number {
    return this.options.requestTimeoutMs ?? 10_000;
  }

  /** The watchdog's "are you there?": cheap for the server (one Redis read), any answer counts. */
  private probe(): void {
    const userId = this.userId;
    const timeoutMs = this.options.watchdog?.probeTimeoutMs ?? 2_000;
    const probe = userId
      ? this.emitRequest('presence:query', { userIds: [userId] }, timeoutMs)
      : this.emitRequest('room:list', {}, timeoutMs);
    probe.catch(() => undefined);
  }

  private async waitForConnection(timeoutMs: number): Promise<void> {
    if (this.closed) throw new ParleyError('CLOSED', 'client is closed');
    if (this.status.value === 'auth-failed') {
      throw new ParleyError('UNAUTHORIZED', 'not signed in', { retryable: false });
    }
    try {
      await this.status.waitFor(['connected', 'auth-failed', 'disconnected'], timeoutMs);
    } catch {
      throw new ParleyError('DISCONNECTED', `not connected within ${timeoutMs} ms`);
    }
    if (!this.connected) throw new ParleyError('DISCONNECTED', 'not connected');
  }

  /** One emit with a timeout on the current socket; rejects at once if there is none. */
  private emitRequest<E extends RequestEvent>(
    event: E,
    payload: RequestPayload<E>,
    timeoutMs: number,
  ): Promise<ResponseData<E>> {
    const socket = this.socket;
    if (!socket?.connected) {
      return Promise.reject(new ParleyError('DISCONNECTED', 'not connected'));
    }
    return new Promise<ResponseData<E>>((resolve, reject) => {
      const fail = (error: ParleyError) => {
        this.inflight.delete(fail);
        reject(error);
      };
      this.inflight.add(fail);
      // The typed emit cannot be called with a generic event name; the signature is
      // enforced by request()'s own types instead.
      const emitter = socket.timeout(timeoutMs) as unknown as {
        emit(event: string, payload: unknown, ack: (err: Error | null, ack: unknown) => void): void;
      };
      this.watchdog.sent();
      emitter.emit(event, payload, (err, ack) => {
        if (!this.inflight.has(fail)) return; // already failed by a disconnect
        this.inflight.delete(fail);
        if (err) return reject(new ParleyError('TIMEOUT', `${event}: no ack in ${timeoutMs} ms`));
        const envelope = ack as { ok?: unknown; data?: unknown; error?: unknown } | undefined;
        if (envelope?.ok === true) return resolve(envelope.data as ResponseData<E>);
        reject(toParleyError(envelope?.error ?? { code: 'INTERNAL', message: 'malformed ack' }));
      });
    });
  }

  // ---- events -------------------------------------------------------------------------

  private dispatch<E extends ParleyEventName>(event: E, ...args: Parameters<ParleyEvents[E]>) {
    this.dispatchRaw(event, args);
  }

  private dispatchRaw(event: string, args: unknown[]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (err) {
        // One faulty listener must not stop others or break the SDK's bookkeeping.
        if (event !== 'client:error') this.reportError(err);
      }
    }
  }

  private reportError(err: unknown): void {
    this.dispatch('client:error', toParleyError(err));
  }
}

/** What `client.stats()` reports for one room. */
export type RoomStats = RoomStream['stats'] & { sends: SendStats };

function emptyStreamStats(): RoomStream['stats'] {
  return { live: 0, fromHistory: 0, duplicatesDropped: 0, released: 0, late: 0 };
}

function emptySendStats(): SendStats {
  return { acked: 0, failed: 0, failedMaybeStored: 0, attempts: 0, retries: 0 };
}

export type { ConnectionStatus };
export * from './client-options';
export { PresenceApi, RoomHandle, RoomsApi } from './room-api';
export { UsersApi } from './users-api';
export { AdminApi } from './admin-api';
