import type { ServerToClientEvents } from '@parley/contract';

export type ServerEvent = keyof ServerToClientEvents;
export type ServerEventPayload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

/**
 * How the domain reaches connected clients, on every node of the cluster. The domain
 * services (messages, rooms, presence, admin, auth) talk only to this port; the
 * Socket.IO adapter implements it (realtime/socket-io-fanout.ts), so the domain never
 * depends on the transport, and a unit test can record what a service published.
 *
 * Delivery is at-most-once (pub/sub); what must not be lost comes from Cassandra history.
 */
export interface Fanout {
  /** Every member socket subscribed to these rooms, once per socket even when it is in several. */
  toRooms<E extends ServerEvent>(roomIds: string[], event: E, payload: ServerEventPayload<E>): void;
  /** Every socket of this user, on every node. */
  toUser<E extends ServerEvent>(userId: string, event: E, payload: ServerEventPayload<E>): void;
  /**
   * Subscribes every socket of the user, on every node, to the room's events. Fire and
   * forget (one adapter broadcast): a remote node may apply it after a later `toRooms`.
   */
  subscribeUser(userId: string, roomId: string): void;
  /** Stops the room's events to every socket of the user, on every node (fire and forget). */
  unsubscribeUser(userId: string, roomId: string): void;
  /** Closes every socket of the user (ban). */
  disconnectUser(userId: string): void;
  /** Closes every socket opened with this login session (logout, refresh-token reuse). */
  disconnectSession(sessionId: string): void;
}
