import type {
  AckCallback,
  ClientToServerEvents,
  Message,
  ServerToClientEvents,
} from '@parley/contract';
import type { ManagerOptions, Socket, SocketOptions } from 'socket.io-client';
import type { BackoffOptions } from './backoff';
import type { ParleyError } from './errors';
import type { WatchdogOptions } from './connection-watchdog';
import type { OutboxEntry, OutboxOptions } from './outbox';
import type { RoomStreamOptions } from './room-stream';
import type { Credentials, TokenProvider } from './token-manager';

/** The client's public types: options, typed request/response helpers, events. */

export type ParleySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Every request event the client can send. */
export type RequestEvent = keyof ClientToServerEvents;
/** The payload a request event takes. */
export type RequestPayload<E extends RequestEvent> = Parameters<ClientToServerEvents[E]>[0];
/** What a request's ack carries on success. */
export type ResponseData<E extends RequestEvent> =
  Parameters<ClientToServerEvents[E]>[1] extends AckCallback<infer R> ? R : never;

/** Events the SDK itself raises, next to the server's. */
export interface ClientEvents {
  /**
   * A message that arrived below the room's position — after later messages were already
   * released in order — and was never released before (a publish that lost a race, a write
   * that settled late, history older than the position). Once per message; never also in
   * `message:created`. Show it in its seq place, or mark it as late.
   */
  'message:late': (message: Message) => void;
  /** A message from the outbox was acked (also for sends restored from storage). */
  'outbox:sent': (message: Message, entry: OutboxEntry) => void;
  /** The outbox gave up on a message (non-retryable error, or the client closed). */
  'outbox:failed': (error: ParleyError, entry: OutboxEntry) => void;
  /** Something failed in the background (catch-up, delivery ack, token refresh); the SDK retries. */
  'client:error': (error: ParleyError) => void;
  /**
   * After a (re)connect, every known room has been caught up from history: what the app
   * shows is complete up to now, and live messages follow.
   */
  'client:synced': () => void;
}

/**
 * Every event `on()` accepts. `message:created` is the SDK's ordered, deduplicated feed:
 * each message exactly once, in seq order per room, gaps filled from history.
 */
export type ParleyEvents = ServerToClientEvents & ClientEvents;
export type ParleyEventName = keyof ParleyEvents;

/** Server and SDK events that belong to one room; `room(id).on()` filters them. */
export type RoomEventName = {
  [E in keyof ParleyEvents]: Parameters<ParleyEvents[E]>[0] extends {
    roomId: string;
  }
    ? E
    : never;
}[keyof ParleyEvents];

/** One server URL, several (tried in turn: failover), or a function asked on every connect. */
export type UrlSource = string | string[] | (() => string | Promise<string>);

interface CommonOptions {
  /** Where the Parley server (or its load balancer) listens, e.g. `https://chat.example.com`. */
  url: UrlSource;
  /**
   * Base URL for REST auth calls (/auth/login, /auth/refresh).
   * @default the socket URL(s)
   */
  restUrl?: string;
  /**
   * Connect as soon as the client is created.
   * @default true
   */
  autoConnect?: boolean;
  /**
   * Time allowed for one connection attempt (handshake included), in ms.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * Time a request (other than a send) waits for a connection and then for its ack, in ms.
   * @default 10000
   */
  requestTimeoutMs?: number;
  /**
   * Delays between reconnect attempts.
   * @default { initialDelayMs: 500, maxDelayMs: 10000 }
   */
  reconnect?: BackoffOptions;
  /** Send retries, ack timeout, deadline and where unsent messages wait. */
  outbox?: OutboxOptions;
  /** When a connection that is open but silent (a frozen or cut-off node) is abandoned. */
  watchdog?: WatchdogOptions;
  /** Gap handling for the ordered message feed. */
  stream?: RoomStreamOptions;
  /**
   * Longest time a delivery ack waits to be batched, in ms.
   * @default 500
   */
  ackIntervalMs?: number;
  /**
   * Refresh the access token this long before it expires (at most a quarter of its lifetime).
   * @default 30000
   */
  refreshLeadMs?: number;
  /**
   * On each connect, list the user's rooms so that rooms joined elsewhere get a starting
   * position and are caught up after every reconnect.
   * @default true
   */
  syncRoomsOnConnect?: boolean;
  /**
   * Socket.IO transports. WebSocket only, so a load balancer needs no sticky sessions.
   * @default ['websocket']
   */
  transports?: ('websocket' | 'polling' | 'webtransport')[];
  /** Extra socket.io-client options (escape hatch; reconnection stays the SDK's job). */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
  /**
   * In a browser, follow its `offline` / `online` events: drop the connection at once when
   * the network goes (sends wait in the outbox, status `reconnecting`) and reconnect as soon
   * as it is back. Ignored outside browsers.
   * @default true
   */
  watchBrowserNetwork?: boolean;
  /**
   * fetch implementation for REST auth calls.
   * @default globalThis.fetch
   */
  fetch?: typeof globalThis.fetch;
}

export type ParleyClientOptions = CommonOptions &
  (
    | {
        /** Username and password: the SDK logs in over REST and refreshes the session. */
        credentials: Credentials;
        token?: never;
      }
    | {
        /** An access token, or a function returning one; asked again on every connect and refresh. */
        token: TokenProvider;
        credentials?: never;
      }
  );

export interface HistoryQuery {
  before?: number;
  after?: number;
  limit?: number;
}

export interface RequestOptions {
  /** Overrides `requestTimeoutMs` for this call. */
  timeoutMs?: number;
}
