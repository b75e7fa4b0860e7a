import type { E2eeMessageKind, MemberRole, RoomKind } from './schemas';

export type Role = 'user' | 'admin';

export interface PublicUser {
  id: string;
  username: string;
  roles: Role[];
  createdAt: string;
}

export interface Room {
  id: string;
  kind: RoomKind;
  name: string;
  createdBy: string;
  createdAt: string;
  /** Group rooms only: anyone may `room:join` a public room; others are invite-only. */
  public?: boolean;
  /**
   * End-to-end encrypted (fixed at creation): members' SDKs encrypt with MLS (RFC 9420);
   * the server stores and relays only ciphertext and refuses plaintext bodies.
   */
  e2ee?: boolean;
}

export interface RoomMember {
  roomId: string;
  userId: string;
  role: MemberRole;
  joinedAt: string;
}

export interface RoomSummary extends Room {
  role: MemberRole;
  lastSeq: number;
  readSeq: number;
  unread: number;
}

/** How far one member has received (delivered) and read a room: delivery and read receipts. */
export interface MemberReceipt {
  userId: string;
  deliveredSeq: number;
  readSeq: number;
}

export interface Message {
  roomId: string;
  /** Per-room position: strictly increasing, may have holes, never reused. */
  seq: number;
  id: string;
  senderId: string;
  clientMsgId: string;
  /**
   * Absent: a plaintext message. E2EE rooms carry only MLS kinds, whose body is the
   * base64 of an MLSMessage the server cannot read (see docs/protocol.md, "E2EE rooms").
   */
  kind?: E2eeMessageKind;
  body: string;
  createdAt: string;
  editedAt?: string;
  deleted?: boolean;
  deletedAt?: string;
}

export interface HistoryPage {
  messages: Message[];
  /** Whether more messages lie beyond this page in the direction asked. */
  hasMore: boolean;
  /**
   * On `after` pages: every seq at or below this is settled — in history, or never to
   * exist (a hole). Seqs above it may still be on their way (writes finish out of order).
   */
  stableSeq?: number;
}

export type PresenceStatus = 'online' | 'offline';
export interface Presence {
  userId: string;
  status: PresenceStatus;
  lastSeenAt?: string;
}

export interface TokenPair {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshToken: string;
  refreshTokenExpiresAt: string;
  user: PublicUser;
}

/** One KeyPackage handed out by `keys:claim`: it is never handed out again. */
export interface ClaimedKeyPackage {
  userId: string;
  deviceId: string;
  /** base64 of an MLSMessage (wire format mls_key_package). */
  keyPackage: string;
}
