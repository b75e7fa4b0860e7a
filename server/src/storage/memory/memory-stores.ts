import type { MemberRole, Message, Role, Room, RoomMember } from '@parley/contract';
import { bodyHash, type SendBinding, type SendKey } from '../../ports/send-binding';
import type {
  AuditEntry,
  AuditStore,
  KeyDirectoryStore,
  CursorStore,
  MemberCursors,
  MessageStore,
  RefreshTokenRecord,
  RoomExclusion,
  RoomStore,
  Stores,
  TokenStore,
  UserMessagePosition,
  UserRecord,
  UserStore,
} from '../types';

/** In-process stores for the embedded engine and unit tests. Not durable. */
export function createMemoryStores(): Stores {
  return {
    users: new MemoryUserStore(),
    tokens: new MemoryTokenStore(),
    rooms: new MemoryRoomStore(),
    messages: new MemoryMessageStore(),
    cursors: new MemoryCursorStore(),
    audit: new MemoryAuditStore(),
    keys: new MemoryKeyDirectoryStore(),
    ping: async () => true,
    close: async () => undefined,
  };
}

const clone = <T>(value: T): T => structuredClone(value);

/** Id order stands in for Cassandra's token order: stable, unrelated to names or time. */
function afterScan<T extends { id: string }>(
  items: T[],
  afterId: string | undefined,
  limit: number,
) {
  return items
    .filter((item) => afterId === undefined || item.id > afterId)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, limit);
}

class MemoryUserStore implements UserStore {
  private readonly byId = new Map<string, UserRecord>();
  private readonly idByName = new Map<string, string>();

  async createUser(user: UserRecord) {
    const key = user.username.toLowerCase();
    if (this.idByName.has(key)) return 'username_taken' as const;
    this.idByName.set(key, user.id);
    this.byId.set(user.id, clone(user));
    return 'created' as const;
  }
  async findUserById(id: string) {
    const user = this.byId.get(id);
    return user && clone(user);
  }
  async findUserByUsername(username: string) {
    const id = this.idByName.get(username.toLowerCase());
    return id === undefined ? undefined : this.findUserById(id);
  }
  async updatePasswordHash(id: string, passwordHash: string) {
    this.patch(id, { passwordHash });
  }
  async setUserRoles(id: string, roles: Role[]) {
    this.patch(id, { roles: [...new Set(roles)].sort() });
  }
  async setUserBanned(id: string, bannedAt: Date | undefined) {
    this.patch(id, { bannedAt });
  }
  async scanUsers(afterId: string | undefined, limit: number) {
    return afterScan([...this.byId.values()], afterId, limit).map(clone);
  }
  async recordLastSeen(id: string, at: Date) {
    this.patch(id, { lastSeenAt: at });
  }
  private patch(id: string, fields: Partial<UserRecord>) {
    const user = this.byId.get(id);
    if (user) this.byId.set(id, { ...user, ...fields });
  }
}

class MemoryTokenStore implements TokenStore {
  private readonly tokens = new Map<string, RefreshTokenRecord & { rotatedAt?: Date }>();
  private readonly revokedFamilies = new Set<string>();

  async saveRefreshToken(token: RefreshTokenRecord) {
    this.tokens.set(token.tokenHash, clone(token));
  }
  async findRefreshToken(tokenHash: string) {
    const token = this.tokens.get(tokenHash);
    return token && clone(token);
  }
  async claimRefreshTokenRotation(tokenHash: string, at: Date) {
    const token = this.tokens.get(tokenHash);
    if (!token || token.rotatedAt) return false;
    token.rotatedAt = at;
    return true;
  }
  async revokeTokenFamily(familyId: string) {
    this.revokedFamilies.add(familyId);
  }
  async isTokenFamilyRevoked(familyId: string) {
    return this.revokedFamilies.has(familyId);
  }
}

class MemoryRoomStore implements RoomStore {
  private readonly rooms = new Map<string, Room>();
  private readonly members = new Map<string, Map<string, RoomMember>>();
  private readonly directRooms = new Map<string, string>();

  async createRoom(room: Room, members: { userId: string; role: MemberRole }[]) {
    this.rooms.set(room.id, clone(room));
    for (const m of members)
      await this.addMember(room.id, m.userId, m.role, new Date(room.createdAt));
  }
  async findRoom(roomId: string) {
    const room = this.rooms.get(roomId);
    return room && clone(room);
  }
  async scanRooms(afterId: string | undefined, limit: number) {
    return afterScan([...this.rooms.values()], afterId, limit).map(clone);
  }
  async findOrCreateDirectRoom(room: Room, userA: string, userB: string) {
    const key = [...[userA, userB].sort(), room.e2ee === true ? 'e2ee' : 'plain'].join(':');
    const existing = this.directRooms.get(key);
    if (existing) return clone(this.rooms.get(existing) as Room);
    this.directRooms.set(key, room.id);
    await this.createRoom(room, [
      { userId: userA, role: 'member' },
      { userId: userB, role: 'member' },
    ]);
    return clone(room);
  }
  private readonly exclusions = new Map<string, RoomExclusion>();

  async addMembers(
    roomId: string,
    members: { userId: string; role: MemberRole }[],
    joinedAt: Date,
  ) {
    for (const m of members) await this.addMember(roomId, m.userId, m.role, joinedAt);
  }
  async excludeMember(roomId: string, exclusion: RoomExclusion) {
    this.exclusions.set(`${roomId}:${exclusion.userId}`, clone(exclusion));
  }
  async findExclusion(roomId: string, userId: string) {
    const found = this.exclusions.get(`${roomId}:${userId}`);
    return found && clone(found);
  }
  async clearExclusion(roomId: string, userId: string) {
    this.exclusions.delete(`${roomId}:${userId}`);
  }
  async addMember(roomId: string, userId: string, role: MemberRole, joinedAt: Date) {
    const roomMembers = this.members.get(roomId) ?? new Map<string, RoomMember>();
    roomMembers.set(userId, { roomId, userId, role, joinedAt: joinedAt.toISOString() });
    this.members.set(roomId, roomMembers);
  }
  async removeMember(roomId: string, userId: string) {
    this.members.get(roomId)?.delete(userId);
  }
  async findMember(roomId: string, userId: string) {
    const member = this.members.get(roomId)?.get(userId);
    return member && clone(member);
  }
  async listMembers(roomId: string) {
    return [...(this.members.get(roomId)?.values() ?? [])].map(clone);
  }
  async listRoomsOfUser(userId: string) {
    const result: { roomId: string; role: MemberRole; joinedAt: string }[] = [];
    for (const [roomId, roomMembers] of this.members) {
      const m = roomMembers.get(userId);
      if (m) result.push({ roomId, role: m.role, joinedAt: m.joinedAt });
    }
    return result;
  }
}

class MemoryMessageStore implements MessageStore {
  /** Per room, sorted by seq ascending. */
  private readonly byRoom = new Map<string, Message[]>();
  /** The durable bindings, like Cassandra's message_dedupe table. */
  private readonly bindings = new Map<string, SendBinding>();
  /** Per sender, newest first; the same objects as in byRoom, so edits show in both. */
  private readonly bySender = new Map<string, Message[]>();

  async appendMessage(message: Message) {
    const key = clientKey(message.roomId, message.senderId, message.clientMsgId);
    if (!this.bindings.has(key)) {
      const { seq, id, createdAt } = message;
      this.bindings.set(key, { seq, id, createdAt, bodyHash: bodyHash(message.body) });
    }
    // A rewrite of the same message (a retry of one binding) changes nothing, like
    // Cassandra's same-values, same-write-time rewrite: a later edit or delete stays.
    const list = this.byRoom.get(message.roomId) ?? [];
    if (list.some((m) => m.seq === message.seq && m.id === message.id)) return;
    const stored = clone(message);
    const at = list.findIndex((m) => m.seq > message.seq);
    if (at === -1) list.push(stored);
    else list.splice(at, 0, stored);
    this.byRoom.set(message.roomId, list);
    const mine = this.bySender.get(message.senderId) ?? [];
    const place = mine.findIndex((m) => compareUserPosition(m, stored) < 0);
    if (place === -1) mine.push(stored);
    else mine.splice(place, 0, stored);
    this.bySender.set(message.senderId, mine);
  }
  async decideSendBinding(key: SendKey, proposal: SendBinding) {
    const k = clientKey(key.roomId, key.senderId, key.clientMsgId);
    const existing = this.bindings.get(k);
    if (existing) return { ...existing };
    this.bindings.set(k, { ...proposal });
    return proposal;
  }
  async findMessageAt(roomId: string, seq: number, id: string) {
    const message = this.byRoom.get(roomId)?.find((m) => m.seq === seq && m.id === id);
    return message && clone(message);
  }
  async findMessageByClientMsgId(roomId: string, senderId: string, clientMsgId: string) {
    const ref = this.bindings.get(clientKey(roomId, senderId, clientMsgId));
    return ref && this.findMessageAt(roomId, ref.seq, ref.id);
  }
  async findMessage(roomId: string, seq: number) {
    const message = this.byRoom.get(roomId)?.find((m) => m.seq === seq);
    return message && clone(message);
  }
  async listMessagesBefore(roomId: string, beforeSeq: number | undefined, limit: number) {
    const list = this.byRoom.get(roomId) ?? [];
    return list
      .filter((m) => beforeSeq === undefined || m.seq < beforeSeq)
      .slice(-limit)
      .reverse()
      .map(clone);
  }
  async listMessagesAfter(roomId: string, afterSeq: number, limit: number) {
    const list = this.byRoom.get(roomId) ?? [];
    return list
      .filter((m) => m.seq > afterSeq)
      .slice(0, limit)
      .map(clone);
  }
  async findLatestSeq(roomId: string) {
    return this.byRoom.get(roomId)?.at(-1)?.seq ?? 0;
  }
  async listTail(roomId: string, limit: number) {
    return (this.byRoom.get(roomId) ?? [])
      .slice(-limit)
      .reverse()
      .map((m) => ({ seq: m.seq, senderId: m.senderId, deleted: m.deleted === true }));
  }
  async editMessage(roomId: string, seq: number, body: string, editedAt: Date) {
    return this.patch(roomId, seq, { body, editedAt: editedAt.toISOString() });
  }
  async markMessageDeleted(roomId: string, seq: number, deletedAt: Date) {
    return this.patch(roomId, seq, { deleted: true, deletedAt: deletedAt.toISOString() });
  }
  async listMessagesOfUser(userId: string, before: UserMessagePosition | undefined, limit: number) {
    const mine = this.bySender.get(userId) ?? [];
    const start = before ? mine.findIndex((m) => compareUserPosition(m, before) < 0) : 0;
    return start === -1 ? [] : mine.slice(start, start + limit).map(clone);
  }
  private patch(roomId: string, seq: number, fields: Partial<Message>) {
    const message = this.byRoom.get(roomId)?.find((m) => m.seq === seq);
    if (!message) return undefined;
    Object.assign(message, fields);
    return clone(message);
  }
}

/** Orders like Cassandra's messages_by_user clustering: createdAt, then id. */
function compareUserPosition(a: UserMessagePosition, b: UserMessagePosition): number {
  const byTime = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const clientKey = (roomId: string, senderId: string, clientMsgId: string) =>
  `${roomId}:${senderId}:${clientMsgId}`;

class MemoryCursorStore implements CursorStore {
  /** Per room, per user. */
  private readonly cursors = new Map<string, Map<string, MemberCursors>>();

  async writeCursors(
    userId: string,
    roomId: string,
    cursors: { deliveredSeq?: number; readSeq?: number },
  ) {
    let room = this.cursors.get(roomId);
    if (!room) this.cursors.set(roomId, (room = new Map()));
    const c = room.get(userId) ?? { roomId, deliveredSeq: 0, readSeq: 0 };
    if (cursors.deliveredSeq !== undefined) c.deliveredSeq = cursors.deliveredSeq;
    if (cursors.readSeq !== undefined) c.readSeq = cursors.readSeq;
    room.set(userId, c);
  }
  async findCursors(userId: string, roomId: string) {
    return clone(this.cursors.get(roomId)?.get(userId) ?? { roomId, deliveredSeq: 0, readSeq: 0 });
  }
  async listCursorsOfRoom(roomId: string, limit: number) {
    return [...(this.cursors.get(roomId) ?? new Map<string, MemberCursors>())]
      .slice(0, limit)
      .map(([userId, c]) => ({ ...clone(c), userId }));
  }
}

class MemoryAuditStore implements AuditStore {
  private readonly entries: AuditEntry[] = [];
  async appendAudit(entry: AuditEntry) {
    this.entries.push(clone(entry));
  }
  async listAuditEntries(limit: number) {
    return this.entries.slice(-limit).reverse().map(clone);
  }
}

class MemoryKeyDirectoryStore implements KeyDirectoryStore {
  /** user → device → unclaimed packages, oldest first. */
  private readonly byUser = new Map<string, Map<string, string[]>>();

  async listDevices(userId: string) {
    return [...(this.byUser.get(userId) ?? new Map<string, string[]>())].map(
      ([deviceId, packages]) => ({ deviceId, remaining: packages.length }),
    );
  }
  async addKeyPackages(userId: string, deviceId: string, keyPackages: string[]) {
    const devices = this.byUser.get(userId) ?? new Map<string, string[]>();
    this.byUser.set(userId, devices);
    devices.set(deviceId, [...(devices.get(deviceId) ?? []), ...keyPackages]);
  }
  async countKeyPackages(userId: string, deviceId: string) {
    return this.byUser.get(userId)?.get(deviceId)?.length ?? 0;
  }
  async claimKeyPackage(userId: string, deviceId: string) {
    // Synchronous take: one event loop, so no two claimers can get the same package.
    return this.byUser.get(userId)?.get(deviceId)?.shift();
  }
}
