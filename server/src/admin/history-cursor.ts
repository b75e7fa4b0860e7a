import { z } from 'zod';
import { AppError } from '../errors';

/**
 * Cursors are opaque to clients (base64url JSON) but carry only immutable positions:
 * a room's seq, or a sender's (createdAt, id). New messages get higher positions, so
 * a walk never skips or repeats a message however many arrive meanwhile. The scope
 * (room or user, and the direction) is inside, so a cursor cannot be replayed elsewhere.
 */
const roomCursor = z
  .object({ k: z.literal('room'), r: z.string(), o: z.enum(['asc', 'desc']), s: z.number().int() })
  .strict();
const userCursor = z
  .object({ k: z.literal('user'), u: z.string(), t: z.iso.datetime(), i: z.string() })
  .strict();

export type RoomCursor = z.infer<typeof roomCursor>;
export type UserCursor = z.infer<typeof userCursor>;

export function encodeCursor(cursor: RoomCursor | UserCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decode<T>(schema: z.ZodType<T>, text: string): T {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    json = undefined;
  }
  const result = schema.safeParse(json);
  if (!result.success) throw badCursor('is not a cursor this server issued');
  return result.data;
}

export function decodeRoomCursor(text: string, roomId: string, order: 'asc' | 'desc') {
  const cursor = decode(roomCursor, text);
  if (cursor.r !== roomId) throw badCursor('belongs to another room');
  if (cursor.o !== order) throw badCursor(`was issued for order=${cursor.o}`);
  return cursor;
}

export function decodeUserCursor(text: string, userId: string) {
  const cursor = decode(userCursor, text);
  if (cursor.u !== userId) throw badCursor('belongs to another user');
  return cursor;
}

function badCursor(why: string) {
  return new AppError('VALIDATION', `invalid query parameter "cursor": ${why}`, {
    issues: [{ path: 'cursor', message: why }],
  });
}
