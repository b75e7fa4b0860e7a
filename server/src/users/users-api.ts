import { username } from '@parley/contract';
import { z } from 'zod';
import { defineRoute } from '../http/api-route';
import { publicUserSchema } from '../http/api-schemas';

/** At most this many ids per lookup: one request, one bounded fan of point reads. */
export const USERS_LOOKUP_MAX = 100;

const idList = z
  .string()
  .max(USERS_LOOKUP_MAX * 37)
  .transform((s) => [...new Set(s.split(',').filter(Boolean))])
  .pipe(z.array(z.guid()).min(1).max(USERS_LOOKUP_MAX))
  .meta({ type: 'string', description: `Comma-separated user ids, at most ${USERS_LOOKUP_MAX}` });

/**
 * What any signed-in user may learn about others: names for ids (to label senders and
 * members) and an id for a name (to invite someone or open a DM).
 */
export const usersApi = {
  lookup: defineRoute({
    operationId: 'lookupUsers',
    method: 'get',
    path: '/users',
    summary: 'Public profiles by ids, or one by exact username',
    description: 'Give `ids` or `username`. Unknown ids are left out of the answer.',
    tags: ['users'],
    security: 'bearer',
    query: z
      .object({
        ids: idList.optional(),
        username: username.optional().meta({ description: 'Exact, case-insensitive' }),
      })
      .strict()
      .refine((q) => (q.ids === undefined) !== (q.username === undefined), {
        message: 'give ids or username',
      }),
    success: {
      status: 200,
      description: 'The users found',
      schema: z.object({ users: z.array(publicUserSchema) }),
    },
    errors: [400, 401, 403, 503],
  }),
};
