import type { MemberRole, Message, Role, Room, RoomMember } from '@parley/contract';
import type { SendBinding, SendKey } from '../ports/send-binding';

/** Storage is described in domain operations; Cassandra and memory both implement them. */

export interface UserRecord {
  id: string;
  username: string;
  passwordHash: string;
  roles: Role[];
  createdAt: Date;
  bannedAt?: Date;
  lastSeenAt?: Date;
}

export interface UserStore {
  /** Claims the username cluster-wide; 'username_taken' when anyone already holds it. */
  createUser(user: UserRecord): Promise<'created' | 'username_taken'>;
  findUserById(id: string): Promise<UserRecord | undefined>;
  findUserByUsername(username: string): Promise<UserRecord | undefined>;
  updatePasswordHash(id: string, passwordHash: string): Promise<void>;
  setUserRoles(id: string, roles: Role[]): Promise<void>;
  setUserBanned(id: string, bannedAt: Date | undefined): Promise<void>;
  recordLastSeen(id: string, at: Date): Promise<void>;
  /**
   * Walks every user in a stable storage order (the admin console's listing): up to
   * `limit` users after the one with id `afterId` (from the start when undefined).
   */
  scanUsers(afterId: string | undefined, limit: number): Promise<UserRecord[]>;
}

export interface RefreshTokenRecord {
  tokenHash: string;
  familyId: string;
  userId: string;
  expiresAt: Date;
}

export interface TokenStore {
  saveRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshToken(
    tokenHash: string,
  ): Promise<(RefreshTokenRecord & { rotatedAt?: Date }) | undefined>;
  /** Marks the token used; false when another request rotated it first (a reuse). */
  claimRefreshTokenRotation(tokenHash: string, at: Date): Promise<boolean>;
  revokeTokenFamily(familyId: string, userId: string, at: Date): Promise<void>;
  isTokenFamilyRevoked(familyId: string): Promise<boolean>;
}

/** Why a user may not come back to a room on their own. */
export type ExclusionReason = 'kicked' | 'banned';
export interface RoomExclusion {
  userId: string;
  reason: ExclusionReason;
  at: Date;
}

export interface RoomStore {
  /** The room and all its first members, all or nothing (one logged batch). */
  createRoom(room: Room, members: { userId: string; role: MemberRole }[]): Promise<void>;
  findRoom(roomId: string): Promise<Room | undefined>;
  /** The one DM room of a pair: returns the existing room when one was created first. */
  findOrCreateDirectRoom(room: Room, userA: string, userB: string): Promise<Room>;
  addMember(roomId: string, userId: string, role: MemberRole, joinedAt: Date): Promise<void>;
  /** Adds several members all or nothing (one logged batch). */
  addMembers(
    roomId: string,
    members: { userId: string; role: MemberRole }[],
    joinedAt: Date,
  ): Promise<void>;
  /** Records that the user was kicked or banned from the room (refuses a self-rejoin). */
  excludeMember(roomId: string, exclusion: RoomExclusion): Promise<void>;
  findExclusion(roomId: string, userId: string): Promise<RoomExclusion | undefined>;
  /** Lifts an exclusion (the owner invited the user back). */
  clearExclusion(roomId: string, userId: string): Promise<void>;
  removeMember(roomId: string, userId: string): Promise<void>;
  findMember(roomId: string, userId: string): Promise<RoomMember | undefined>;
  listMembers(roomId: string): Promise<RoomMember[]>;
  listRoomsOfUser(
    userId: string,
  ): Promise<{ roomId: string; role: MemberRole; joinedAt: string }[]>;
  /** Like scanUsers: every room in a stable storage order, `limit` after room `afterId`. */
  scanRooms(afterId: string | undefined, limit: number): Promise<Room[]>;
}

/** One message of a room's tail: enough to count unread messages. */
export interface MessageTailEntry {
  seq: number;
  senderId: string;
  deleted: boolean;
}

export interface MessageStore {
  /**
   * Stores a message and its binding (dedupe record) atomically. Never overwrites another
   * message, even one with the same seq. Idempotent: writing the same message again
   * (a retry of the same binding) changes nothing, and never undoes a later edit or
   * delete. Rejects with WriteNotAppliedError only when the write certainly did not
   * happen; any other rejection means it may have been applied.
   */
  appendMessage(message: Message): Promise<void>;
  /**
   * Decides the binding of a send durably (compare-and-set on the dedupe record): returns
   * `proposal` when no binding existed, else the existing one. Used when the fast binding
   * store may have lost it. createdAt/bodyHash are '' for records older than the field.
   * Rejects like appendMessage: WriteNotAppliedError only when nothing was decided.
   */
  decideSendBinding(key: SendKey, proposal: SendBinding): Promise<SendBinding>;
  /** The message of one binding (seq and id), in its current state. */
  findMessageAt(roomId: string, seq: number, id: string): Promise<Message | undefined>;
  findMessageByClientMsgId(
    roomId: string,
    senderId: string,
    clientMsgId: string,
  ): Promise<Message | undefined>;
  findMessage(roomId: string, seq: number): Promise<Message | undefined>;
  /** Newest first, strictly below `beforeSeq` (or from the newest when undefined). */
  listMessagesBefore(
    roomId: string,
    beforeSeq: number | undefined,
    limit: number,
  ): Promise<Message[]>;
  /** Oldest first, strictly above `afterSeq`. */
  listMessagesAfter(roomId: string, afterSeq: number, limit: number): Promise<Message[]>;
  /** Highest stored seq, 0 when the room has none: seeds the sequence counter. */
  findLatestSeq(roomId: string): Promise<number>;
  /**
   * The newest `limit` messages, newest first, without their text: what a room summary
   * needs (last seq, unread count) in one read instead of a latest-seq read plus a page.
   */
  listTail(roomId: string, limit: number): Promise<MessageTailEntry[]>;
  editMessage(
    roomId: string,
    seq: number,
    body: string,
    editedAt: Date,
  ): Promise<Message | undefined>;
  markMessageDeleted(roomId: string, seq: number, deletedAt: Date): Promise<Message | undefined>;
  /**
   * One sender's messages across all rooms, newest first by (createdAt, id), strictly
   * after `before` in that order (or from the newest when undefined). Edits and soft
   * deletes show here as in the room's history.
   */
  listMessagesOfUser(
    userId: string,
    before: UserMessagePosition | undefined,
    limit: number,
  ): Promise<Message[]>;
}

/** A place in a sender's message list: createdAt then id, both immutable. */
export interface UserMessagePosition {
  createdAt: string;
  id: string;
}

export interface MemberCursors {
  roomId: string;
  deliveredSeq: number;
  readSeq: number;
}

export interface CursorStore {
  /**
   * Writes the given cursors as they are; absent fields are left alone. Ordering is the
   * message service's job (forward only, bounded by the room's last seq), so a value can
   * also be lowered: a cursor above the room's end is repaired by the next write.
   */
  writeCursors(
    userId: string,
    roomId: string,
    cursors: { deliveredSeq?: number; readSeq?: number },
  ): Promise<void>;
  findCursors(userId: string, roomId: string): Promise<MemberCursors>;
  /** Cursors of the room's members (receipts), at most `limit`, in no particular order. */
  listCursorsOfRoom(roomId: string, limit: number): Promise<(MemberCursors & { userId: string })[]>;
}

export interface AuditEntry {
  id: string;
  actorId: string;
  action: string;
  targetType: string;
  targetId: string;
  detail?: string;
  at: Date;
}

export interface AuditStore {
  appendAudit(entry: AuditEntry): Promise<void>;
  listAuditEntries(limit: number): Promise<AuditEntry[]>;
}

/**
 * The E2EE key directory: unclaimed MLS KeyPackages per user and device. The server never
 * reads a package; it only hands each one out at most once.
 */
export interface KeyDirectoryStore {
  /** Every device that ever uploaded for the user, with its unclaimed package count. */
  listDevices(userId: string): Promise<{ deviceId: string; remaining: number }[]>;
  /** Stores the packages (and registers the device). Not idempotent: each call adds rows. */
  addKeyPackages(userId: string, deviceId: string, keyPackages: string[]): Promise<void>;
  countKeyPackages(userId: string, deviceId: string): Promise<number>;
  /**
   * Takes one of the device's oldest unclaimed packages out of the directory, atomically: of any
   * number of concurrent claimers (on any node), exactly one gets a given package.
   * Undefined when the device has none left.
   */
  claimKeyPackage(userId: string, deviceId: string): Promise<string | undefined>;
}

export interface Stores {
  users: UserStore;
  tokens: TokenStore;
  rooms: RoomStore;
  messages: MessageStore;
  cursors: CursorStore;
  audit: AuditStore;
  keys: KeyDirectoryStore;
  /** Whether the backing store answers; drives /readyz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
