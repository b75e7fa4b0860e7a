import type { ServerToClientEvents } from '@parley/contract';

export type ServerEvent = keyof ServerToClientEvents;
/** Whether every node confirmed a channel change ('partial': some did not answer in time). */
export type ChannelUpdate = 'confirmed' | 'partial';
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
   * Subscribes every socket of these users, on every node, to the room's events, and
   * resolves once every node has confirmed it applied the change: a `toRooms` issued after
   * the promise resolved reaches those sockets. 'partial' when some node did not confirm in
   * time (a dead or partitioned node, a lost publish); callers must not rely on that node's
   * channels then (authorization re-checks Cassandra, see realtime/room-authorizer.ts).
   */
  subscribeUsers(userIds: string[], roomId: string): Promise<ChannelUpdate>;
  /** Takes every socket of these users, on every node, out of the room's events (confirmed). */
  unsubscribeUsers(userIds: string[], roomId: string): Promise<ChannelUpdate>;
  /** Closes every socket of the user (ban). */
  disconnectUser(userId: string): void;
  /** Closes every socket opened with this login session (logout, refresh-token reuse). */
  disconnectSession(sessionId: string): void;
}
