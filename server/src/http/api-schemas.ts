import { e2eeMessageKind, ErrorCode, memberRole, roomKind } from '@parley/contract';
import { z } from 'zod';

/**
 * Zod descriptions of REST response bodies. The contract package types these as
 * TypeScript interfaces; these schemas exist to generate the OpenAPI document.
 */
const isoTime = z.iso.datetime();
const id = z.guid();

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    retryable: z.boolean(),
    retryAfterMs: z.number().int().optional(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({
    title: 'Problem',
    description: 'RFC 9457 problem details carrying a contract error code',
  });

export const publicUserSchema = z
  .object({
    id,
    username: z.string(),
    roles: z.array(z.enum(['user', 'admin'])),
    createdAt: isoTime,
  })
  .meta({ title: 'PublicUser' });

export const tokenPairSchema = z
  .object({
    accessToken: z.string(),
    accessTokenExpiresAt: isoTime,
    refreshToken: z.string(),
    refreshTokenExpiresAt: isoTime,
    user: publicUserSchema,
  })
  .meta({ title: 'TokenPair' });

export const messageSchema = z
  .object({
    roomId: id,
    seq: z.number().int(),
    id,
    senderId: id,
    clientMsgId: id,
    kind: e2eeMessageKind.optional().meta({
      description: 'E2EE rooms: the MLS kind; the body is then base64 ciphertext',
    }),
    body: z.string(),
    createdAt: isoTime,
    editedAt: isoTime.optional(),
    deleted: z.boolean().optional(),
    deletedAt: isoTime.optional(),
  })
  .meta({ title: 'Message' });

export const roomSchema = z
  .object({
    id,
    kind: roomKind,
    name: z.string(),
    createdBy: id,
    createdAt: isoTime,
    public: z.boolean().optional(),
    e2ee: z.boolean().optional().meta({ description: 'End-to-end encrypted (MLS)' }),
  })
  .meta({ title: 'Room' });

export const roomMemberSchema = z
  .object({ roomId: id, userId: id, role: memberRole, joinedAt: z.string() })
  .meta({ title: 'RoomMember' });

export const healthSchema = z.object({ status: z.literal('ok') });
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not-ready']),
  engine: z.enum(['embedded', 'cluster']),
  checks: z.object({
    redis: z.enum(['embedded', 'up', 'down']),
    cassandra: z.enum(['embedded', 'up', 'down']),
    draining: z.boolean(),
  }),
});
