import type { Message, PublicUser, Room, RoomMember } from '@parley/client-sdk';

/** Shapes of the admin REST answers (documented in /openapi.json and docs/admin-api.md). */
export interface AdminUser extends PublicUser {
  bannedAt: string | null;
  lastSeenAt: string | null;
}
export interface UserListing {
  users: AdminUser[];
  nextCursor: string | null;
}
export interface RoomListing {
  rooms: Room[];
  nextCursor: string | null;
}
export interface RoomDetail {
  room: Room;
  members: RoomMember[];
  lastSeq: number;
}
export interface HistoryPage {
  messages: Message[];
  nextCursor: string | null;
  scanned: number;
}
export interface AuditEntry {
  id: string;
  actorId: string;
  action: string;
  targetType: string;
  targetId: string;
  detail?: string;
  at: string;
}
