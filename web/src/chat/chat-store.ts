import {
  type ConnectionStatus,
  type E2eeMessage,
  E2eeSession,
  IndexedDbKeyStore,
  isParleyError,
  type Message,
  type OutboxEntry,
  type ParleyClient,
  type RoomSummary,
  type UndecryptableReason,
} from '@parley/client-sdk';
import { errorText } from '../shared/format';

const HISTORY_PAGE = 30;
const TYPING_SHOWN_MS = 6_000;

/**
 * Everything the chat shows, kept from the SDK's events. Components read it and re-render
 * on `subscribe`; the SDK already orders and dedupes the message feed, so this only merges
 * history pages and live messages by id.
 */
export class ChatStore {
  status: ConnectionStatus;
  statusError: string | undefined;
  /** Why the session ended for good (banned, signed out elsewhere). */
  endedReason: string | undefined;
  notice: string | undefined;
  rooms = new Map<string, RoomSummary>();
  activeRoomId: string | undefined;
  messages = new Map<string, Message[]>();
  hasOlder = new Map<string, boolean>();
  pending: OutboxEntry[] = [];
  failed: FailedSend[] = [];
  /** E2EE sends not acked yet, as the user typed them (the outbox holds only ciphertext). */
  sealedPending: { key: string; roomId: string; body: string }[] = [];
  /** E2EE rooms: what each application message reads as, by message id. */
  decrypted = new Map<string, { text: string } | { reason: UndecryptableReason }>();
  /** The E2EE session of this browser (keys in IndexedDB); started with the store. */
  e2eeState: 'starting' | 'ready' | 'failed' = 'starting';
  typing = new Map<string, Map<string, number>>();
  presence = new Map<string, 'online' | 'offline'>();
  members = new Map<string, string[]>();
  /** Per room: the highest seq each other member has read. */
  readBy = new Map<string, Map<string, number>>();
  names = new Map<string, string>();

  private listeners = new Set<() => void>();
  private offs: (() => void)[] = [];
  private asked = new Set<string>();
  /** Per room: the lowest seq of the history pages loaded, the cursor for the next page. */
  private oldest = new Map<string, number>();
  private readonly e2ee: Promise<E2eeSession>;
  /**
   * The device's MLS keys and the text it decrypted (MLS reads a message once: without
   * this, a reload would leave the room's earlier messages unreadable). One database per
   * user, so a shared browser keeps each account's apart.
   */
  private readonly keys: IndexedDbKeyStore;
  private closed = false;

  constructor(readonly client: ParleyClient) {
    this.status = client.status.value;
    const me = client.user;
    if (me) this.names.set(me.id, me.username);
    this.offs.push(
      client.status.subscribe((status, error) => {
        this.status = status;
        this.statusError = error ? errorText(error) : undefined;
        if (status === 'auth-failed') this.endedReason = endReason(error);
        this.refreshPending();
      }),
      client.on('message:created', (m) => this.onMessage(m)),
      client.on('message:late', (m) => this.onLate(m)),
      client.on('message:updated', (m) => this.replace(m)),
      client.on('message:deleted', (m) => this.replace(m)),
      client.on('outbox:sent', () => this.refreshPending()),
      client.on('outbox:failed', (error, entry) => {
        // E2EE sends fail through E2eeSession.send's promise, with the text the user typed.
        if (entry.kind === undefined)
          this.failed.push({
            key: entry.clientMsgId,
            roomId: entry.roomId,
            body: entry.body,
            error: errorText(error),
          });
        this.refreshPending();
      }),
      client.on('typing:changed', ({ roomId, userId, typing }) => {
        if (userId === this.myId) return;
        const room = this.typing.get(roomId) ?? new Map<string, number>();
        if (typing) room.set(userId, Date.now() + TYPING_SHOWN_MS);
        else room.delete(userId);
        this.typing.set(roomId, room);
        this.lookupNames([userId]);
        this.emit();
      }),
      client.on('presence:changed', ({ userId, status }) => {
        this.presence.set(userId, status);
        this.emit();
      }),
      client.on('read:updated', ({ roomId, userId, readSeq }) => {
        const room = this.readBy.get(roomId) ?? new Map<string, number>();
        room.set(userId, Math.max(readSeq, room.get(userId) ?? 0));
        this.readBy.set(roomId, room);
        this.emit();
      }),
      client.on('member:joined', ({ roomId, userId }) => {
        // Our own arrival comes as room:added, with the room's summary.
        if (userId !== this.myId && this.members.has(roomId)) void this.loadMembers(roomId);
      }),
      client.on('member:left', ({ roomId, userId }) => {
        // Our own removal comes as room:removed, with the reason.
        if (userId !== this.myId && this.members.has(roomId)) void this.loadMembers(roomId);
      }),
      client.on('room:added', (summary) => {
        this.rooms.set(summary.id, summary);
        if (summary.kind === 'dm') void this.loadMembers(summary.id);
        this.emit();
      }),
      client.on('room:removed', ({ roomId, reason }) => {
        const room = this.rooms.get(roomId);
        this.rooms.delete(roomId);
        if (this.activeRoomId === roomId) this.activeRoomId = undefined;
        if (reason !== 'left') {
          const name = room ? this.roomTitle(room) : 'a room';
          this.notice = `You were removed from ${name} (${reason}).`;
        }
        this.emit();
      }),
      client.on('client:synced', () => void this.loadRooms()),
    );
    // Typing indicators expire on their own if the "stopped" event never comes.
    const sweep = setInterval(() => {
      let changed = false;
      for (const room of this.typing.values())
        for (const [userId, until] of room)
          if (until < Date.now()) changed = room.delete(userId) || changed;
      if (changed) this.emit();
    }, 1_000);
    this.offs.push(() => clearInterval(sweep));
    // Started at once, not with the first E2EE room: a device can be added to a group only
    // after its KeyPackages are in the server's key directory, which start() fills.
    this.keys = new IndexedDbKeyStore(`parley-e2ee-${this.myId ?? 'anonymous'}`);
    this.e2ee = this.startE2ee();
    this.e2ee.catch(() => undefined); // reported through e2eeState and on E2EE actions
  }

  private async startE2ee(): Promise<E2eeSession> {
    try {
      const session = await E2eeSession.start(this.client, { store: this.keys });
      if (this.closed) {
        session.close();
        return session;
      }
      this.offs.push(
        session.onMessage((m) => this.onDecrypted(m)),
        () => session.close(),
      );
      this.e2eeState = 'ready';
      this.emit();
      // Messages that came before the session followed the feed.
      for (const list of this.messages.values()) void this.decryptAll(list);
      return session;
    } catch (err) {
      this.e2eeState = 'failed';
      this.emit();
      throw err;
    }
  }

  /** The E2EE session, for creating rooms and inviting (waits while it starts). */
  e2eeSession(): Promise<E2eeSession> {
    return this.e2ee;
  }

  /** What a message reads as: its body, or for E2EE rooms the decrypted text or why not. */
  readable(m: Message): { text: string } | { locked: string } {
    if (m.kind === undefined) return { text: m.body };
    const read = this.decrypted.get(m.id);
    if (!read) return { locked: '🔒 decrypting…' };
    if ('text' in read) return read;
    return { locked: `🔒 can't decrypt this message (${REASONS[read.reason]})` };
  }

  get myId(): string | undefined {
    return this.client.user?.id ?? this.client.userId;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.closed = true;
    for (const off of this.offs) off();
    this.client.close();
  }

  nameOf(userId: string): string {
    return this.names.get(userId) ?? userId.slice(0, 8);
  }

  roomTitle(room: RoomSummary): string {
    if (room.kind === 'group') return `#${room.name}`;
    const peer = this.members.get(room.id)?.find((id) => id !== this.myId);
    return peer ? `@${this.nameOf(peer)}` : 'Direct message';
  }

  async loadRooms(): Promise<void> {
    try {
      const rooms = await this.client.rooms.list();
      this.rooms = new Map(rooms.map((r) => [r.id, r]));
      if (this.activeRoomId) {
        const active = this.rooms.get(this.activeRoomId);
        if (active) active.unread = 0;
      }
      // Direct rooms are named after the other member.
      await Promise.all(rooms.filter((r) => r.kind === 'dm').map((r) => this.loadMembers(r.id)));
      this.emit();
    } catch (err) {
      this.setNotice(err);
    }
  }

  async openRoom(roomId: string): Promise<void> {
    this.activeRoomId = roomId;
    const room = this.rooms.get(roomId);
    if (room) room.unread = 0;
    this.emit();
    const tasks: Promise<unknown>[] = [this.loadMembers(roomId)];
    if (!this.messages.has(roomId)) tasks.push(this.loadOlder(roomId));
    await Promise.all(tasks);
    this.markRead(roomId);
  }

  /**
   * One page of history before the oldest message loaded (cursor = its seq; MLS handshakes
   * count, though they are not shown).
   */
  async loadOlder(roomId: string): Promise<void> {
    const list = this.messages.get(roomId) ?? [];
    const before = this.oldest.get(roomId) ?? list[0]?.seq;
    try {
      const page = await this.client
        .room(roomId)
        .history(before === undefined ? { limit: HISTORY_PAGE } : { before, limit: HISTORY_PAGE });
      const first = page.messages[0]?.seq;
      if (first !== undefined) this.oldest.set(roomId, Math.min(first, before ?? first));
      const shown = page.messages.filter((m) => !isHandshake(m));
      this.merge(roomId, shown);
      if (this.e2eeState === 'ready') void this.decryptAll(shown);
      this.hasOlder.set(roomId, page.hasMore);
      this.lookupNames(page.messages.map((m) => m.senderId));
      this.emit();
    } catch (err) {
      this.setNotice(err);
    }
  }

  async loadMembers(roomId: string): Promise<void> {
    try {
      const members = await this.client.rooms.members(roomId);
      const ids = members.map((m) => m.userId);
      this.members.set(roomId, ids);
      await this.lookupNames(ids);
      const presence = await this.client.presence.query({ roomId });
      for (const p of presence) this.presence.set(p.userId, p.status);
      this.emit();
    } catch (err) {
      this.setNotice(err);
    }
  }

  send(roomId: string, body: string): void {
    if (this.rooms.get(roomId)?.e2ee) return this.sendSealed(roomId, body);
    const sent = this.client.room(roomId).send(body);
    this.refreshPending();
    sent.then(
      () => this.refreshPending(),
      () => this.refreshPending(), // reported through outbox:failed
    );
  }

  async run(action: () => Promise<unknown>): Promise<boolean> {
    try {
      await action();
      return true;
    } catch (err) {
      this.setNotice(err);
      return false;
    }
  }

  markRead(roomId: string): void {
    const list = this.messages.get(roomId);
    const last = list?.[list.length - 1];
    if (!last || document.visibilityState !== 'visible') return;
    const room = this.rooms.get(roomId);
    if (room && room.readSeq >= last.seq) return;
    if (room) room.readSeq = last.seq;
    this.client
      .room(roomId)
      .markRead(last.seq)
      .catch(() => undefined); // best effort: the next message marks again
  }

  setNotice(err: unknown): void {
    this.notice = errorText(err);
    this.emit();
  }

  clearNotice(): void {
    this.notice = undefined;
    this.emit();
  }

  async lookupNames(ids: string[]): Promise<void> {
    const unknown = [...new Set(ids)].filter((id) => !this.names.has(id) && !this.asked.has(id));
    if (unknown.length === 0) return;
    for (const id of unknown) this.asked.add(id);
    try {
      for (const user of await this.client.users.get(unknown.slice(0, 100)))
        this.names.set(user.id, user.username);
      this.emit();
    } catch {
      for (const id of unknown) this.asked.delete(id); // try again next time
    }
  }

  private sendSealed(roomId: string, body: string): void {
    const key = globalThis.crypto.randomUUID();
    this.sealedPending.push({ key, roomId, body });
    this.emit();
    const done = () => {
      this.sealedPending = this.sealedPending.filter((p) => p.key !== key);
      this.refreshPending();
    };
    this.e2ee
      .then((session) => session.send(roomId, body))
      .then(done, (err: unknown) => {
        this.failed.push({ key, roomId, body, error: errorText(err) });
        done();
      });
  }

  /** Reads stored E2EE messages this browser has not read yet (history pages). */
  private async decryptAll(list: Message[]): Promise<void> {
    const session = await this.e2ee;
    const todo = list.filter(
      (m) => m.kind === 'mls-app' && !m.deleted && !this.decrypted.has(m.id),
    );
    for (const m of todo) {
      const kept = await this.keys.get(textKey(m.id)).catch(() => undefined);
      if (kept !== undefined) this.decrypted.set(m.id, { text: kept });
      else this.onDecrypted(await session.decrypt(m));
    }
    this.emit();
  }

  private onDecrypted(m: E2eeMessage): void {
    // MLS reads each message once: a second attempt (feed and history both) fails, and a
    // text already read must not turn into "can't decrypt".
    const known = this.decrypted.get(m.message.id);
    if (known && 'text' in known) return;
    this.decrypted.set(m.message.id, 'text' in m ? { text: m.text } : { reason: m.reason });
    if ('text' in m) void this.keys.set(textKey(m.message.id), m.text).catch(() => undefined);
    this.emit();
  }

  private onMessage(message: Message): void {
    if (isHandshake(message)) return; // MLS commits and welcomes: the session's business
    const room = this.rooms.get(message.roomId);
    if (!room) {
      // A room we did not know yet (a new DM, an invite that raced the list): reload.
      void this.loadRooms();
    } else {
      room.lastSeq = Math.max(room.lastSeq, message.seq);
      if (message.roomId !== this.activeRoomId && message.senderId !== this.myId) room.unread++;
    }
    if (this.messages.has(message.roomId) || message.roomId === this.activeRoomId)
      this.merge(message.roomId, [message]);
    this.lookupNames([message.senderId]);
    this.typing.get(message.roomId)?.delete(message.senderId);
    this.refreshPending();
    if (message.roomId === this.activeRoomId) this.markRead(message.roomId);
  }

  /**
   * A message that landed after later ones were shown (docs/protocol.md, "Late messages"):
   * the SDK hands it over once, apart from the ordered feed, and it takes its seq place in
   * the list. Not when it is older than the oldest message shown while older pages remain:
   * the list's first seq is the cursor for "load older", and that page will bring it.
   */
  private onLate(message: Message): void {
    if (isHandshake(message)) return;
    const list = this.messages.get(message.roomId);
    if (!list && message.roomId !== this.activeRoomId) return; // history brings it on open
    const oldest = list?.[0]?.seq;
    if (oldest !== undefined && message.seq < oldest && this.hasOlder.get(message.roomId)) return;
    this.merge(message.roomId, [message]);
    this.lookupNames([message.senderId]);
    this.emit();
  }

  private replace(message: Message): void {
    if (isHandshake(message)) return;
    if (message.deleted && message.kind !== undefined) {
      this.decrypted.delete(message.id);
      void this.keys.delete(textKey(message.id)).catch(() => undefined);
    }
    if (this.messages.has(message.roomId)) this.merge(message.roomId, [message]);
    this.emit();
  }

  private merge(roomId: string, incoming: Message[]): void {
    const byId = new Map((this.messages.get(roomId) ?? []).map((m) => [m.id, m]));
    for (const m of incoming) byId.set(m.id, m);
    this.messages.set(
      roomId,
      [...byId.values()].sort((a, b) => a.seq - b.seq),
    );
  }

  private refreshPending(): void {
    // E2EE entries carry ciphertext; their sends show from sealedPending, handshakes not at all.
    this.pending = this.client.pendingSends.filter((p) => p.kind === undefined);
    this.emit();
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }
}

export interface FailedSend {
  key: string;
  roomId: string;
  body: string;
  error: string;
}

const REASONS: Record<UndecryptableReason, string> = {
  'not-in-group': 'sent before this device joined',
  removed: 'sent after this device was removed',
  'own-message-unavailable': 'sent from this account in an earlier session',
  'decrypt-failed': 'keys missing or ciphertext damaged',
  malformed: 'not an encrypted message',
};

/** Where the text of a decrypted E2EE message is kept in the device's store. */
function textKey(messageId: string): string {
  return `text:${messageId}`;
}

function isHandshake(m: Message): boolean {
  return m.kind === 'mls-commit' || m.kind === 'mls-welcome';
}

function endReason(error: Error | undefined): string {
  if (!error) return 'Your session ended. Sign in again.';
  if (!isParleyError(error)) return `Disconnected: ${error.message}`;
  if (error.code === 'FORBIDDEN' && /banned/i.test(error.message))
    return 'Your account has been banned by an administrator.';
  if (error.code === 'UNAUTHORIZED') return 'Your session has ended. Sign in again.';
  return `Disconnected: ${error.message}`;
}
