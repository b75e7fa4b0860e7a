import { z } from 'zod';
import type { RequestEvent, RequestPayloadOf } from './events';

/** Hard caps shared by server and SDK so both reject the same input. */
export const limits = {
  usernameMin: 3,
  usernameMax: 32,
  passwordMin: 10,
  passwordMax: 256,
  roomNameMax: 100,
  messageBodyMaxChars: 4000,
  historyPageMax: 100,
  historyPageDefault: 50,
  presenceQueryMaxIds: 200,
  ackBatchMaxRooms: 100,
  inviteMaxUsers: 50,
  /** Receipts returned by one `room:receipts` (members beyond it: `truncated: true`). */
  receiptsMax: 1000,
  /** An error ack names at most this many offending fields... */
  errorIssuesMax: 10,
  /** ...and no message (top-level or per field) is longer than this. */
  errorMessageMaxChars: 200,
  /** So no error ack, serialized, exceeds this many bytes. */
  errorAckMaxBytes: 4096,
  /**
   * Body of an E2EE message (base64 MLSMessage). Larger than a plaintext body: a 4000-char
   * text is up to 16 KB of UTF-8 before MLS framing, and a Welcome carries the ratchet tree
   * (about 300 bytes per member). Below the default socket frame cap (64 KiB,
   * MAX_SOCKET_PAYLOAD_BYTES) with room for the envelope.
   */
  e2eeBodyMaxChars: 60_000,
  /** One base64 KeyPackage (a basic-credential X25519/Ed25519 one is about 450 chars). */
  keyPackageMaxChars: 4096,
  keyPackagesPerUploadMax: 50,
  /** Unclaimed KeyPackages kept per device; an upload beyond it is refused (CONFLICT). */
  keyPackagesPerDeviceMax: 100,
  /** Devices per user with KeyPackages in the directory. */
  devicesPerUserMax: 10,
  deviceIdMaxChars: 64,
  claimMaxUsers: 50,
} as const;

/**
 * Text that UTF-8 can carry as it is: no lone UTF-16 surrogate. Such a string cannot be
 * stored faithfully (it would come back as U+FFFD), so it is refused rather than acked as
 * one thing and stored as another. With the `u` flag a paired surrogate is one code point
 * and does not match; only an unpaired one does.
 */
const wellFormed = (text: string) => !/\p{Surrogate}/u.test(text);
const wellFormedMessage = 'contains an unpaired UTF-16 surrogate';

export const uuid = z.uuid();
export const roomId = z.uuid();
export const userId = z.uuid();
/** Per-room position; JSON-safe integer (2^53 messages per room is plenty). */
export const seq = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const username = z
  .string()
  .min(limits.usernameMin)
  .max(limits.usernameMax)
  .regex(/^[a-zA-Z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only');
export const password = z.string().min(limits.passwordMin).max(limits.passwordMax);

export const credentialsSchema = z.object({ username, password }).strict();
const refreshToken = z.string().min(1).max(512);
export const refreshRequestSchema = z.object({ refreshToken }).strict();
/** Logout takes the refresh token, a bearer access token, or both. */
export const logoutRequestSchema = z.object({ refreshToken: refreshToken.optional() }).strict();

// Plain unions, so type-only consumers (the SDK's declarations) do not pull in zod.
export type RoomKind = 'group' | 'dm';
export const roomKind = z.enum(['group', 'dm'] satisfies RoomKind[]);
export type MemberRole = 'owner' | 'member';
export const memberRole = z.enum(['owner', 'member'] satisfies MemberRole[]);

/**
 * MLS messages as room events, all in the room's one seq order so every member applies
 * commits in the same order: `mls-app` (application message), `mls-commit` (a Commit,
 * advancing the epoch), `mls-welcome` (a Welcome for the members a commit added).
 */
export type E2eeMessageKind = 'mls-app' | 'mls-commit' | 'mls-welcome';
export const e2eeMessageKind = z.enum([
  'mls-app',
  'mls-commit',
  'mls-welcome',
] satisfies E2eeMessageKind[]);
/** Standard base64 with padding: the server checks the shape and size, never the content. */
const base64Body = (max: number) =>
  z
    .string()
    .min(4)
    .max(max)
    .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'must be base64');
export const deviceId = z
  .string()
  .min(1)
  .max(limits.deviceIdMaxChars)
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only');

export const roomCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(limits.roomNameMax).refine(wellFormed, wellFormedMessage),
    memberIds: z.array(userId).max(limits.inviteMaxUsers).optional(),
    /** Anyone may join a public room with `room:join`; the default is invite-only. */
    public: z.boolean().optional(),
    /** End-to-end encrypted: fixed for the room's life. */
    e2ee: z.boolean().optional(),
  })
  .strict()
  .refine((v) => !(v.e2ee === true && v.public === true), {
    message: 'an E2EE room cannot be public (members join through an MLS Welcome)',
  });
export const roomRefSchema = z.object({ roomId }).strict();
export const roomInviteSchema = z
  .object({ roomId, userIds: z.array(userId).min(1).max(limits.inviteMaxUsers) })
  .strict();
export const dmOpenSchema = z.object({ userId, e2ee: z.boolean().optional() }).strict();

export const messageBody = z
  .string()
  .min(1)
  .max(limits.messageBodyMaxChars)
  .refine(wellFormed, wellFormedMessage);
export const messageSendSchema = z
  .object({
    roomId,
    clientMsgId: uuid,
    // Plaintext limits, or base64 ciphertext limits with an MLS kind (checked below).
    body: z.string().min(1).max(limits.e2eeBodyMaxChars),
    kind: e2eeMessageKind.optional(),
    /**
     * 1 for the first attempt of this clientMsgId, 2+ for retries. Absent = unknown
     * (treated like a retry: the server takes its safe, slower path).
     */
    attempt: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    const check = (
      v.kind === undefined ? messageBody : base64Body(limits.e2eeBodyMaxChars)
    ).safeParse(v.body);
    for (const issue of check.success ? [] : check.error.issues)
      ctx.addIssue({ code: 'custom', path: ['body'], message: issue.message });
  });
export const messageEditSchema = z.object({ roomId, seq, body: messageBody }).strict();
export const messageDeleteSchema = z.object({ roomId, seq }).strict();

export const historyFetchSchema = z
  .object({
    roomId,
    before: seq.optional(),
    after: seq.optional(),
    limit: z.number().int().min(1).max(limits.historyPageMax).optional(),
  })
  .strict()
  .refine((v) => v.before === undefined || v.after === undefined, {
    message: 'give before or after, not both',
  });

export const deliveryAckSchema = z
  .object({
    acks: z.array(z.object({ roomId, seq }).strict()).min(1).max(limits.ackBatchMaxRooms),
  })
  .strict();
export const markReadSchema = z.object({ roomId, seq }).strict();
export const typingSchema = z.object({ roomId, typing: z.boolean() }).strict();
export const presenceQuerySchema = z
  .object({
    userIds: z.array(userId).min(1).max(limits.presenceQueryMaxIds).optional(),
    roomId: roomId.optional(),
  })
  .strict()
  .refine((v) => (v.userIds === undefined) !== (v.roomId === undefined), {
    message: 'give userIds or roomId',
  });
export const authRefreshSchema = z.object({ token: z.string().min(1).max(8192) }).strict();

export const keysUploadSchema = z
  .object({
    deviceId,
    keyPackages: z
      .array(base64Body(limits.keyPackageMaxChars))
      .min(1)
      .max(limits.keyPackagesPerUploadMax),
  })
  .strict();
export const keysCountSchema = z.object({ deviceId }).strict();
export const keysClaimSchema = z
  .object({
    roomId,
    userIds: z.array(userId).min(1).max(limits.claimMaxUsers),
    skipDeviceIds: z
      .array(deviceId)
      .max(limits.claimMaxUsers * limits.devicesPerUserMax)
      .optional(),
  })
  .strict();

/** `room:list` takes `{}`; a callback-only emit (`socket.emit('room:list', cb)`) has no payload. */
export const emptyRequestSchema = z.object({}).strict().optional();

/**
 * The request table, runtime half: event name → the zod schema of its payload. The payload
 * and result types live in `Requests` (events.ts); `SchemaTable` below makes the compiler
 * reject a schema whose parsed output is not exactly the declared payload type.
 */
export const requestSchemas = {
  'room:create': roomCreateSchema,
  'room:join': roomRefSchema,
  'room:leave': roomRefSchema,
  'room:invite': roomInviteSchema,
  'room:members': roomRefSchema,
  'room:receipts': roomRefSchema,
  'room:list': emptyRequestSchema,
  'dm:open': dmOpenSchema,
  'message:send': messageSendSchema,
  'message:edit': messageEditSchema,
  'message:delete': messageDeleteSchema,
  'history:fetch': historyFetchSchema,
  'delivery:ack': deliveryAckSchema,
  'read:mark': markReadSchema,
  'typing:set': typingSchema,
  'presence:query': presenceQuerySchema,
  'auth:refresh': authRefreshSchema,
  'keys:upload': keysUploadSchema,
  'keys:count': keysCountSchema,
  'keys:claim': keysClaimSchema,
} satisfies SchemaTable;

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Every request event has a schema, and each schema's output is exactly its payload type. */
type SchemaTable = { [E in RequestEvent]: z.ZodType<RequestPayloadOf<E>> };
type ExactlyMatches = {
  [E in RequestEvent]: Same<z.output<(typeof requestSchemas)[E]>, RequestPayloadOf<E>>;
}[RequestEvent];
/** Compile-time proof that no schema drifted from its payload type (fails to compile if so). */
export const requestTableIsExact: ExactlyMatches extends true ? true : never = true;

export function isRequestEvent(event: string): event is RequestEvent {
  return Object.prototype.hasOwnProperty.call(requestSchemas, event);
}
