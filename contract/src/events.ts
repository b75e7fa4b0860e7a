import type { AckCallback } from './ack';
import type { ErrorCode } from './errors';
import type { E2eeMessageKind } from './schemas';
import type {
  ClaimedKeyPackage,
  HistoryPage,
  MemberReceipt,
  Message,
  Presence,
  Room,
  RoomMember,
  RoomSummary,
} from './models';

/**
 * The request table, types half: every client request, its payload and its ack data.
 * `requestSchemas` (schemas.ts) holds the runtime half, one zod schema per entry, and the
 * compiler checks that each schema parses to exactly this payload type. Both the event map
 * below and the server's `handleRequest` are derived from this table, so a handler cannot
 * be wired to the wrong schema. Kept free of zod so type-only consumers (the SDK's
 * declarations) need nothing else.
 */
export interface Requests {
  'room:create': {
    payload: { name: string; memberIds?: string[]; public?: boolean; e2ee?: boolean };
    result: Room;
  };
  'room:join': { payload: { roomId: string }; result: RoomSummary };
  'room:leave': { payload: { roomId: string }; result: { roomId: string } };
  'room:invite': {
    payload: { roomId: string; userIds: string[] };
    result: { roomId: string; added: string[] };
  };
  'room:members': { payload: { roomId: string }; result: RoomMember[] };
  /** How far each member has received and read (delivery and read receipts). */
  'room:receipts': {
    payload: { roomId: string };
    result: { roomId: string; receipts: MemberReceipt[]; truncated: boolean };
  };
  'room:list': { payload: Record<string, never> | undefined; result: RoomSummary[] };
  /** `e2ee: true` opens the pair's end-to-end encrypted DM, a room apart from the plain one. */
  'dm:open': { payload: { userId: string; e2ee?: boolean }; result: Room };
  'message:send': {
    payload: {
      roomId: string;
      clientMsgId: string;
      body: string;
      attempt?: number;
      /** Required in E2EE rooms (body = base64 MLSMessage), refused elsewhere. */
      kind?: E2eeMessageKind;
    };
    result: Message;
  };
  'message:edit': { payload: { roomId: string; seq: number; body: string }; result: Message };
  'message:delete': { payload: { roomId: string; seq: number }; result: Message };
  'history:fetch': {
    payload: { roomId: string; before?: number; after?: number; limit?: number };
    result: HistoryPage;
  };
  'delivery:ack': {
    payload: { acks: { roomId: string; seq: number }[] };
    result: { accepted: number };
  };
  'read:mark': {
    payload: { roomId: string; seq: number };
    result: { roomId: string; readSeq: number };
  };
  'typing:set': { payload: { roomId: string; typing: boolean }; result: null };
  'presence:query': { payload: { userIds?: string[]; roomId?: string }; result: Presence[] };
  'auth:refresh': { payload: { token: string }; result: { expiresAt: string } };
  /**
   * Key directory (E2EE): stores MLS KeyPackages of one of the caller's devices. Bounded per
   * device (`limits.keyPackagesPerDeviceMax`) and per user (`limits.devicesPerUserMax`).
   */
  'keys:upload': {
    payload: { deviceId: string; keyPackages: string[] };
    result: { deviceId: string; remaining: number };
  };
  /** How many unclaimed KeyPackages one of the caller's devices has left (replenish below a floor). */
  'keys:count': { payload: { deviceId: string }; result: { deviceId: string; remaining: number } };
  /**
   * Hands out one KeyPackage per device of each user, each at most once ever (claim-once).
   * The caller must be a member of `roomId`, an E2EE room; `skipDeviceIds` are devices
   * already in the group. Devices with none left are listed in `exhausted`.
   */
  'keys:claim': {
    payload: { roomId: string; userIds: string[]; skipDeviceIds?: string[] };
    result: {
      packages: ClaimedKeyPackage[];
      exhausted: { userId: string; deviceId: string }[];
    };
  };
}
export type RequestEvent = keyof Requests;
export type RequestPayloadOf<E extends RequestEvent> = Requests[E]['payload'];
export type RequestResultOf<E extends RequestEvent> = Requests[E]['result'];

/** Requests a client may send; every one is answered through its ack. Derived from `Requests`. */
export type ClientToServerEvents = {
  [E in RequestEvent]: (payload: RequestPayloadOf<E>, ack: AckCallback<RequestResultOf<E>>) => void;
};

/** Why the user is no longer a member of a room (`room:removed`). */
export type RoomRemovedReason = 'left' | 'kicked' | 'banned';

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
  'room:removed': (info: { roomId: string; reason: RoomRemovedReason }) => void;
  /** Pub/sub may have lost events: fetch history after your last position for every room. */
  'sync:required': (info: { reason: string }) => void;
  'auth:expired': (info: { graceMs: number }) => void;
  /** The node is draining: reconnect (possibly to another node). */
  'server:draining': (info: { reconnectInMs: number }) => void;
  /** A request that could not be answered through an ack (it came without a callback). */
  'error:raised': (error: { code: ErrorCode; message: string; event?: string }) => void;
  /** Admin namespace (`/admin-live`) only: the cluster's live figures, about once a second. */
  'metrics:updated': (snapshot: LiveMetricsSnapshot) => void;
}

export interface InterServerEvents {
  ping: () => void;
  /** Admin overview: every node answers with its own figures (see GET /admin/overview). */
  'overview:collect': (reply: (report: NodeOverviewReport) => void) => void;
  /** Live dashboard: every node answers with its last one-second window. */
  'metrics:collect': (reply: (report: NodeLiveMetrics) => void) => void;
  /**
   * Membership change: every node puts (or takes) the local sockets of these users in (or
   * out of) the room's channel, then answers, so the sender knows every node applied it
   * before it broadcasts into the room (see realtime/socket-io-fanout.ts).
   */
  'channel:update': (
    change: { userIds: string[]; roomId: string; op: 'join' | 'leave' },
    reply: (applied: true) => void,
  ) => void;
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
