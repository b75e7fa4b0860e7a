export { registerUser, type RestCall } from './rest';
export {
  AdminApi,
  createParleyClient,
  ParleyClient,
  UsersApi,
  PresenceApi,
  RoomHandle,
  RoomsApi,
  type ClientEvents,
  type HistoryQuery,
  type ParleyClientOptions,
  type ParleyEventName,
  type ParleyEvents,
  type RequestEvent,
  type RequestOptions,
  type RequestPayload,
  type ResponseData,
  type RoomEventName,
  type RoomStats,
  type UrlSource,
} from './client';
export {
  ClientErrorCode,
  ErrorCode,
  limits,
  isParleyError,
  ParleyError,
  type ParleyErrorCode,
  type ParleyErrorOptions,
  type SendOutcome,
} from './errors';
export {
  MemoryOutboxStorage,
  WebStorageOutboxStorage,
  type OutboxEntry,
  type OutboxOptions,
  type OutboxStorage,
  type SendOptions,
  type SendStats,
  type SentMessage,
  type StorageLike,
} from './outbox';
export type { RoomStreamOptions } from './room-stream';
export type { WatchdogOptions } from './connection-watchdog';
export type { AckBatcherOptions } from './ack-batcher';
export type { BackoffOptions } from './backoff';
export { E2eeSession } from './e2ee/e2ee-session';
export type {
  E2eeEpochChange,
  E2eeMessage,
  E2eeSessionOptions,
  UndecryptableReason,
} from './e2ee/e2ee-types';
export { MemoryKeyStore, type E2eeKeyStore } from './e2ee/key-store';
export { IndexedDbKeyStore, type IdbFactory } from './e2ee/indexed-db-key-store';
export { StatusStream, type ConnectionStatus, type StatusListener } from './status';
export type { Credentials, TokenProvider } from './token-manager';

// The wire contract's types, re-exported (and inlined by the build) so apps need nothing but
// this package.
export type {
  Ack,
  ClaimedKeyPackage,
  ClientToServerEvents,
  E2eeMessageKind,
  ErrorBody,
  HistoryPage,
  LiveMetricsSnapshot,
  MemberRole,
  NodeLiveMetrics,
  Message,
  Presence,
  PresenceStatus,
  PublicUser,
  Role,
  Room,
  RoomKind,
  RoomMember,
  RoomSummary,
  ServerToClientEvents,
  TokenPair,
} from '@parley/contract';
