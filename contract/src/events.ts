import type { AckCallback } from './ack';
import type { ErrorCode } from './errors';
import type { HistoryPage, Message, Presence, Room, RoomMember, RoomSummary } from './models';

type Req<P, R> = (payload: P, ack: AckCallback<R>) => void;

/** Requests a client may send; every one is answered through its ack. */
export interface ClientToServerEvents {
  'room:create': Req<{ name: string; memberIds?: string[] }, Room>;
  'room:join': Req<{ roomId: string }, RoomSummary>;
  'room:leave': Req<{ roomId: string }, { roomId: string }>;
  'room:invite': Req<{ roomId: string; userIds: string[] }, { roomId: string; added: string[] }>;
  'room:members': Req<{ roomId: string }, RoomMember[]>;
  'room:list': Req<Record<string, never>, RoomSummary[]>;
  'dm:open': Req<{ userId: string }, Room>;
  'message:send': Req<
    { roomId: string; clientMsgId: string; body: string; attempt?: number },
    Message
  >;
  'message:edit': Req<{ roomId: string; seq: number; body: string }, Message>;
  'message:delete': Req<{ roomId: string; seq: number }, Message>;
  'history:fetch': Req<
    { roomId: string; before?: number; after?: number; limit?: number },
    HistoryPage
  >;
  'delivery:ack': Req<{ acks: { roomId: string; seq: number }[] }, { accepted: number }>;
  'read:mark': Req<{ roomId: string; seq: number }, { roomId: string; readSeq: number }>;
  'typing:set': Req<{ roomId: string; typing: boolean }, null>;
  'presence:query': Req<{ userIds?: string[]; roomId?: string }, Presence[]>;
  'auth:refresh': Req<{ token: string }, { expiresAt: string }>;
}

/** Events the server pushes; names are past tense. */
export interface ServerToClientEvents {
  'message:created': (message: Message) => void;
  'message:updated': (message: Message) => void;
  'message:deleted': (message: Message) => void;
  'read:updated': (receipt: { roomId: string; userId: string; readSeq: number }) => void;
  'typing:changed': (typing: { roomId: string; userId: string; typing: boolean }) => void;
  'presence:changed': (presence: Presence) => void;
  'member:joined': (member: RoomMember) => void;
  'member:left': (member: { roomId: string; userId: string }) => void;
  /**
   * On the user's own channel (every socket of the user, every node): the user was added
   * to a room (created with them, invited, DM opened). The summary's `lastSeq` is the
   * position to start the room's ordered feed from.
   */
  'room:added': (summary: RoomSummary) => void;
  /** On the user's own channel: the user is no longer a member (left, kicked, banned). */
  'room:removed': (info: { roomId: string; reason: 'left' | 'kicked' | 'banned' }) => void;
  /** Pub/sub may have lost events: fetch history after your last position for every room. */
  'sync:required': (info: { reason: string }) => void;
  'auth:expired': (info: { graceMs: number }) => void;
  /** The node is draining: reconnect (possibly to another node). */
  'server:draining': (info: { reconnectInMs: number }) => void;
  'error:raised': (error: { code: ErrorCode; message: string }) => void;
  /** Admin namespace (`/admin-live`) only: the cluster's live figures, about once a second. */
  'metrics:updated': (snapshot: LiveMetricsSnapshot) => void;
}

export interface InterServerEvents {
  ping: () => void;
  /** Admin overview: every node answers with its own figures (see GET /admin/overview). */
  'overview:collect': (reply: (report: NodeOverviewReport) => void) => void;
  /** Live dashboard: every node answers with its last one-second window. */
  'metrics:collect': (reply: (report: NodeLiveMetrics) => void) => void;
}

/** Upper bounds (ms) of the fan-out latency histogram buckets; the last one is open-ended. */
export const FANOUT_LATENCY_BUCKETS_MS = [
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000,
] as const;

/** One node's figures over its last closed one-second window. */
export interface NodeLiveMetrics {
  nodeId: string;
  connections: number;
  deliveriesPerSecond: number;
  errorsPerSecond: number;
  /** Counts per FANOUT_LATENCY_BUCKETS_MS bucket, plus one for slower deliveries. */
  fanoutLatencyCounts: number[];
  uptimeSeconds: number;
}

/** What the admin dashboard receives: every node that answered, and cluster totals. */
export interface LiveMetricsSnapshot {
  at: string;
  nodes: NodeLiveMetrics[];
  /** Some node did not answer in time: totals are a lower bound. */
  partial: boolean;
  totals: {
    nodes: number;
    connections: number;
    deliveriesPerSecond: number;
    errorsPerSecond: number;
    /** Fan-out latency percentiles (stored → written to the socket), ms; null with no deliveries. */
    fanoutLatencyMs: { p50: number | null; p95: number | null; p99: number | null };
  };
}

/** One node's answer to `overview:collect`. Id lists are capped; `idsTruncated` says so. */
export interface NodeOverviewReport {
  nodeId: string;
  connections: number;
  onlineUserIds: string[];
  activeRoomIds: string[];
  idsTruncated: boolean;
  messagesStoredTotal: number;
  messagesPerSecond: number;
  uptimeSeconds: number;
}

/** What the server keeps on each authenticated socket. */
export interface SocketData {
  userId: string;
  username: string;
  roles: string[];
  sessionId: string;
  tokenExpiresAt: number;
}
