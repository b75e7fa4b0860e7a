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

export const roomCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(limits.roomNameMax).refine(wellFormed, wellFormedMessage),
    memberIds: z.array(userId).max(limits.inviteMaxUsers).optional(),
    /** Anyone may join a public room with `room:join`; the default is invite-only. */
    public: z.boolean().optional(),
  })
  .strict();
export const roomRefSchema = z.object({ roomId }).strict();
export const roomInviteSchema = z
  .object({ roomId, userIds: z.array(userId).min(1).max(limits.inviteMaxUsers) })
  .strict();
export const dmOpenSchema = z.object({ userId }).strict();

export const messageBody = z
  .string()
  .min(1)
  .max(limits.messageBodyMaxChars)
  .refine(wellFormed, wellFormedMessage);
export const messageSendSchema = z
  .object({
    roomId,
    clientMsgId: uuid,
    body: messageBody,
    /**
     * 1 for the first attempt of this clientMsgId, 2+ for retries. Absent = unknown
     * (treated like a retry: the server takes its safe, slower path).
     */
    attempt: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();
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
