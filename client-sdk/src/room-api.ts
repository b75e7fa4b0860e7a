import type {
  HistoryPage,
  Message,
  Presence,
  Room,
  RoomMember,
  RoomSummary,
} from '@parley/contract';
import type { ParleyClient } from './client';
import type { HistoryQuery, ParleyEvents, RequestOptions, RoomEventName } from './client-options';
import { ParleyError } from './errors';
import type { SendOptions, SentMessage } from './outbox';

/** The request facades hung off a client: `client.rooms`, `client.presence`, `client.room(id)`. */

/** Room-level requests that are not tied to one room handle. */
export class RoomsApi {
  constructor(private readonly client: ParleyClient) {}

  async create(input: { name: string; memberIds?: string[] }, options?: RequestOptions) {
    const room: Room = await this.client.request('room:create', input, options);
    this.client.trackRoom(room.id, 0); // a new room has no messages yet
    return room;
  }

  async join(roomId: string, options?: RequestOptions): Promise<RoomSummary> {
    const summary = await this.client.request('room:join', { roomId }, options);
    this.client.trackRoom(summary.id, summary.lastSeq);
    return summary;
  }

  async leave(roomId: string, options?: RequestOptions): Promise<{ roomId: string }> {
    const result = await this.client.request('room:leave', { roomId }, options);
    this.client.forgetRoom(roomId);
    return result;
  }

  invite(roomId: string, userIds: string[], options?: RequestOptions) {
    return this.client.request('room:invite', { roomId, userIds }, options);
  }

  members(roomId: string, options?: RequestOptions): Promise<RoomMember[]> {
    return this.client.request('room:members', { roomId }, options);
  }

  async list(options?: RequestOptions): Promise<RoomSummary[]> {
    const rooms = await this.client.request('room:list', {}, options);
    for (const room of rooms) this.client.trackRoom(room.id, room.lastSeq);
    return rooms;
  }

  /** Opens (or finds) the direct-message room with one user. */
  async openDm(userId: string, options?: RequestOptions): Promise<Room> {
    const room = await this.client.request('dm:open', { userId }, options);
    this.client.trackRoom(room.id);
    return room;
  }
}

export class PresenceApi {
  constructor(private readonly client: ParleyClient) {}

  /** Presence of given users, or of every member of a room. */
  query(
    query: { userIds: string[]; roomId?: never } | { roomId: string; userIds?: never },
    options?: RequestOptions,
  ): Promise<Presence[]> {
    return this.client.request('presence:query', query, options);
  }
}

/** Requests and events of one room. */
export class RoomHandle {
  constructor(
    private readonly client: ParleyClient,
    readonly id: string,
  ) {}

  /**
   * Sends a message through the outbox: retried with the same clientMsgId until the server
   * acks it, across reconnects. Resolves with the stored message (its seq is final) and the
   * number of attempts it took. Rejects with a ParleyError carrying `maybeStored`,
   * `attempts` and `clientMsgId`.
   * Options: `clientMsgId` (resend a `maybeStored` one to get the original back),
   * `deadlineMs` (past it: DEADLINE_EXCEEDED), `resend` (see SendOptions).
   */
  send(body: string, options: SendOptions = {}): Promise<SentMessage> {
    this.client.trackRoom(this.id);
    return this.client.send(this.id, body, options);
  }

  /** One page of history: `{ before }` pages backwards (newest first), `{ after }` forwards. */
  history(query: HistoryQuery = {}, options?: RequestOptions): Promise<HistoryPage> {
    return this.client.request('history:fetch', { roomId: this.id, ...query }, options);
  }

  /**
   * Moves the read cursor (drives unread counts and read receipts).
   * @param seq defaults to the highest seq the SDK has delivered for this room
   */
  markRead(seq?: number, options?: RequestOptions) {
    const target = seq ?? this.client.positionOf(this.id);
    if (target === undefined) {
      return Promise.reject(
        new ParleyError('VALIDATION', 'no seq given and none delivered yet', { retryable: false }),
      );
    }
    return this.client.request('read:mark', { roomId: this.id, seq: target }, options);
  }

  edit(seq: number, body: string, options?: RequestOptions): Promise<Message> {
    return this.client.request('message:edit', { roomId: this.id, seq, body }, options);
  }

  delete(seq: number, options?: RequestOptions): Promise<Message> {
    return this.client.request('message:delete', { roomId: this.id, seq }, options);
  }

  setTyping(typing: boolean, options?: RequestOptions): Promise<null> {
    return this.client.request('typing:set', { roomId: this.id, typing }, options);
  }

  /** Highest seq delivered to the app for this room, once known. */
  get position(): number | undefined {
    return this.client.positionOf(this.id);
  }

  /** Like `client.on`, only for this room's events (`message:late` included). */
  on<E extends RoomEventName>(event: E, handler: ParleyEvents[E]): () => void {
    const fn = handler as unknown as (payload: { roomId: string }) => void;
    const filtered = ((payload: { roomId: string }) => {
      if (payload.roomId === this.id) fn(payload);
    }) as unknown as ParleyEvents[E];
    return this.client.on(event, filtered);
  }
}
