import { z } from 'zod';
import { defineRoute } from '../http/api-route';
import { messageSchema, publicUserSchema, roomMemberSchema, roomSchema } from '../http/api-schemas';

/** Hard cap of one history page; a request also scans at most HISTORY_SCAN_BUDGET rows. */
export const ADMIN_PAGE_MAX = 200;
export const ADMIN_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

// Query strings arrive as strings: each helper checks the text, then converts it.
const queryInt = (min: number, max: number, description: string) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'expected a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .meta({ type: 'integer', minimum: min, maximum: max, description });
const queryBool = (description: string) =>
  z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .meta({ description });
const queryTime = (description: string) =>
  z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .meta({ description });
const cursor = z
  .string()
  .min(1)
  .max(512)
  .meta({ description: 'Opaque cursor from the previous page (`nextCursor`)' });
const id = z.guid();

const roomParams = z.object({ roomId: id }).strict();
const userParams = z.object({ userId: id }).strict();

const historyFilters = {
  from: queryTime('Only messages created at or after this instant (ISO 8601)').optional(),
  to: queryTime('Only messages created before this instant (ISO 8601)').optional(),
  includeDeleted: queryBool('Include soft-deleted messages (with their bodies); default false')
    .optional()
    .default(false),
};

export const roomHistoryQuery = z
  .object({
    ...historyFilters,
    senderId: id.optional().meta({ description: 'Only messages of this sender' }),
    order: z
      .enum(['desc', 'asc'])
      .optional()
      .default('desc')
      .meta({ description: 'desc: newest first (default); asc: oldest first' }),
    cursor: cursor.optional(),
    limit: queryInt(1, ADMIN_PAGE_MAX, `Page size, at most ${ADMIN_PAGE_MAX}`)
      .optional()
      .default(ADMIN_PAGE_DEFAULT),
  })
  .strict();
export type RoomHistoryQuery = z.output<typeof roomHistoryQuery>;

export const userHistoryQuery = z
  .object({
    ...historyFilters,
    roomId: id.optional().meta({ description: 'Only messages in this room' }),
    cursor: cursor.optional(),
    limit: queryInt(1, ADMIN_PAGE_MAX, `Page size, at most ${ADMIN_PAGE_MAX}`)
      .optional()
      .default(ADMIN_PAGE_DEFAULT),
  })
  .strict();
export type UserHistoryQuery = z.output<typeof userHistoryQuery>;

export const exportQuery = z
  .object({ ...historyFilters, senderId: id.optional().meta({ description: 'Only this sender' }) })
  .strict();
export type ExportQuery = z.output<typeof exportQuery>;

const historyPage = z.object({
  messages: z.array(messageSchema),
  nextCursor: z
    .string()
    .nullable()
    .meta({ description: 'null when the walk is complete; a page may be short yet not last' }),
  scanned: z.number().int().meta({ description: 'Rows read to build this page' }),
});

const adminUser = publicUserSchema.extend({
  bannedAt: z.iso.datetime().nullable(),
  lastSeenAt: z.iso.datetime().nullable(),
});

const nodeStats = z.object({
  nodeId: z.string(),
  connections: z.number().int(),
  onlineUsers: z.number().int(),
  activeRooms: z.number().int(),
  messagesStoredTotal: z.number(),
  messagesPerSecond: z.number(),
  uptimeSeconds: z.number(),
});

const auditEntry = z.object({
  id: z.string(),
  actorId: z.string(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string(),
  detail: z.string().optional(),
  at: z.iso.datetime(),
});

/** Moderation actions take an optional reason, kept in the audit log. */
const reasonBody = z
  .object({ reason: z.string().max(500).optional().meta({ description: 'Kept in the audit log' }) })
  .strict();

const tags = {
  history: ['admin: history'],
  moderation: ['admin: moderation'],
  search: ['admin: search'],
};

/** Rows one listing request may read, whatever the filter. */
export const LISTING_SCAN_BUDGET = 2_000;
export const LISTING_PAGE_MAX = 200;
const listingQuery = {
  q: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .meta({ description: 'Case-insensitive substring of the name, or an exact id' }),
  cursor: z
    .guid()
    .optional()
    .meta({ description: 'Opaque cursor from the previous page (`nextCursor`)' }),
  limit: queryInt(1, LISTING_PAGE_MAX, `Page size, at most ${LISTING_PAGE_MAX}`)
    .optional()
    .default(ADMIN_PAGE_DEFAULT),
};
export type ListingQuery = { q?: string; cursor?: string; limit: number };
const readErrors = [400, 401, 403, 404, 503];

/** Every admin operation. adminRoutes() gives each one a handler; openapi.ts documents them. */
export const adminApi = {
  roomMessages: defineRoute({
    operationId: 'adminListRoomMessages',
    method: 'get',
    path: '/admin/rooms/:roomId/messages',
    summary: "Page through a room's history",
    description:
      'Cursor pagination by seq, which never changes once assigned: walking every page ' +
      'yields each message once, even while new messages arrive. Filters are applied while ' +
      'scanning; a page may come back short with a non-null nextCursor. Audited.',
    tags: tags.history,
    security: 'admin',
    params: roomParams,
    query: roomHistoryQuery,
    success: { status: 200, description: 'One page', schema: historyPage },
    errors: readErrors,
  }),
  roomExport: defineRoute({
    operationId: 'adminExportRoomMessages',
    method: 'get',
    path: '/admin/rooms/:roomId/export',
    summary: "Export a room's whole history as NDJSON, oldest first",
    description: 'Streamed: one Message JSON object per line. Audited.',
    tags: tags.history,
    security: 'admin',
    params: roomParams,
    query: exportQuery,
    success: {
      status: 200,
      description: 'NDJSON stream of Message objects',
      contentType: 'application/x-ndjson',
      schema: z.string(),
    },
    errors: readErrors,
  }),
  room: defineRoute({
    operationId: 'adminGetRoom',
    method: 'get',
    path: '/admin/rooms/:roomId',
    summary: 'A room with its members',
    tags: tags.history,
    security: 'admin',
    params: roomParams,
    success: {
      status: 200,
      description: 'The room',
      schema: z.object({
        room: roomSchema,
        members: z.array(roomMemberSchema),
        lastSeq: z.number().int(),
      }),
    },
    errors: readErrors,
  }),
  userMessages: defineRoute({
    operationId: 'adminListUserMessages',
    method: 'get',
    path: '/admin/users/:userId/messages',
    summary: "Page through one user's messages across rooms, newest first",
    description: 'Audited.',
    tags: tags.history,
    security: 'admin',
    params: userParams,
    query: userHistoryQuery,
    success: { status: 200, description: 'One page', schema: historyPage },
    errors: readErrors,
  }),
  user: defineRoute({
    operationId: 'adminGetUser',
    method: 'get',
    path: '/admin/users/:userId',
    summary: 'A user with ban state and room memberships',
    tags: tags.history,
    security: 'admin',
    params: userParams,
    success: {
      status: 200,
      description: 'The user',
      schema: z.object({
        user: adminUser,
        rooms: z.array(z.object({ roomId: z.string(), role: z.string(), joinedAt: z.string() })),
      }),
    },
    errors: readErrors,
  }),
  findUsers: defineRoute({
    operationId: 'adminFindUsers',
    method: 'get',
    path: '/admin/users',
    summary: 'List users, search them by name, or look one up by exact username',
    description:
      '`username`: exact, case-insensitive lookup (zero or one user). Otherwise a paged ' +
      'listing in storage order, filtered by `q` (case-insensitive substring of the username, ' +
      `or an exact id); one request reads at most ${LISTING_SCAN_BUDGET} rows, so a page may ` +
      'be short and still have a `nextCursor`.',
    tags: tags.search,
    security: 'admin',
    query: z
      .object({
        username: z.string().min(1).max(64).optional().meta({ description: 'Exact username' }),
        ...listingQuery,
      })
      .strict(),
    success: {
      status: 200,
      description: 'Matching users',
      schema: z.object({ users: z.array(adminUser), nextCursor: z.string().nullable() }),
    },
    errors: [400, 401, 403, 503],
  }),
  listRooms: defineRoute({
    operationId: 'adminListRooms',
    method: 'get',
    path: '/admin/rooms',
    summary: 'List rooms or search them by name',
    description:
      'A paged listing in storage order, filtered by `q` (case-insensitive substring of the ' +
      `name, or an exact id); one request reads at most ${LISTING_SCAN_BUDGET} rows.`,
    tags: tags.search,
    security: 'admin',
    query: z.object(listingQuery).strict(),
    success: {
      status: 200,
      description: 'Matching rooms',
      schema: z.object({ rooms: z.array(roomSchema), nextCursor: z.string().nullable() }),
    },
    errors: [400, 401, 403, 503],
  }),
  deleteMessage: defineRoute({
    operationId: 'adminDeleteMessage',
    method: 'delete',
    path: '/admin/rooms/:roomId/messages/:seq',
    summary: 'Soft-delete a message; members see message:deleted live',
    tags: tags.moderation,
    security: 'admin',
    params: z
      .object({
        roomId: id,
        seq: queryInt(1, Number.MAX_SAFE_INTEGER, 'Position of the message in the room'),
      })
      .strict(),
    body: reasonBody,
    success: {
      status: 200,
      description: 'The message as clients now see it',
      schema: messageSchema,
    },
    errors: readErrors,
  }),
  banUser: defineRoute({
    operationId: 'adminBanUser',
    method: 'post',
    path: '/admin/users/:userId/ban',
    summary: "Ban a user: logins refused, the user's sockets on every node disconnected",
    tags: tags.moderation,
    security: 'admin',
    params: userParams,
    body: reasonBody,
    success: {
      status: 200,
      description: 'Banned',
      schema: z.object({ userId: z.string(), bannedAt: z.iso.datetime() }),
    },
    errors: [400, 401, 403, 404, 409, 503],
  }),
  unbanUser: defineRoute({
    operationId: 'adminUnbanUser',
    method: 'delete',
    path: '/admin/users/:userId/ban',
    summary: 'Lift a ban',
    tags: tags.moderation,
    security: 'admin',
    params: userParams,
    success: {
      status: 200,
      description: 'Not banned any more',
      schema: z.object({ userId: z.string(), bannedAt: z.null() }),
    },
    errors: readErrors,
  }),
  kickMember: defineRoute({
    operationId: 'adminKickMember',
    method: 'delete',
    path: '/admin/rooms/:roomId/members/:userId',
    summary: 'Remove a member from a group room, on every node',
    tags: tags.moderation,
    security: 'admin',
    params: z.object({ roomId: id, userId: id }).strict(),
    body: reasonBody,
    success: {
      status: 200,
      description: 'Removed',
      schema: z.object({ roomId: z.string(), userId: z.string() }),
    },
    errors: [400, 401, 403, 404, 409, 503],
  }),
  overview: defineRoute({
    operationId: 'adminOverview',
    method: 'get',
    path: '/admin/overview',
    summary: 'Cluster overview gathered from every node',
    description:
      'Nodes that do not answer within the adapter timeout are reported as missing ' +
      '(partial: true) instead of failing the request.',
    tags: ['admin: cluster'],
    security: 'admin',
    success: {
      status: 200,
      description: 'Per-node figures and totals',
      schema: z.object({
        nodes: z.array(nodeStats),
        expectedNodes: z.number().int().nullable(),
        answeredNodes: z.number().int(),
        partial: z.boolean(),
        totals: z.object({
          connections: z.number().int(),
          onlineUsers: z.number().int(),
          activeRooms: z.number().int(),
          messagesPerSecond: z.number(),
        }),
      }),
    },
    errors: [401, 403],
  }),
  audit: defineRoute({
    operationId: 'adminListAudit',
    method: 'get',
    path: '/admin/audit',
    summary: 'Newest audit log entries (last 31 days)',
    tags: ['admin: cluster'],
    security: 'admin',
    query: z
      .object({
        limit: queryInt(1, AUDIT_PAGE_MAX, `At most ${AUDIT_PAGE_MAX}`)
          .optional()
          .default(ADMIN_PAGE_DEFAULT),
      })
      .strict(),
    success: {
      status: 200,
      description: 'Entries, newest first',
      schema: z.object({ entries: z.array(auditEntry) }),
    },
    errors: [400, 401, 403, 503],
  }),
};
export type AdminApi = typeof adminApi;
